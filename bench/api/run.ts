/**
 * Local API benchmark: latency (p50, p99) and throughput of POST /v1/forecasts for 1 and 100 series per request,
 * with autocannon, against the real local endpoint (model/local_endpoint.py, bootstrap baseline) over the real
 * SageMaker Runtime SDK. The server times every endpoint call, so the report says how much of each request is the
 * endpoint; a second run with an in-process instant endpoint (same handler, no model) is the baseline that shows
 * the API's own cost.
 *
 * Usage: nice -n 10 node_modules/.bin/tsx bench/api/run.ts [--duration 10] [--write bench/api/RESULTS.md]
 * Data: the bundled pasta sample (118 daily series, last 400 days) as series_state Parquet in bench/out/api/.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { artifactToServe, startEndpointProcess } from "../../cli/local-api/endpoint-process";
import { startLocalApi } from "../../cli/local-api/server";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import {
  EndpointClient,
  type EndpointRequest,
  type ForecastEndpoint,
} from "../../functions/predict/endpoint-client";
import { MemoryServedForecastLog } from "../../functions/predict/served-log";

/** The part of autocannon's API this benchmark uses (the package ships no type declarations). */
interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as (options: {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
  timeout: number;
}) => Promise<AutocannonResult>;

const repoRoot = path.resolve(__dirname, "..", "..");
const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const DURATION = Number(flag("--duration", "10"));
const WRITE = flag("--write", "");
const CONNECTIONS = 4;

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

/** An endpoint that answers at once with a flat forecast (the baseline: the API's cost without a model). */
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
    {
      input: JSON.stringify(series),
      encoding: "utf8",
    },
  );
  if (out.status !== 0) throw new Error(out.stderr);
  return series.map((s) => s.sku);
}

interface Result {
  scenario: string;
  endpoint: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number;
  endpointShare: number;
  endpointMsPerRequest: number;
}

async function measure(
  url: string,
  key: string,
  body: string,
  timed: TimedEndpoint,
  label: string,
  endpointLabel: string,
): Promise<Result> {
  // Warm-up: Parquet decode and caches, the model's first load.
  for (let i = 0; i < 3; i++)
    await fetch(`${url}/v1/forecasts`, {
      method: "POST",
      headers: { "x-api-key": key, "content-type": "application/json" },
      body,
    });
  timed.totalMs = 0;
  timed.calls = 0;
  const r = await autocannon({
    url: `${url}/v1/forecasts`,
    method: "POST",
    headers: { "x-api-key": key, "content-type": "application/json" },
    body,
    connections: CONNECTIONS,
    duration: DURATION,
    // Longer than the API's own endpoint budget (20 s), so slow answers are measured, not cut off.
    timeout: 30,
  });
  const requests = r.requests.total;
  const totalLatencyMs = r.latency.mean * requests;
  return {
    scenario: label,
    endpoint: endpointLabel,
    requests,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: r.latency.mean,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    endpointShare: totalLatencyMs > 0 ? timed.totalMs / totalLatencyMs : 0,
    endpointMsPerRequest: timed.calls ? timed.totalMs / timed.calls : 0,
  };
}

// The benchmark measures the API, not EMF lines on stdout.
process.env.POWERTOOLS_METRICS_DISABLED = "true";
const quietObs = () => ({
  logger: new Logger({ serviceName: "bench", logLevel: "ERROR" }),
  metrics: new Metrics({ namespace: "Warecast", serviceName: "bench" }),
  tracer: new Tracer({ serviceName: "bench", enabled: false }),
});

async function main(): Promise<void> {
  const workspace = path.join(repoRoot, "bench/out/api");
  fs.rmSync(path.join(workspace, "processed"), { recursive: true, force: true });
  const skus = writeSeriesState(path.join(workspace, "processed"));
  const bodies = {
    "1 series": JSON.stringify({ series: [{ warehouse_id: "STORE1", sku: skus[0] }] }),
    "100 series": JSON.stringify({
      series: skus.slice(0, 100).map((sku) => ({ warehouse_id: "STORE1", sku })),
    }),
  };
  const { artifact } = await artifactToServe(workspace);
  const ep = await startEndpointProcess(artifact, 0);
  const results: Result[] = [];
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
    for (const [endpointLabel, endpoint] of [
      [`local endpoint (${ep.modelVersion})`, real],
      ["instant in-process (baseline)", fake],
    ] as const) {
      // Served-forecast logging in memory: the benchmark measures the API path, not gzip writes to disk.
      const api = await startLocalApi({
        workspace,
        port: 0,
        endpoint,
        servedLog: new MemoryServedForecastLog(),
        obs: quietObs(),
        config: { maxSeriesPerRequest: 100 },
      });
      try {
        for (const [label, body] of Object.entries(bodies)) {
          const r = await measure(api.url, api.apiKey, body, endpoint, label, endpointLabel);
          results.push(r);
          console.log(JSON.stringify(r));
        }
      } finally {
        await api.close();
      }
    }
  } finally {
    await ep.stop();
  }
  const f = (n: number, d = 1) => n.toFixed(d);
  const table = [
    "| series/request | endpoint | requests | req/s | p50 ms | p99 ms | mean ms | endpoint ms/request | endpoint share | non-2xx | errors |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...results.map(
      (r) =>
        `| ${r.scenario} | ${r.endpoint} | ${r.requests} | ${f(r.rps)} | ${r.p50} | ${r.p99} | ${f(r.mean)} | ${f(r.endpointMsPerRequest)} | ${f(100 * r.endpointShare, 0)}% | ${r.non2xx} | ${r.errors} |`,
    ),
  ].join("\n");
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, load average at start ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;
  console.log(`\n${machine}\n\n${table}`);
  if (WRITE) {
    const doc = `# Local API benchmark (bench/api/run.ts)

POST /v1/forecasts (horizon 28, quantiles 0.1/0.5/0.9) against the local API, ${CONNECTIONS} connections, ${DURATION} s per
scenario, autocannon. Data: the bundled pasta sample (118 daily series, last 400 days) as series_state Parquet.
"endpoint share" is the time the handler spent in the endpoint call (summed on the server) over the total
request latency. The baseline row uses an in-process endpoint that answers at once, so the difference between
the two is the model's (and the HTTP hop's) cost and the baseline is the API's own: routing, validation,
Parquet-backed series state (cached), request building and response mapping.

Machine: ${machine}. Run with \`nice -n 10 node_modules/.bin/tsx bench/api/run.ts --write bench/api/RESULTS.md\`
on a machine shared with other work, so absolute numbers are noisy; the ratios within one run are the result.

${table}
`;
    fs.writeFileSync(path.resolve(repoRoot, WRITE), doc);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
