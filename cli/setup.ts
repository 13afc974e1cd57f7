import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type { Command } from "commander";

/** What a command needs beyond node_modules (which ./warecast sets up for every command). */
export type SetupPart = "python" | "java";

const SETUP = path.resolve(__dirname, "..", "scripts", "setup.sh");

/** `warecast model status` for a nested command. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Sets up `parts` (scripts/setup.sh, a no-op when they are current); throws when that fails. */
export function ensureSetup(parts: readonly SetupPart[], forCommand: string): void {
  const run = spawnSync(SETUP, ["--for", forCommand, ...parts], { stdio: ["ignore", "inherit", "inherit"] });
  if (run.error) throw new Error(`could not run ${SETUP}: ${run.error.message}`);
  if (run.status !== 0) {
    throw new Error(`${forCommand} cannot run without ${parts.join(" and ")} (set-up failed; see above)`);
  }
}

/**
 * A preAction hook for a command that uses Python (the venv) or Java: they are set up just before its action
 * runs, so `--help` and the Node-only commands never touch them. `.hook("preAction", needs("python"))`.
 */
export function needs(...parts: SetupPart[]): (program: Command, action: Command) => void {
  return (_program, action) => ensureSetup(parts, commandPath(action));
}
