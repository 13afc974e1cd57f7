import type { PredictDeps, RequestContext } from "./deps";
import { modelHealth } from "./health-route";
import { checkSeriesPath } from "./forecast-routes";
import { jsonResult, type ApiResult } from "./http";
import type { ObjectStore } from "./object-store";
import { ApiProblem } from "./problem";

/** Where the API finds a model version's metrics.json (the artifact's backtest; docs/model.md). */
export interface ModelMetricsSource {
  /** The parsed metrics.json of that version, or undefined when there is none. */
  metrics(version: string): Promise<unknown>;
}

/**
 * metrics.json files in an object store, at `keyOf(version)`: locally `runs/<version>/model/metrics.json`, in AWS
 * `models/<version>/metrics.json` of the artifacts bucket (published by the promote function). A version
 * `keyOf` refuses (undefined) has no metrics.
 */
export function storeModelMetrics(
  store: ObjectStore,
  keyOf: (version: string) => string | undefined,
): ModelMetricsSource {
  return {
    async metrics(version) {
      const key = keyOf(version);
      if (key === undefined) return undefined;
      const obj = await store.get(key);
      return obj ? (JSON.parse(new TextDecoder().decode(obj.body)) as unknown) : undefined;
    },
  };
}

/** The order the backtest table lists methods in (model/report.py ORDER), then any others. */
const ORDER = ["model", "champion", "seasonal_naive_empirical", "auto_ets", "ets", "seasonal_naive", "naive"];
const SCORES = ["mase", "rmsse", "wape", "bias", "pinball", "coverage_80"] as const;

function byMethodOrder(a: string, b: string): number {
  const ia = ORDER.indexOf(a);
  const ib = ORDER.indexOf(b);
  return (ia < 0 ? ORDER.length : ia) - (ib < 0 ? ORDER.length : ib) || a.localeCompare(b);
}

const NO_ARTIFACTS = "this deployment does not give the API its model artifacts";

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** metrics.json → the API's Backtest shape, or undefined when the file holds no backtest scores. */
export function backtestOf(metrics: unknown): Record<string, unknown> | undefined {
  const m = metrics as {
    primary_metric?: unknown;
    setup?: { freq?: unknown; horizon?: unknown; origins?: unknown; series?: unknown; windows?: unknown };
    metrics?: Record<string, Record<string, unknown>>;
  };
  if (!m?.setup || !m.metrics || Object.keys(m.metrics).length === 0) return undefined;
  const names = Object.keys(m.metrics).sort(byMethodOrder);
  const windows = Array.isArray(m.setup.windows)
    ? (m.setup.windows as Record<string, unknown>[]).map((w) => ({
        origin: String(w.origin),
        first: String(w.first),
        last: String(w.last),
      }))
    : undefined;
  return {
    primary_metric: typeof m.primary_metric === "string" ? m.primary_metric : "rmsse",
    freq: String(m.setup.freq ?? "D"),
    horizon: Number(m.setup.horizon ?? 0),
    origins: Number(m.setup.origins ?? 0),
    series: Number(m.setup.series ?? 0),
    ...(windows ? { windows } : {}),
    methods: names.map((method) => {
      const row = m.metrics![method];
      const points = num(row.points);
      return {
        method,
        ...Object.fromEntries(SCORES.map((k) => [k, num(row[k])])),
        ...(points !== null ? { points: Math.round(points) } : {}),
      };
    }),
  };
}

/** The version the endpoint serves, or 503 when it does not answer. */
async function servedModel(
  deps: PredictDeps,
  ctx: RequestContext,
): Promise<{ version: string; kind?: string }> {
  const model = await modelHealth(deps, ctx.now);
  if (!model.available || !model.version)
    throw new ApiProblem("unavailable", model.detail ?? "The forecast endpoint is not available.", {
      retryAfterSeconds: deps.config.retryAfterSeconds,
    });
  return { version: model.version, kind: model.kind };
}

/** `GET /v1/model`: the version the endpoint serves (asked of the endpoint) and that version's backtest. */
export async function getModel(deps: PredictDeps, ctx: RequestContext): Promise<ApiResult> {
  const model = await servedModel(deps, ctx);
  const base = { model_version: model.version, model_kind: model.kind ?? "unknown" };
  if (!deps.modelMetrics) return jsonResult(200, { ...base, backtest_detail: NO_ARTIFACTS });
  const backtest = backtestOf(await deps.modelMetrics.metrics(model.version));
  return jsonResult(
    200,
    backtest
      ? { ...base, backtest }
      : {
          ...base,
          backtest_detail: "this model version has no backtest (bootstrap baseline or --no-backtest)",
        },
  );
}

/** metrics.json's `series_metrics` (model/backtest.py): column-wise per-series scores. */
interface SeriesMetrics {
  ids?: unknown;
  method?: unknown;
  metrics?: Record<string, Record<string, unknown>>;
}

const SERIES_SCORES = ["mase", "rmsse", "wape", "bias"] as const;

/** One series' row of metrics.json's per-series backtest, or a sentence saying why there is none. */
export function seriesBacktestOf(
  metrics: unknown,
  warehouseId: string,
  sku: string,
): { method?: string; scores: Record<string, unknown>[] } | { detail: string } {
  const per = (metrics as { series_metrics?: SeriesMetrics } | undefined)?.series_metrics;
  if (!per || !Array.isArray(per.ids) || !per.metrics)
    return {
      detail: "this model version has no per-series backtest (bootstrap baseline, --no-backtest, or older)",
    };
  const i = per.ids.indexOf(`${warehouseId}/${sku}`);
  if (i < 0)
    return { detail: "this series was not in the model's backtest (new since the model was trained)" };
  const names = Object.keys(per.metrics).sort(byMethodOrder);
  const method = Array.isArray(per.method) && typeof per.method[i] === "string" ? per.method[i] : undefined;
  return {
    ...(method ? { method } : {}),
    scores: names.map((name) => {
      const col = per.metrics![name];
      const at = (k: string) => (Array.isArray(col[k]) ? num(col[k][i]) : null);
      return {
        method: name,
        ...Object.fromEntries(SERIES_SCORES.map((k) => [k, at(k)])),
        points: Math.max(0, Math.round(at("points") ?? 0)),
      };
    }),
  };
}

/** `GET /v1/model/series/{warehouseId}/{sku}`: the served version's backtest errors on one series. */
export async function getSeriesModel(
  deps: PredictDeps,
  ctx: RequestContext,
  params: Record<string, string>,
): Promise<ApiResult> {
  checkSeriesPath(deps, params);
  const model = await servedModel(deps, ctx);
  const base = {
    model_version: model.version,
    model_kind: model.kind ?? "unknown",
    warehouse_id: params.warehouseId,
    sku: params.sku,
  };
  if (!deps.modelMetrics) return jsonResult(200, { ...base, backtest_detail: NO_ARTIFACTS });
  const row = seriesBacktestOf(
    await deps.modelMetrics.metrics(model.version),
    params.warehouseId,
    params.sku,
  );
  return jsonResult(200, "detail" in row ? { ...base, backtest_detail: row.detail } : { ...base, ...row });
}
