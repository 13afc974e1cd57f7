/** Shared fixtures of the API tests: the spec, an in-memory store, a contract-following fake endpoint, Parquet. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { Logger } from "@aws-lambda-powertools/logger";
import { createObservability, type Observability } from "../../functions/powertools";
import { createApiAjv, createEndpointAjv } from "../../functions/predict/ajv";
import { buildPredictDeps } from "../../functions/predict/build-deps";
import { DEFAULT_PREDICT_CONFIG, type PredictConfig } from "../../functions/predict/config";
import type { PredictDeps } from "../../functions/predict/deps";
import type {
  EndpointRequest,
  EndpointResponse,
  ForecastEndpoint,
} from "../../functions/predict/endpoint-client";
import { UNCHANGED, type ObjectInfo, type ObjectStore } from "../../functions/predict/object-store";
import { MemoryServedForecastLog } from "../../functions/predict/served-log";
import type { JobMessage, JobQueue } from "../../functions/forecast-jobs";
import { FsObjectStore } from "../../cli/local-api/fs-object-store";
import { loadParquetDecoder } from "../../cli/local-api/parquet";
import { loadOpenApi } from "../../cli/local-api/spec";
import { recordEmf, type EmittedMetric } from "../support/metric-contract";

export const repoRoot = path.resolve(__dirname, "..", "..");
export const spec = loadOpenApi();

/** ajv for the endpoint contract (JSON Schema 2020-12), as the model's own tests read it. */
const endpointAjv = new Ajv2020({ allErrors: true, strict: false });
addFormats(endpointAjv);
endpointAjv.addSchema(
  JSON.parse(fs.readFileSync(path.join(repoRoot, "schemas", "endpoint.schema.json"), "utf8")),
);
const EP = "https://warecast.dev/schemas/endpoint.schema.json";
export const validateEndpointRequest = endpointAjv.getSchema(`${EP}#/$defs/request`)!;
export const validateEndpointResponse = endpointAjv.getSchema(`${EP}#/$defs/response`)!;

/** Every metric the predict handlers published through quietObservability in the importing test file. */
export const EMITTED: EmittedMetric[] = [];

/** Powertools with the logger at WARN: the tests' output keeps errors and warnings only; EMF is captured. */
export function quietObservability(): Observability {
  const obs = createObservability("warecast-api-test");
  recordEmf(obs.metrics, EMITTED);
  return { ...obs, logger: new Logger({ serviceName: "warecast-api-test", logLevel: "WARN" }) };
}

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Uint8Array; etag: number; at: Date }>();
  private counter = 0;
  gets = 0;
  conditionalGets = 0;

  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([key, o]) => ({ key, etag: String(o.etag), size: o.body.length, lastModified: o.at }));
  }
  async get(key: string) {
    this.gets++;
    const o = this.objects.get(key);
    return o ? { body: o.body, etag: String(o.etag) } : undefined;
  }
  async getIfChanged(key: string, etag: string) {
    this.conditionalGets++;
    const o = this.objects.get(key);
    return o && String(o.etag) === etag ? UNCHANGED : this.get(key);
  }
  async put(key: string, body: string | Uint8Array): Promise<void> {
    this.objects.set(key, {
      body: typeof body === "string" ? new TextEncoder().encode(body) : body,
      etag: ++this.counter,
      at: new Date(Date.now() + this.counter),
    });
  }
  async presign(key: string, ttl: number): Promise<string> {
    return `https://jobs.example/${key}?expires=${ttl}`;
  }
}

const levelKey = (q: number) => String(q);

/**
 * A fake endpoint that follows schemas/endpoint.schema.json: it validates each request (as the real handler
 * does) and answers a deterministic forecast — the mean of the last 28 observed days, Poisson-like spread, and
 * window quantiles from the sum's own spread (not sums of daily quantiles). Its answers are validated too.
 */
export class FakeEndpoint implements ForecastEndpoint {
  readonly requests: EndpointRequest[] = [];
  /** Thrown instead of answering, once each, in order. */
  readonly failures: unknown[] = [];
  modelVersion = "2026-11-28T05-00-00Z-test";
  modelKind: EndpointResponse["model_kind"] = "global-gbm";

