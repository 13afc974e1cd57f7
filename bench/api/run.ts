/**
 * Local API benchmark: latency (p50, p99) and throughput of POST /v1/forecasts at 1, 8 and 50 connections and
 * with 100 series per request, against the real local endpoint (model/local_endpoint.py: gunicorn workers, the
 * bootstrap baseline unless --artifact names a trained model.tar.gz) over the real SageMaker Runtime SDK.
 *
 * Measured alongside, in the same run and the same way: the same API with an in-process instant endpoint (the
 * API's own cost) and a trivial server (a Node HTTP server answering a fixed JSON body: what this machine and the
 * load generator can do at all). The ratios to the trivial server are what carry over from a busy machine.
 * The load generator (autocannon) runs in its own process, so it does not share the servers' event loop.
 *
 * Usage: node_modules/.bin/tsx bench/api/run.ts [--duration 10] [--artifact model.tar.gz]
 *        [--write bench/api/RESULTS.md]
 * Data: the bundled pasta sample (118 daily series, last 400 days) as series_state Parquet in bench/out/api/.
 */
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { artifactToServe, startEndpointProcess } from "../../cli/local-api/endpoint-process";
import { startLocalApi } from "../../cli/local-api/server";
import {
  EndpointClient,
  type EndpointRequest,
  type ForecastEndpoint,
} from "../../functions/predict/endpoint-client";
import type { ServedForecastLog, ServedForecastRecord } from "../../functions/predict/served-log";

const repoRoot = path.resolve(__dirname, "..", "..");
const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const DURATION = Number(flag("--duration", "10"));
const WRITE = flag("--write", "");
const ARTIFACT = flag("--artifact", "");

/** The scenarios of issue 17's goals: one series at 1, 8 and 50 connections; 100 series at 1. */
const SCENARIOS = [
  { name: "1 series × 1 conn", body: "1", connections: 1 },
  { name: "1 series × 8 conn", body: "1", connections: 8 },
  { name: "1 series × 50 conn", body: "1", connections: 50 },
  { name: "100 series × 1 conn", body: "100", connections: 1 },
] as const;

