import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";

const repoRoot = path.resolve(__dirname, "..", "..");
const python = path.join(repoRoot, ".venv", "bin", "python");

/** The model artifact to serve: the last trained one, else a bootstrap baseline built once into the workspace. */
export async function artifactToServe(workspace: string): Promise<{ artifact: string; bootstrap: boolean }> {
  const artifacts = path.join(workspace, "artifacts");
  const latestFile = path.join(artifacts, "latest");
  if (fs.existsSync(latestFile)) {
    const version = fs.readFileSync(latestFile, "utf8").trim();
    const artifact = path.join(artifacts, "runs", version, "model.tar.gz");
    if (fs.existsSync(artifact)) return { artifact, bootstrap: false };
  }
  const dir = path.join(artifacts, "bootstrap");
  const artifact = path.join(dir, "model.tar.gz");
  if (!fs.existsSync(artifact)) await run(python, ["-m", "model.bootstrap", "--out", dir]);
  return { artifact, bootstrap: true };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`)),
    );
  });
}

export interface EndpointProcess {
  readonly url: string;
  readonly modelVersion: string;
  /** Worker processes serving requests in parallel (gunicorn's, as in the SageMaker container). */
  readonly workers: number;
  stop(): Promise<void>;
}

export interface EndpointProcessOptions {
  /** Worker processes. Default: SAGEMAKER_MODEL_SERVER_WORKERS, else one per CPU (the container's rule). */
  readonly workers?: number;
}

/**
 * Starts model/local_endpoint.py (gunicorn with its worker processes) and waits for its "listening" line (it
 * prints one JSON line when ready). `stop()` ends the server and its workers.
 */
export async function startEndpointProcess(
  artifact: string,
  port: number,
  options: EndpointProcessOptions = {},
): Promise<EndpointProcess> {
  const args = ["-m", "model.local_endpoint", "--artifact", artifact, "--port", String(port)];
  if (options.workers !== undefined) args.push("--workers", String(options.workers));
  const child: ChildProcess = spawn(python, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines = readline.createInterface({ input: child.stdout! });
  const ready = new Promise<{ listening: string; model_version: string; workers: number }>(
    (resolve, reject) => {
      lines.on("line", (line) => {
        try {
          const msg = JSON.parse(line) as { listening?: string; model_version?: string; workers?: number };
          if (msg.listening)
            resolve({
              listening: msg.listening,
              model_version: msg.model_version ?? "unknown",
              workers: msg.workers ?? 1,
            });
        } catch {
          // the server's own log lines
        }
      });
      void exited.then((code) =>
        reject(new Error(`the local endpoint exited (code ${code}) before it was ready`)),
      );
    },
  );
  const info = await ready;
  return {
    url: info.listening,
    modelVersion: info.model_version,
    workers: info.workers,
    stop: async () => {
      if (child.exitCode === null) {
        // gunicorn's master stops its workers on SIGTERM (after at most its 5 s graceful timeout).
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