  async invoke(request: EndpointRequest) {
    this.requests.push(request);
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (!validateEndpointRequest(request)) {
      throw new Error(
        `fake endpoint: request breaks the contract: ${JSON.stringify(validateEndpointRequest.errors)}`,
      );
    }
    const response = fakeForecast(request, this.modelVersion, this.modelKind);
    if (!validateEndpointResponse(response)) {
      throw new Error(
        `fake endpoint: own answer breaks the contract: ${JSON.stringify(validateEndpointResponse.errors)}`,
      );
    }
    return { response, stats: { attempts: 1, elapsedMs: 1 } };
  }
}

/** z-scores of a normal approximation, clipped at zero and rounded so quantiles never cross. */
function spread(mean: number, q: number): number {
  // Inverse normal CDF (Acklam's rational approximation is overkill here; a logistic fit is monotone and enough).
  const z = Math.log(q / (1 - q)) / 1.702;
  return Math.max(0, Math.round((mean + z * Math.sqrt(Math.max(mean, 0.25))) * 1000) / 1000);
}

export function fakeForecast(
  request: EndpointRequest,
  modelVersion: string,
  modelKind: EndpointResponse["model_kind"],
): EndpointResponse {
  const quantiles = [...request.quantiles];
  return {
    model_version: modelVersion,
    model_kind: modelKind,
    freq: request.freq,
    horizon: request.horizon,
    quantiles,
    series: request.series.map((s) => {
      const observed = s.history.units.filter((u): u is number => u !== null).slice(-28);
      const mean = observed.length ? Math.max(0, observed.reduce((a, b) => a + b, 0) / observed.length) : 1;
      const last = Date.parse(`${s.history.start}T00:00:00Z`) + (s.history.units.length - 1) * 86_400_000;
      const boost = (step: number) => (s.future?.promo?.[step - 1] ? 1.5 : 1);
      const daily = Array.from(
        { length: request.horizon },
        (_, i) => Math.round(mean * boost(i + 1) * 1000) / 1000,
      );
      return {
        id: s.id,
        method: observed.length < 7 ? "cold-start" : "global-gbm",
        forecast: daily.map((m, i) => ({
          date: new Date(last + (i + 1) * 86_400_000).toISOString().slice(0, 10),
          step: i + 1,
          mean: m,
          quantiles: Object.fromEntries(quantiles.map((q) => [levelKey(q), spread(m, q)])),
        })),
        windows: (request.windows ?? []).map((w) => {
          const total = daily.slice(w.start - 1, w.end).reduce((a, b) => a + b, 0);
          return {
            ...w,
            mean: Math.round(total * 1000) / 1000,
            quantiles: Object.fromEntries(quantiles.map((q) => [levelKey(q), spread(total, q)])),
          };
        }),
        samples: [],
      };
    }),
  };
}

export interface SeriesFixture {
  warehouse_id: string;
  sku: string;
  start_date: string;
  units: number[];
  on_hand?: number | null;
  promo?: boolean[];
}

/** Writes series_state Parquet with pyarrow (tests/functions/predict_fixtures.py) under `dir`. */
export function writeSeriesState(dir: string, rows: SeriesFixture[]): void {
  const out = spawnSync(
    path.join(repoRoot, ".venv", "bin", "python"),
    [path.join(__dirname, "predict_fixtures.py"), dir],
    {
      input: JSON.stringify(rows),
      encoding: "utf8",
    },
  );
  if (out.status !== 0) throw new Error(`predict_fixtures.py failed: ${out.stderr}`);
}

