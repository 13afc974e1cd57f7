import type { PredictDeps, RequestContext } from "./deps";
import { modelHealth } from "./health-route";
import { checkSeriesPath } from "./forecast-routes";
import { jsonResult, type ApiResult } from "./http";
import { UNCHANGED, type ObjectStore } from "./object-store";
import { ApiProblem } from "./problem";

/** Where the API finds a model version's metrics.json (the artifact's backtest; docs/model.md). */
export interface ModelMetricsSource {
  /** The parsed metrics.json of that version, or undefined when there is none. */
  metrics(version: string): Promise<unknown>;
}

/** Versions whose parsed metrics.json is kept (the live one, and a few a client may still ask about). */
const CACHED_METRICS = 4;

/**
 * metrics.json files in an object store, at `keyOf(version)`: locally `runs/<version>/model/metrics.json`, in AWS
 * `models/<version>/metrics.json` of the artifacts bucket (published by the promote function). A version
 * `keyOf` refuses (undefined) has no metrics.
 *
 * The file holds every series' backtest, and GET /v1/model/series reads one row of it per request, so the parsed
 * file is kept while its ETag (S3's; size and mtime locally) is unchanged: each call is one conditional GET
 * (If-None-Match on the kept ETag), which reads and parses the object only when it is new or changed. The parsed
 * object is shared: callers only read it.
 */
export function storeModelMetrics(
  store: ObjectStore,
  keyOf: (version: string) => string | undefined,
): ModelMetricsSource {
  // Built per call, not at module level: a captured Map does not survive the Lambda closure serializer.
  const cache = new Map<string, { etag: string; metrics: unknown }>();
  return {
    async metrics(version) {
      const key = keyOf(version);
      if (key === undefined) return undefined;
      const hit = cache.get(key);
      const obj = hit ? await store.getIfChanged(key, hit.etag) : await store.get(key);
      if (obj === UNCHANGED) return hit!.metrics;
      cache.delete(key);
      if (!obj) return undefined;
      const metrics = JSON.parse(new TextDecoder().decode(obj.body)) as unknown;
      cache.set(key, { etag: obj.etag, metrics });
      if (cache.size > CACHED_METRICS) cache.delete(cache.keys().next().value as string);
      return metrics;
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
  if (!deps.modelMetrics)
    return jsonResult(200, { ...base, backtest_detail: NO_ARTIFACTS, inventory_detail: NO_ARTIFACTS });
  const metrics = await deps.modelMetrics.metrics(model.version);
  const backtest = backtestOf(metrics);
  return jsonResult(200, {
    ...base,
    ...(backtest
      ? { backtest }
      : { backtest_detail: "this model version has no backtest (bootstrap baseline or --no-backtest)" }),
    ...inventoryOf(metrics),
  });
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
  if (!deps.modelMetrics)
    return jsonResult(200, { ...base, backtest_detail: NO_ARTIFACTS, inventory_detail: NO_ARTIFACTS });
  const metrics = await deps.modelMetrics.metrics(model.version);
  const row = seriesBacktestOf(metrics, params.warehouseId, params.sku);
  return jsonResult(200, {
    ...base,
    ...("detail" in row ? { backtest_detail: row.detail } : row),
    ...inventoryOf(metrics, `${params.warehouseId}/${params.sku}`),
  });
}

/** metrics.json's `inventory` (model/inventory.py): the inventory-policy backtest, or why it was skipped. */
interface InventoryMetrics {
  skipped?: unknown;
  settings?: Record<string, unknown>;
  policies?: Record<
    string,
    { pooled?: Record<string, unknown>; series?: Record<string, Record<string, unknown>> }
  >;
  goal?: GoalMetrics;
  matched?: {
    cycle_service_level?: MatchedRow[];
    fill_rate?: MatchedRow[];
    goal?: GoalMetrics;
  };
}
interface GoalMetrics {
  met?: unknown;
  checks?: Record<string, { met?: unknown }>;
}
interface MatchedRow {
  service?: unknown;
  avg_on_hand?: Record<string, unknown>;
}

const INVENTORY_SETTINGS = [
  "lead_time_days",
  "review_period_days",
  "service_level",
  "first_day",
  "last_day",
  "days",
  "reviews",
] as const;
const INVENTORY_SCORES = [
  "fill_rate",
  "cycle_service_level",
  "avg_on_hand",
  "units_days",
  "stockout_days",
  "orders",
] as const;
const NO_INVENTORY =
  "this model version has no inventory backtest (bootstrap baseline, --no-backtest, inventory=false, or older)";

const verdict = (v: unknown): boolean | null => (typeof v === "boolean" ? v : null);

function goalOf(g: GoalMetrics | undefined): Record<string, unknown> {
  return {
    met: verdict(g?.met),
    checks: Object.entries(g?.checks ?? {}).map(([check, c]) => ({ check, met: verdict(c?.met) })),
  };
}

/**
 * metrics.json's inventory backtest in the API's shape: pooled over every series (with the goal's checks and
 * the inventory at matched achieved service), or one series' rows when `seriesId` ("warehouse/sku") is given.
 */
export function inventoryOf(
  metrics: unknown,
  seriesId?: string,
): { inventory: Record<string, unknown> } | { inventory_detail: string } {
  const inv = (metrics as { inventory?: InventoryMetrics } | undefined)?.inventory;
  if (!inv?.policies || !inv.settings)
    return { inventory_detail: typeof inv?.skipped === "string" ? inv.skipped : NO_INVENTORY };
  const settings = Object.fromEntries(
    INVENTORY_SETTINGS.map((k) => [k, inv.settings![k]]).filter(([, v]) => v !== undefined),
  );
  const rows: Record<string, unknown>[] = [];
  for (const [policy, p] of Object.entries(inv.policies)) {
    const scores = seriesId === undefined ? p.pooled : p.series?.[seriesId];
    if (!scores) continue;
    rows.push({ policy, ...Object.fromEntries(INVENTORY_SCORES.map((k) => [k, num(scores[k])])) });
  }
  if (rows.length === 0)
    return {
      inventory_detail:
        "this series was not in the model's inventory backtest (new since the model was trained)",
    };
  if (seriesId !== undefined) return { inventory: { settings, policies: rows } };
  const matched = (["cycle_service_level", "fill_rate"] as const).flatMap((metric) =>
    (inv.matched?.[metric] ?? []).map((r) => ({
      metric,
      service: num(r.service),
      avg_on_hand: Object.fromEntries(Object.entries(r.avg_on_hand ?? {}).map(([k, v]) => [k, num(v)])),
    })),
  );
  return {
    inventory: {
      settings,
      policies: rows,
      goal: goalOf(inv.goal),
      ...(inv.matched ? { matched, matched_goal: goalOf(inv.matched.goal) } : {}),
    },
  };
}
