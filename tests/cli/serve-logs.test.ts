/**
 * `warecast serve` logs for people: one readable line per request on the terminal, the handlers' JSON logs and
 * EMF metrics (what CloudWatch would read) in <workspace>/logs/serve.ndjson, or all of it on stdout with
 * --log-format json; and no AWS SDK notice about Node versions. The real command, as a process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { makeTestDeps } from "../functions/predict-support";

const ROOT = path.resolve(__dirname, "..", "..");

interface Served {
  child: ChildProcessWithoutNullStreams;
  api: string;
  key: string;
  out: string[];
  err: () => string;
}

function serve(workspace: string, ...extra: string[]): Promise<Served> {
  const args = ["serve", "--workspace", workspace, "--port", "0", "--endpoint-port", "0", ...extra];
  const child = spawn(path.join(ROOT, "warecast"), args, {
    cwd: ROOT,
    env: { ...process.env, POWERTOOLS_DEV: "" },
  });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const out: string[] = [];
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`serve exited ${code} before it was ready:\n${err}`)));
    readline.createInterface({ input: child.stdout }).on("line", (line) => {
      out.push(line);
      if (!line.startsWith("Ctrl-C")) return;
      const api = /^API\s+(\S+)/m.exec(out.join("\n"))?.[1] ?? "";
      const key = fs.readFileSync(path.join(workspace, "api-key"), "utf8").trim();
      resolve({ child, api, key, out, err: () => err });
    });
  });
}

async function stop(s: Served): Promise<void> {
  const exited = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await exited;
}

const get = (s: Served, p: string) => fetch(s.api + p, { headers: { "x-api-key": s.key } });

/** Waits until `test` holds for the lines printed so far (the request line follows the response). */
async function until(lines: string[], test: (all: string) => boolean): Promise<string> {
  for (let i = 0; i < 100 && !test(lines.join("\n")); i++) await new Promise((r) => setTimeout(r, 50));
  return lines.join("\n");
}

test("text (default): request lines on the terminal, the handlers' logs and EMF metrics in the log file", async () => {
  const { workspace } = makeTestDeps();
  const s = await serve(workspace);
  try {
    expect((await get(s, "/v1/health")).status).toBe(200);
    expect((await get(s, "/v1/forecasts/WH1/SKU-1?horizon=7")).status).toBe(200);
    expect((await get(s, "/v1/forecasts/WH1/NOPE?horizon=7")).status).toBe(404);
    const text = await until(s.out, (t) => t.includes("NOPE"));
    expect(text).toMatch(/^\d\d:\d\d:\d\d GET \/v1\/health 200 \d+ ms$/m);
    expect(text).toMatch(/^\d\d:\d\d:\d\d GET \/v1\/forecasts\/WH1\/SKU-1\?horizon=7 200 \d+ ms$/m);
    expect(text).toMatch(/^\d\d:\d\d:\d\d GET \/v1\/forecasts\/WH1\/NOPE\?horizon=7 404 \d+ ms$/m);
    expect(text).toContain(`Handler logs and metrics (EMF): ${path.join(workspace, "logs", "serve.ndjson")}`);
    expect(text).not.toMatch(/^\{/m); // no JSON log or EMF line on the terminal
    const logged = fs
      .readFileSync(path.join(workspace, "logs", "serve.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.some((r) => "_aws" in r)).toBe(true); // EMF documents, as CloudWatch reads them
    expect(logged.some((r) => r.service === "warecast-local-api" && typeof r.message === "string")).toBe(
      true,
    );
    expect(s.err()).not.toMatch(/NodeVersionSupportWarning|require node >=22/);
  } finally {
    await stop(s);
  }
}, 180_000);

test("--log-format json: request lines and the handlers' EMF on stdout, as the Lambda prints them", async () => {
  const { workspace } = makeTestDeps();
  const s = await serve(workspace, "--log-format", "json");
  try {
    expect((await get(s, "/v1/forecasts/WH1/SKU-1?horizon=7")).status).toBe(200);
    const text = await until(s.out, (t) => /"path":"\/v1\/forecasts/.test(t) && t.includes('"_aws"'));
    const json = text
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json).toContainEqual(
      expect.objectContaining({ method: "GET", path: "/v1/forecasts/WH1/SKU-1?horizon=7", status: 200 }),
    );
    expect(json.some((r) => "_aws" in r)).toBe(true);
    expect(fs.existsSync(path.join(workspace, "logs", "serve.ndjson"))).toBe(false);
  } finally {
    await stop(s);
  }
}, 180_000);
