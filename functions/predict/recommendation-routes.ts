import { RISK_GRID, recommend, type DemandDistribution, type ReplenishmentInputs } from "../replenishment";
import type { PredictDeps, RequestContext } from "./deps";
import { parseCountedBody, tooManyForOneCall } from "./forecast-routes";
import { forecast, loadStates, logServed, oneModel, toSeriesForecasts } from "./forecast-service";
import { jsonResult, type ApiEvent, type ApiResult } from "./http";
import { ApiProblem } from "./problem";
import { seriesKey } from "./series-state";
import type { RecommendationItemBody, RecommendationRequestBody } from "./types";
import { addMetric } from "../metric-catalogue";

type InputField = keyof ReplenishmentInputs;
type Source = "request" | "item_master" | "series_state" | "default";

/** The endpoint accepts at most 99 quantile levels. */
const MAX_LEVELS = 99;

export function protectionWindowName(days: number): string {
  return `protection_${days}`;
}

/**
 * Inputs for one item: request > item master > last known on hand (series_state) > stack defaults. On hand with
 * neither a request value, an item master value nor an inventory snapshot is 0 (source `default`): the advice is
 * then what to order for an empty shelf, and `inputs.sources` says so.
 */
async function resolveInputs(
  deps: PredictDeps,
  item: RecommendationItemBody,
  onHandFromData: number | null,
): Promise<{ inputs: ReplenishmentInputs; sources: Record<InputField, Source> }> {
  const master = await deps.itemMaster.defaultsFor(item.warehouse_id, item.sku);
  const defaults = deps.config.replenishmentDefaults;
  const sources = {} as Record<InputField, Source>;
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
    sources[name] = fallback === undefined ? "default" : fallbackSource;
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
  return { inputs, sources };
}

/** The endpoint computes at most this many windows per call (schemas/endpoint.schema.json). */
const MAX_WINDOWS = 20;

/**
 * Item indices grouped so that each group's protection intervals fit one endpoint call's windows. An interval
 * of 0 days (lead time + review period = 0) needs no window, only the daily means: it joins the first group.
 */
export function windowGroups(protections: readonly number[]): number[][] {
  const distinct = [...new Set(protections)].sort((a, b) => a - b);
  const windowed = distinct.filter((p) => p > 0);
  const groups: number[][] = [];
  for (let g = 0; g === 0 || g < windowed.length; g += MAX_WINDOWS) {
    const members = [...windowed.slice(g, g + MAX_WINDOWS), ...(g === 0 ? [0] : [])];
    groups.push(protections.flatMap((p, i) => (members.includes(p) ? [i] : [])));
  }
  return groups.filter((group) => group.length > 0);
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
    body.items.map((item, i) => resolveInputs(deps, item, states[i].on_hand)),
  );
  const protections = resolved.map((r) => r.inputs.lead_time_days + r.inputs.review_period_days);
  const levels = new Set<number>(RISK_GRID);
  for (const r of resolved) if (levels.size < MAX_LEVELS) levels.add(r.inputs.service_level);
  const quantiles = [...levels].sort((a, b) => a - b);

  // One forecast per group of up to MAX_WINDOWS protection intervals, in parallel. The horizon covers the
  // group's longest interval (the spec bounds each at 180 + 180 days, within the endpoint's 366).
  const advice: { method: string; advice: ReturnType<typeof recommend> }[] = new Array(body.items.length);
  const outcomes = await Promise.all(
    windowGroups(protections).map(async (group) => {
      const intervals = [...new Set(group.map((i) => protections[i]))].filter((p) => p > 0);
      const outcome = await forecast(
        deps,
        group.map((i) => ({ warehouse_id: body.items[i].warehouse_id, sku: body.items[i].sku })),
        {
          horizon: Math.max(deps.config.defaultHorizonDays, ...intervals),
          quantiles,
          windows: intervals.map((p) => ({ name: protectionWindowName(p), start: 1, end: p })),
        },
      );
      const byId = new Map(outcome.response.series.map((s) => [s.id, s]));
      group.forEach((i, k) => {
        const state = outcome.states[k];
        const s = byId.get(seriesKey(state.warehouse_id, state.sku))!;
        // No protection interval (lead time + review period 0): no window, the daily means only.
        let dist: DemandDistribution | undefined;
        if (protections[i] > 0) {
          const window = s.windows.find((w) => w.name === protectionWindowName(protections[i]));
          if (!window)
            throw new ApiProblem("badGateway", `The forecast endpoint returned no window for ${s.id}.`);
          dist = { kind: "window_quantiles", mean: window.mean, quantiles: window.quantiles };
        }
        const means = s.forecast.map((f) => f.mean);
        advice[i] = { method: s.method, advice: recommend(resolved[i].inputs, dist, means) };
      });
      addMetric(deps.obs.metrics, "EndpointLatency", outcome.stats.elapsedMs);
      return outcome;
    }),
  );
  const model = oneModel(outcomes.map((o) => o.response));
  // Advice rests on a forecast: log it too, so its accuracy is measured like any other served forecast.
  for (const outcome of outcomes) await logServed(deps, ctx, model.version, toSeriesForecasts(outcome));
  const recommendations = body.items.map((_item, i) => ({
    warehouse_id: states[i].warehouse_id,
    sku: states[i].sku,
    method: advice[i].method,
    inputs: { ...resolved[i].inputs, sources: resolved[i].sources },
    ...advice[i].advice,
  }));
  addMetric(deps.obs.metrics, "Recommendations", recommendations.length);
  return jsonResult(200, {
    request_id: ctx.requestId,
    model_version: model.version,
    model_kind: model.kind,
    generated_at: ctx.now.toISOString(),
    recommendations,
  });
}
