import { execFile } from "node:child_process";
import { promisify } from "node:util";

/**
 * A stack's outputs from `pulumi stack output --json --stack <name>` (the Pulumi CLI, installed and logged in).
 * Secrets stay hidden: no command that reads outputs needs one. `instead` says what to pass when Pulumi is not
 * available.
 */
export async function pulumiStackOutputs(
  stack: string,
  pulumi = "pulumi",
  instead: string,
): Promise<Record<string, unknown>> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(pulumi, ["stack", "output", "--json", "--stack", stack], {
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === "ENOENT" ? "the pulumi CLI is not on PATH" : (e.stderr ?? e.message).trim();
    throw new Error(`cannot read the outputs of stack ${stack} (${why}); ${instead}`);
  }
  try {
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    throw new Error(
      `pulumi stack output --json --stack ${stack} did not print JSON: ${stdout.slice(0, 200)}`,
    );
  }
}