/** What autocannon's --json prints (the fields used here). */
interface AutocannonJson {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/**
 * Served-forecast records accepted and dropped: the benchmark measures the API path, not gzip writes to disk. Kept
 * in memory (as MemoryServedForecastLog does, for tests) they would be 750k records by the last scenario, a heap
 * of hundreds of MB whose garbage collections no server pays: `warecast serve` and the Lambda hand them on.
 */
const droppingServedLog: ServedForecastLog = {
  async write(records: readonly ServedForecastRecord[]) {
    return { delivered: records.length, failed: 0, reasons: [] };
  },
};

/** Wraps an endpoint and sums the time spent in it. */
class TimedEndpoint implements ForecastEndpoint {
  totalMs = 0;
  calls = 0;
  constructor(private readonly inner: ForecastEndpoint) {}
  async invoke(request: EndpointRequest) {
    const t = performance.now();
    try {
      return await this.inner.invoke(request);
    } finally {
      this.totalMs += performance.now() - t;
      this.calls++;
    }
  }
}

/** An endpoint that answers at once with a flat forecast (the API's cost without a model). */
const instant: ForecastEndpoint = {
  async invoke(request) {
    return {
      response: {
        model_version: "instant",
        model_kind: "bootstrap-baseline",
        freq: request.freq,
        horizon: request.horizon,
        quantiles: [...request.quantiles],
        series: request.series.map((s) => ({
          id: s.id,
          method: "seasonal-naive",
          forecast: Array.from({ length: request.horizon }, (_, i) => ({
            date: "2018-01-01",
            step: i + 1,
            mean: 1,
            quantiles: Object.fromEntries(request.quantiles.map((q) => [String(q), 1])),
          })),
          windows: [],
          samples: [],
        })),
      },
      stats: { attempts: 1, elapsedMs: 0 },
    };
  },
};

function writeSeriesState(processed: string): string[] {
  const lines = fs
    .readFileSync(path.join(repoRoot, "data/sample/pasta/hierarchical_sales_data.csv"), "utf8")
    .trim()
    .split("\n");
  const header = lines[0].split(",");
  const rows = lines.slice(1).map((l) => l.split(","));
  const last = rows.slice(-400);
  const skus = header.slice(1).filter((h) => h.startsWith("QTY_"));
  const series = skus.map((h) => {
    const col = header.indexOf(h);
    return {
      warehouse_id: "STORE1",
      sku: h.slice(4),
      start_date: last[0][0],
      units: last.map((r) => Number(r[col]) || 0),
      on_hand: 20,
    };
  });
  // The sample skips closed days; the API only needs aligned arrays, so dates are taken as consecutive.
  const out = spawnSync(
    path.join(repoRoot, ".venv/bin/python"),
    [path.join(repoRoot, "tests/functions/predict_fixtures.py"), processed],
    { input: JSON.stringify(series), encoding: "utf8" },
  );
  if (out.status !== 0) throw new Error(out.stderr);
  return series.map((s) => s.sku);
}

/** A server that answers every request with the same small JSON body: the machine's ceiling. */
async function startTrivialServer(): Promise<{ url: string; close(): Promise<void> }> {
  const body = JSON.stringify({ status: "ok" });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Row {
  server: string;
  scenario: string;
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number;
  endpointMsPerRequest?: number;
}

const run = promisify(execFile);

/** autocannon in a child process, so the load generator does not share the server's event loop. */
async function load(url: string, key: string, body: string, connections: number): Promise<AutocannonJson> {
  const { stdout } = await run(
    path.join(repoRoot, "node_modules/.bin/autocannon"),
    [
      "--json",
      "--no-progress",
      "-c",
      String(connections),
      "-d",
      String(DURATION),
      // Longer than the API's own endpoint budget (20 s), so slow answers are measured, not cut off.
      "-t",
      "30",
      "-m",
      "POST",
      "-H",
      `x-api-key=${key}`,
      "-H",
      "content-type=application/json",
      "-b",
      body,
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as AutocannonJson;
}

async function measure(
  server: string,
  url: string,
  key: string,
  bodies: Record<string, string>,
  timed?: TimedEndpoint,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const s of SCENARIOS) {
    // Warm-up: Parquet decode and caches, the model's first load in every worker.
    for (let i = 0; i < 4; i++)
      await fetch(url, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: bodies[s.body],
      }).then((r) => r.arrayBuffer());
    if (timed) [timed.totalMs, timed.calls] = [0, 0];
    const r = await load(url, key, bodies[s.body], s.connections);
    const row: Row = {
      server,
      scenario: s.name,
      connections: s.connections,
      requests: r.requests.total,
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      mean: r.latency.mean,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
      ...(timed ? { endpointMsPerRequest: timed.calls ? timed.totalMs / timed.calls : 0 } : {}),
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  return rows;
}

// The benchmark measures the API, not EMF lines on stdout.
process.env.POWERTOOLS_METRICS_DISABLED = "true";
const quietObs = () => ({
  logger: new Logger({ serviceName: "bench", logLevel: "ERROR" }),
  metrics: new Metrics({ namespace: "Warecast", serviceName: "bench" }),
  tracer: new Tracer({ serviceName: "bench", enabled: false }),
});

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

async function main(): Promise<void> {
  const workspace = path.join(repoRoot, "bench/out/api");
  fs.rmSync(path.join(workspace, "processed"), { recursive: true, force: true });
  const skus = writeSeriesState(path.join(workspace, "processed"));
  const bodies = {
    "1": JSON.stringify({ series: [{ warehouse_id: "STORE1", sku: skus[0] }] }),
    "100": JSON.stringify({
      series: skus.slice(0, 100).map((sku) => ({ warehouse_id: "STORE1", sku })),
    }),
  };
  const artifact = ARTIFACT ? path.resolve(ARTIFACT) : (await artifactToServe(workspace)).artifact;
  const loadAtStart = loadAverage();
  const ep = await startEndpointProcess(artifact, 0);
  const rows: Row[] = [];
  try {
    const real = new TimedEndpoint(
      new EndpointClient(
        new SageMakerRuntimeClient({
          endpoint: ep.url,
          region: "eu-west-1",
          credentials: { accessKeyId: "x", secretAccessKey: "x" },
          maxAttempts: 1,
        }),
        {
          endpointName: "warecast-local",
          timeoutMs: 8000,
          maxAttempts: 3,
          budgetMs: 20000,
          retryAfterSeconds: 30,
        },
      ),
    );
    const fake = new TimedEndpoint(instant);
    for (const [label, endpoint] of [
      [`API + local endpoint (${ep.modelVersion}, ${ep.workers} workers)`, real],
      ["API + instant in-process endpoint", fake],
    ] as const) {
      const api = await startLocalApi({
        workspace,
        port: 0,
        endpoint,
        servedLog: droppingServedLog,
        obs: quietObs(),
        config: { maxSeriesPerRequest: 100 },
      });
      try {
        rows.push(...(await measure(label, `${api.url}/v1/forecasts`, api.apiKey, bodies, endpoint)));
      } finally {
        await api.close();
      }
    }
  } finally {
    await ep.stop();
  }
  const trivial = await startTrivialServer();
  try {
    rows.push(...(await measure("trivial server (fixed JSON)", trivial.url, "-", bodies)));
  } finally {
    await trivial.close();
  }
  const loadAtEnd = loadAverage();
  report(rows, ep.modelVersion, ep.workers, loadAtStart, loadAtEnd);
}

function report(rows: Row[], version: string, workers: number, loadAtStart: string, loadAtEnd: string): void {
  const f = (n: number, d = 1) => n.toFixed(d);
  const trivial = (scenario: string) =>
    rows.find((r) => r.server.startsWith("trivial") && r.scenario === scenario)!;
  const table = [
    "| server | scenario | requests | req/s | p50 ms | p99 ms | mean ms | endpoint ms/call | req/s ÷ trivial | p99 ÷ trivial | non-2xx | errors |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => {
      const t = trivial(r.scenario);
      return `| ${r.server} | ${r.scenario} | ${r.requests} | ${f(r.rps)} | ${r.p50} | ${r.p99} | ${f(r.mean)} | ${r.endpointMsPerRequest === undefined ? "–" : f(r.endpointMsPerRequest)} | ${f(r.rps / t.rps, 3)} | ${f(r.p99 / Math.max(t.p99, 1), 1)} | ${r.non2xx} | ${r.errors} |`;
    }),
  ].join("\n");
  const real = (scenario: string) =>
    rows.find((r) => r.server.startsWith("API + local") && r.scenario === scenario)!;
  const one = real("1 series × 1 conn");
  const eight = real("1 series × 8 conn");
  const fifty = real("1 series × 50 conn");
  const hundred = real("100 series × 1 conn");
  const verdict = (ok: boolean) => (ok ? "met" : "**not met**");
  const goals = [
    "| goal (issue 17, API + local endpoint) | measured | |",
    "|---|---|---|",
    `| 1 series, 1 connection: p99 ≤ 20 ms | ${one.p99} ms | ${verdict(one.p99 <= 20)} |`,
    `| 8 connections: throughput ≥ 1.5 × 1 connection | ${f(eight.rps / one.rps, 2)} × (${f(eight.rps)} vs ${f(one.rps)} req/s) | ${verdict(eight.rps >= 1.5 * one.rps)} |`,
    `| 100 series per request: p99 ≤ 100 ms | ${hundred.p99} ms | ${verdict(hundred.p99 <= 100)} |`,
    `| 50 connections: p99 ≤ 1 s, no errors | ${fifty.p99} ms, ${fifty.non2xx} non-2xx, ${fifty.errors} errors | ${verdict(fifty.p99 <= 1000 && fifty.non2xx + fifty.errors === 0)} |`,
  ].join("\n");
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
  console.log(`\n${machine}; load ${loadAtStart} → ${loadAtEnd}\n\n${goals}\n\n${table}`);
  if (!WRITE) return;
  const doc = `# Local API benchmark (bench/api/run.ts)

POST /v1/forecasts (horizon 28, quantiles 0.1/0.5/0.9, one or 100 series) against the local API, ${DURATION} s per
scenario, autocannon in a child process. Data: the bundled pasta sample (118 daily series, last 400 days) as
series_state Parquet. Three servers are measured in the same run, one after the other, with the same load:

- **API + local endpoint**: \`warecast serve\`'s path: the API handler, the SageMaker Runtime SDK, and
  model/local_endpoint.py (gunicorn, ${workers} worker processes, model ${version}).
- **API + instant in-process endpoint**: the same API with an endpoint that answers at once: the API's own cost
  (routing, validation, series state, request building, response mapping).
- **trivial server**: a Node HTTP server answering a fixed JSON body: the ceiling of this machine and load
  generator. "÷ trivial" columns compare each row with it in the same scenario; they carry over from a busy machine
  better than the absolute numbers.

"endpoint ms/call" is the time the handler spent in one endpoint call, averaged on the server; a 100-series
request makes two calls of 50 at once (\`endpointSeriesPerCall\`), one per worker. Served-forecast records are built
as the API always builds them, then dropped (no disk writes, and no heap that grows over the run).

Machine: ${machine}. Load average (1 / 5 / 15 min) ${loadAtStart} at start, ${loadAtEnd} at end. Run with
\`flock /work/.heavy.lock node_modules/.bin/tsx bench/api/run.ts --write bench/api/RESULTS.md\` (the shared heavy-job lock),
on a machine shared with other work: the absolute numbers are pessimistic; re-run on a quiet machine.

${goals}

${table}
`;
  fs.writeFileSync(path.resolve(repoRoot, WRITE), doc);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
