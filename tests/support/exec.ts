import { spawn } from "node:child_process";

export interface ExecResult {
  readonly code: number | null;
  /** stdout and stderr, interleaved as they arrived. */
  readonly output: string;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a process to its end and collects what it printed. `env` is required: under jest, `process.env` (the
 * dummy credentials of tests/support/env.ts) is not what a child inherits by default.
 */
export function exec(
  cmd: string,
  args: readonly string[],
  opts: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly input?: string },
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => ((stdout += d), (output += d)));
    child.stderr.on("data", (d) => ((stderr += d), (output += d)));
    child.on("error", reject);
    child.stdin.end(opts.input ?? "");
    // "close", not "exit": the output streams may still hold data when the process exits.
    child.on("close", (code) => resolve({ code, output, stdout, stderr }));
  });
}
