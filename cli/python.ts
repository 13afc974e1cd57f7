import { spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import type { Readable } from "node:stream";
import { output } from "./output";
import type { Progress, Step } from "./progress";

/** Repository root and the venv's Python, which runs model/ as processes (the CLI never imports Python). */
const repoRoot = path.resolve(__dirname, "..");
const python = path.join(repoRoot, ".venv", "bin", "python");

/** The child's file descriptor for progress reports (model/progress.py writes JSON lines to it). */
const PROGRESS_FD = 3;

export interface PythonRun {
  readonly env?: NodeJS.ProcessEnv;
  /** Shows the reports model/progress.py sends, and carries the child's stderr lines around its live line. */
  readonly progress: Progress;
  /** Where the child's stdout goes: where results go (cli/output.ts), or stderr when the result is our JSON. */
  readonly stdout?: "stdout" | "stderr";
}

function lines(stream: Readable | null, each: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on("line", each).on("close", resolve);
  });
}

/**
 * Runs `python -m <module> <args>` from the repo root; rejects on a non-zero exit. Its progress reports drive
 * `progress`; its stdout is held back while a live line is on the terminal and printed once the run ends.
 */
export async function runPython(module: string, args: string[], run: PythonRun): Promise<void> {
  const { progress } = run;
  const child = spawn(python, ["-m", module, ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? "1",
      WARECAST_PROGRESS_FD: String(PROGRESS_FD),
      ...run.env,
    },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  const out = run.stdout === "stderr" ? process.stderr : output.stream;
  const held: string[] = [];
  const reading = Promise.all([
    lines(child.stdout, (l) => (progress.mode === "bar" ? held.push(l) : out.write(l + "\n"))),
    lines(child.stderr, (l) => progress.log(l)),
    lines(child.stdio[PROGRESS_FD] as Readable, (l) => {
      try {
        progress.update(JSON.parse(l) as Step);
      } catch {
        progress.log(l); // not a report: show it rather than lose it
      }
    }),
  ]);
  let code: number | null;
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    await reading;
  } finally {
    progress.stop();
    for (const l of held) out.write(l + "\n");
  }
  if (code !== 0) throw new Error(`python -m ${module} exited with code ${code}`);
}
