import type { PredictDeps, RequestContext } from "./deps";
import { modelHealth } from "./health-route";
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

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** metrics.json → the API's Backtest shape, or undefined when the file holds no backtest scores. */
export function backtestOf(metrics: unknown): Record<string, unknown> | undefined {
  const m = metrics as {
    primary_metric?: unknown;
    setup?: { freq?: unknown; horizon?: unknown; origins?: unknown; series?: unknown; windows?: unknown };
    metrics?: Record<string, Record<string, unknown>>;
  };
  if (!m?.setup || !m.metrics || Object.keys(m.metrics).length === 0) return undefined;
  const names = Object.keys(m.metrics).sort((a, b) => {
    const ia = ORDER.indexOf(a);
    const ib = ORDER.indexOf(b);
    return (ia < 0 ? ORDER.length : ia) - (ib < 0 ? ORDER.length : ib) || a.localeCompare(b);
  });
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

/** `GET /v1/model`: the version the endpoint serves (asked of the endpoint) and that version's backtest. */
export async function getModel(deps: PredictDeps, ctx: RequestContext): Promise<ApiResult> {
  const model = await modelHealth(deps, ctx.now);
  if (!model.available || !model.version)
    throw new ApiProblem("unavailable", model.detail ?? "The forecast endpoint is not available.", {
      retryAfterSeconds: deps.config.retryAfterSeconds,
    });
  const base = { model_version: model.version, model_kind: model.kind ?? "unknown" };
  if (!deps.modelMetrics)
    return jsonResult(200, {
      ...base,
      backtest_detail: "this deployment does not give the API its model artifacts",
    });
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
