/**
 * The API conformance run (a ./test.sh step): Schemathesis (pinned in requirements/dev.in) tests
 * api/openapi.yaml against `warecast serve` as a user starts it, in positive and negative modes with every
 * check on (settings in schemathesis.toml beside this file), on a workspace whose series_state holds the ids the
 * run draws from. Bounded by Schemathesis' own time budget; any failed check fails the step.
 *
 * Usage: node_modules/.bin/tsx tests/api/schemathesis/run.ts [--max-time SECONDS]   (default 120)
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { repoRoot, standardSeries, writeSeriesState } from "../../functions/predict-support";

const args = process.argv.slice(2);
const maxTime = args.includes("--max-time") ? args[args.indexOf("--max-time") + 1] : "120";
const ARTIFACTS = path.join(repoRoot, "test-artifacts", "schemathesis");
/** The server's own log of the run (one JSON line per request refused, and its metrics). */
const SERVE_LOG = path.join(ARTIFACTS, "serve.log");

/** Starts `warecast serve` on free ports and resolves with the API's URL once it prints it. */
function serve(workspace: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(
    path.join(repoRoot, "node_modules/.bin/tsx"),
    [
      path.join(repoRoot, "cli/main.ts"),
      "serve",
      "--workspace",
      workspace,
      "--port",
      "0",
      "--endpoint-port",
      "0",
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    let ready = false;
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      // Until it is ready: what `warecast serve` says; after: its request logs go to a file.
      if (ready) fs.appendFileSync(SERVE_LOG, line + "\n");
      else process.stdout.write(`serve | ${line}\n`);
      const m = /^API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) ready = true;
      if (m)
        resolve({
          url: m[1],
          stop: async () => {
            if (child.exitCode === null) child.kill("SIGTERM");
            await exited;
          },
        });
    });
    void exited.then((code) => reject(new Error(`warecast serve exited (code ${code}) before it was ready`)));
  });
}

async function main(): Promise<void> {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-schemathesis-"));
  writeSeriesState(path.join(workspace, "processed"), standardSeries());
  const server = await serve(workspace);
  try {
    const key = fs.readFileSync(path.join(workspace, "api-key"), "utf8").trim();
    // Asynchronous: this process must keep reading the server's output, or the server blocks on a full pipe.
    const run = spawn(
      path.join(repoRoot, ".venv/bin/schemathesis"),
      [
        "--config-file",
        path.join(__dirname, "schemathesis.toml"),
        "run",
        path.join(repoRoot, "api/openapi.yaml"),
        "--url",
        server.url,
        "--max-time",
        maxTime,
        // Every request and response of the run, for whoever reads a failure.
        "--report",
        "har",
        "--report-dir",
        ARTIFACTS,
      ],
      { cwd: repoRoot, stdio: "inherit", env: { ...process.env, WARECAST_API_KEY: key } },
    );
    process.exitCode = (await new Promise<number | null>((resolve) => run.once("exit", resolve))) ?? 1;
  } finally {
    await server.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
