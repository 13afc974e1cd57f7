import { RISK_GRID, recommend, type DemandDistribution, type ReplenishmentInputs } from "../replenishment";
import type { PredictDeps, RequestContext } from "./deps";
import { parseCountedBody, tooManyForOneCall } from "./forecast-routes";
import { forecast, loadStates, logServed, toSeriesForecasts } from "./forecast-service";
import { jsonResult, type ApiEvent, type ApiResult } from "./http";
import { ApiProblem, type FieldError } from "./problem";
import { seriesKey } from "./series-state";
import type { RecommendationItemBody, RecommendationRequestBody } from "./types";

type InputField = keyof ReplenishmentInputs;
type Source = "request" | "item_master" | "series_state" | "default";

/** The endpoint accepts at most 99 quantile levels. */
const MAX_LEVELS = 99;

export function protectionWindowName(days: number): string {
  return `protection_${days}`;
}

/** Inputs for one item: request > item master > last known on hand (series_state) > stack defaults. */
async function resolveInputs(
  deps: PredictDeps,
  item: RecommendationItemBody,
  onHandFromData: number | null,
  field: string,
): Promise<{ inputs: ReplenishmentInputs; sources: Record<InputField, Source>; errors: FieldError[] }> {
  const master = await deps.itemMaster.defaultsFor(item.warehouse_id, item.sku);
  const defaults = deps.config.replenishmentDefaults;
  const sources = {} as Record<InputField, Source>;
  const errors: FieldError[] = [];
  const pick = (name: InputField, fallback: number | undefined, fallbackSource: Source): number => {
    const fromRequest = item[name];
    if (fromRequest !== undefined) {
      sources[name] = "request";
      return fromRequest;
    }
    const fromMaster = (master as Partial<Record<InputField, number>>)[name];
    if (fromMaster !== undefined) {
      sources[name] = "item_master";
      return fromMaster;
    }
    sources[name] = fallbackSource;
    return fallback ?? 0;
  };
  const inputs: ReplenishmentInputs = {
    lead_time_days: pick("lead_time_days", defaults.lead_time_days, "default"),
    review_period_days: pick("review_period_days", defaults.review_period_days, "default"),
    service_level: pick("service_level", defaults.service_level, "default"),
    on_hand: pick("on_hand", onHandFromData ?? undefined, "series_state"),
    on_order: pick("on_order", 0, "default"),
    moq: pick("moq", defaults.moq, "default"),
    pack_size: pick("pack_size", defaults.pack_size, "default"),
  };
  if (item.on_hand === undefined && sources.on_hand === "series_state" && onHandFromData === null) {
    errors.push({
      field: `${field}/on_hand`,
      message: "is required: the data has no inventory snapshot for this series",
    });
  }
  const protection = inputs.lead_time_days + inputs.review_period_days;
  if (protection < 1) {
    errors.push({
      field: `${field}/review_period_days`,
      message: "lead_time_days + review_period_days must be at least 1",
    });
  } else if (protection > deps.config.maxHorizonDays) {
    errors.push({
      field: `${field}/lead_time_days`,
      message: `lead_time_days + review_period_days must be <= ${deps.config.maxHorizonDays} (the forecast horizon limit)`,
    });
  }
  return { inputs, sources, errors };
}

export async function createRecommendations(
  deps: PredictDeps,
  event: ApiEvent,
  ctx: RequestContext,
): Promise<ApiResult> {
  const limit = deps.config.maxSeriesPerRequest;
  const body = parseCountedBody<RecommendationRequestBody>(
    deps,
    event,
    "RecommendationRequest",
    "items",
    limit,
    tooManyForOneCall(limit),
  );

  const states = await loadStates(deps, body.items);
  const resolved = await Promise.all(
    body.items.map((item, i) => resolveInputs(deps, item, states[i].on_hand, `/body/items/${i}`)),
  );
  const errors = resolved.flatMap((r) => r.errors);
  if (errors.length > 0) throw new ApiProblem("invalid", "Some items cannot be advised on.", { errors });

  const protections = [
    ...new Set(resolved.map((r) => r.inputs.lead_time_days + r.inputs.review_period_days)),
  ];
  const horizon = Math.min(
    deps.config.maxHorizonDays,
    Math.max(deps.config.defaultHorizonDays, ...protections),
  );
  const levels = new Set<number>(RISK_GRID);
  for (const r of resolved) if (levels.size < MAX_LEVELS) levels.add(r.inputs.service_level);
  const outcome = await forecast(
    deps,
    body.items.map((i) => ({ warehouse_id: i.warehouse_id, sku: i.sku })),
    {
      horizon,
      quantiles: [...levels].sort((a, b) => a - b),
      windows: protections.map((p) => ({ name: protectionWindowName(p), start: 1, end: p })),
    },
    "/body/items",
  );
  const byId = new Map(outcome.response.series.map((s) => [s.id, s]));
  const recommendations = outcome.states.map((state, i) => {
    const { inputs, sources } = resolved[i];
    const s = byId.get(seriesKey(state.warehouse_id, state.sku))!;
    const p = inputs.lead_time_days + inputs.review_period_days;
    const window = s.windows.find((w) => w.name === protectionWindowName(p));
    if (!window) throw new ApiProblem("badGateway", `The forecast endpoint returned no window for ${s.id}.`);
    const dist: DemandDistribution = {
      kind: "window_quantiles",
      mean: window.mean,
      quantiles: window.quantiles,
    };
    const advice = recommend(
      inputs,
      dist,
      s.forecast.map((f) => f.mean),
    );
    return {
      warehouse_id: state.warehouse_id,
      sku: state.sku,
      method: s.method,
      inputs: { ...inputs, sources },
      ...advice,
    };
  });
  deps.obs.metrics.addMetric("Recommendations", "Count", recommendations.length);
  deps.obs.metrics.addMetric("EndpointLatency", "Milliseconds", outcome.stats.elapsedMs);
  // Advice rests on a forecast: log it too, so its accuracy is measured like any other served forecast.
  await logServed(deps, ctx, outcome.response.model_version, toSeriesForecasts(outcome));
  return jsonResult(200, {
    request_id: ctx.requestId,
    model_version: outcome.response.model_version,
    model_kind: outcome.response.model_kind,
    generated_at: ctx.now.toISOString(),
    recommendations,
  });
}
