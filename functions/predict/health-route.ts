import type { PredictDeps, RequestContext } from "./deps";
import type { ForecastEndpoint } from "./endpoint-client";
import { jsonResult, type ApiResult } from "./http";
import { ApiProblem } from "./problem";
import { addMetric } from "../metric-catalogue";

export const RUNS_PREFIX = "runs/";
const MODEL_PROBE_TTL_MS = 60_000;

export interface ModelHealth {
  available: boolean;
  version?: string;
  kind?: string;
  detail?: string;
}

interface DataHealth {
  available: boolean;
  last_run_id?: string;
  last_run_finished_at?: string;
  age_hours?: number;
  stale?: boolean;
}

/** The newest ETL run manifest (runs/<run_id>.json) and how old its data is. */
export async function dataHealth(deps: PredictDeps, now: Date): Promise<DataHealth> {
  const manifests = (await deps.processed.list(RUNS_PREFIX)).filter((o) => o.key.endsWith(".json"));
  if (manifests.length === 0) return { available: await deps.seriesState.hasData() };
  const newest = manifests.reduce((a, b) => (b.lastModified > a.lastModified ? b : a));
  const obj = await deps.processed.get(newest.key);
  let manifest: { run_id?: unknown; finished_at?: unknown } = {};
  try {
    manifest = obj ? JSON.parse(new TextDecoder().decode(obj.body)) : {};
  } catch {
    deps.obs.logger.warn("unreadable run manifest", { key: newest.key });
  }
  const finished =
    typeof manifest.finished_at === "string" && !Number.isNaN(Date.parse(manifest.finished_at))
      ? new Date(manifest.finished_at)
      : newest.lastModified;
  const ageHours = Math.max(0, (now.getTime() - finished.getTime()) / 3_600_000);
  return {
    available: await deps.seriesState.hasData(),
    last_run_id:
      typeof manifest.run_id === "string" ? manifest.run_id : newest.key.slice(RUNS_PREFIX.length, -5),
    last_run_finished_at: finished.toISOString(),
    age_hours: Math.round(ageHours * 100) / 100,
    stale: ageHours > deps.config.staleAfterHours,
  };
}

/**
 * The last model probe, held by the deps (built once per container), so a warm function checks the model at most
 * once a minute. It lives there rather than in a module-level cache: a captured Map or WeakMap does not survive the
 * Lambda closure serializer (docs/foundation.md).
 */
export interface ModelProbeCache {
  last?: { readonly endpoint: ForecastEndpoint; readonly at: number; readonly health: ModelHealth };
}

/**
 * Asks the endpoint for a one-step forecast of a synthetic series: the cheapest call that proves it answers and
 * tells its model version. Cached for a minute so health checks do not load the endpoint.
 */
export async function modelHealth(deps: PredictDeps, now: Date): Promise<ModelHealth> {
  const cached = deps.modelProbe.last;
  if (cached?.endpoint === deps.endpoint && now.getTime() - cached.at < MODEL_PROBE_TTL_MS)
    return cached.health;
  let health: ModelHealth;
  try {
    const { response } = await deps.endpoint.invoke({
      freq: "D",
      horizon: 1,
      quantiles: [0.5],
      series: [{ id: "health-probe", history: { start: "2000-01-01", units: [0, 0, 0, 0, 0, 0, 0] } }],
    });
    health = { available: true, version: response.model_version, kind: response.model_kind };
  } catch (err) {
    health = { available: false, detail: err instanceof ApiProblem ? err.detail : "endpoint check failed" };
    if (!(err instanceof ApiProblem)) deps.obs.logger.error("model probe failed", { error: err as Error });
  }
  deps.modelProbe.last = { endpoint: deps.endpoint, at: now.getTime(), health };
  return health;
}

export async function getHealth(deps: PredictDeps, ctx: RequestContext): Promise<ApiResult> {
  const [model, data] = await Promise.all([modelHealth(deps, ctx.now), dataHealth(deps, ctx.now)]);
  const servedLog = deps.servedLogTally;
  const status =
    !model.available || !data.available
      ? "unavailable"
      : data.stale || model.kind === "bootstrap-baseline" || servedLog.failing
        ? "degraded"
        : "ok";
  addMetric(deps.obs.metrics, "HealthOk", status === "ok" ? 1 : 0);
  return jsonResult(200, {
    status,
    checked_at: ctx.now.toISOString(),
    model,
    data,
    served_log: servedLog.view(),
  });
}