/** A few series: steady, promo-driven, sparse, and one without an inventory snapshot. */
export function standardSeries(): SeriesFixture[] {
  const days = 120;
  const wave = (i: number) => 5 + Math.round(3 * Math.sin(i / 3));
  return [
    {
      warehouse_id: "WH1",
      sku: "SKU-1",
      start_date: "2018-01-01",
      units: Array.from({ length: days }, (_, i) => wave(i)),
      on_hand: 40,
    },
    {
      warehouse_id: "WH1",
      sku: "SKU-2",
      start_date: "2018-01-01",
      units: Array.from({ length: days }, (_, i) => (i % 10 === 0 ? 3 : 0)),
      on_hand: 2,
    },
    { warehouse_id: "WH1", sku: "SKU-3", start_date: "2018-04-20", units: [1, 2, 0], on_hand: null },
    {
      warehouse_id: "WH2",
      sku: "SKU-1",
      start_date: "2018-01-01",
      units: Array.from({ length: days }, (_, i) => 20 + (i % 7)),
      on_hand: 500,
    },
  ];
}

export class RecordingQueue implements JobQueue {
  readonly messages: JobMessage[] = [];
  async enqueue(m: JobMessage): Promise<void> {
    this.messages.push(m);
  }
}

export interface TestDeps {
  deps: PredictDeps;
  endpoint: FakeEndpoint;
  servedLog: MemoryServedForecastLog;
  processed: FsObjectStore;
  jobsStore: MemoryObjectStore;
  queue: RecordingQueue;
  workspace: string;
}

/** Deps over a temp workspace with the standard series written as Parquet. */
export function makeTestDeps(
  config: Partial<PredictConfig> = {},
  rows: SeriesFixture[] = standardSeries(),
): TestDeps {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-api-"));
  const processedDir = path.join(workspace, "processed");
  if (rows.length > 0) writeSeriesState(processedDir, rows);
  const endpoint = new FakeEndpoint();
  const servedLog = new MemoryServedForecastLog();
  const processed = new FsObjectStore(processedDir);
  const jobsStore = new MemoryObjectStore();
  const queue = new RecordingQueue();
  const deps = buildPredictDeps({
    ajv: createApiAjv(),
    endpointAjv: createEndpointAjv(),
    spec,
    config: { ...DEFAULT_PREDICT_CONFIG, ...config },
    processed,
    jobsStore,
    jobQueue: queue,
    endpoint,
    servedLog,
    decodeParquet: loadParquetDecoder(),
    obs: quietObservability(),
  });
  return { deps, endpoint, servedLog, processed, jobsStore, queue, workspace };
}

/** An API Gateway REST proxy event for a route. */
export function apiEvent(
  method: string,
  pathAndQuery: string,
  body?: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyEvent {
  const url = new URL(pathAndQuery, "https://api.example");
  const query = Object.fromEntries(url.searchParams);
  return {
    resource: url.pathname,
    path: url.pathname,
    httpMethod: method,
    // A client sending a body says what it is (the API answers 415 otherwise).
    headers: {
      Host: "api.example",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: "req-test-1", stage: "v1" } as APIGatewayProxyEvent["requestContext"],
  };
}

/** One policy's scores as model/inventory.py writes them into metrics.json's `inventory` (pooled or one series). */
export function replayScores(fill: number, csl: number, stock: number, stockoutDays: number, days = 105) {
  return {
    demand: 1000,
    sold: 1000 * fill,
    lost: 1000 * (1 - fill),
    fill_rate: fill,
    cycles: 15,
    cycles_without_stockout: Math.round(15 * csl),
    cycle_service_level: csl,
    avg_on_hand: stock,
    units_days: stock * days,
    stockout_days: stockoutDays,
    stockout_day_share: 0.01,
    orders: 12,
    units_ordered: 1000,
  };
}

/** metrics.json's `inventory.settings` (model/inventory.py) at the API's defaults, dates and counts given. */
export function replaySettings(first: string, last: string, series: number) {
  return {
    lead_time_days: 7,
    review_period_days: 7,
    service_level: 0.95,
    moq: 0,
    pack_size: 1,
    first_day: first,
    last_day: last,
    days: 112,
    reviews: 16,
    series,
    unobserved_series_days: 0,
    sample_paths: 1000,
    trailing_days: 28,
    sweep_levels: [0.9, 0.95, 0.99],
  };
}
