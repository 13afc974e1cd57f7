import type { SeriesForecastOut } from "./types";
import type { EndpointCallStats, EndpointResponse, EndpointSeries, EndpointWindow } from "./endpoint-client";
import type { PredictDeps, RequestContext } from "./deps";
import { ApiProblem, type SeriesKey } from "./problem";
import { seriesKey, type SeriesState } from "./series-state";
import type { ServedForecastRecord } from "./served-log";
import { addMetric } from "../metric-catalogue";
import type { Metrics } from "@aws-lambda-powertools/metrics";

export interface FutureDay {
  readonly date: string;
  readonly promo?: boolean;
  readonly price?: number;
}

export interface SeriesRequest extends SeriesKey {
  readonly future?: readonly FutureDay[];
}

export interface ForecastOptions {
  readonly horizon: number;
  readonly quantiles: readonly number[];
  readonly windows?: readonly EndpointWindow[];
}

export interface ForecastOutcome {
  readonly response: EndpointResponse;
  readonly states: readonly SeriesState[];
  readonly stats: EndpointCallStats;
}

const DAY_MS = 86_400_000;

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/**
 * Planned promo/price by date → the endpoint's step-aligned `future` arrays (step 1 = the period after the last
 * data date; a date counts for the period that contains it, so for a weekly series any day of its week). Steps
 * not listed are null (unknown). A plan may reach beyond the forecast: days outside its steps are not used. When
 * several days fall on one step, promo is true if any says so and the last price given counts.
 */
export function futureArrays(
  state: SeriesState,
  future: readonly FutureDay[] | undefined,
  horizon: number,
): EndpointSeries["future"] | undefined {
  if (!future || future.length === 0) return undefined;
  const period = state.freq === "W" ? 7 : 1;
  const promo: (boolean | null)[] = [];
  const price: (number | null)[] = [];
  for (const day of future) {
    const step = Math.ceil(daysBetween(state.end_date, day.date) / period);
    if (step < 1 || step > horizon) continue;
    while (promo.length < step) {
      promo.push(null);
      price.push(null);
    }
    if (day.promo !== undefined) promo[step - 1] = promo[step - 1] === true || day.promo;
    if (day.price !== undefined) price[step - 1] = day.price;
  }
  return promo.length > 0 ? { promo, price } : undefined;
}

/**
 * A series as the endpoint reads it. Stockout and closed flags go only when some day is flagged: the endpoint
 * reads a missing flag array, false and null alike as "not flagged" (model/request.py), so the forecast is the
 * same, and two arrays of `false` are more than half of a typical request's bytes, which both sides would
 * otherwise encode and decode on every call.
 */
export function toEndpointSeries(state: SeriesState, future: EndpointSeries["future"]): EndpointSeries {
  const n = state.units.length;
  const aligned = <T>(a: readonly T[]): T[] | undefined => (a.length === n ? [...a] : undefined);
  const flagged = (a: readonly (boolean | null)[]) => (a.includes(true) ? aligned(a) : undefined);
  return {
    id: seriesKey(state.warehouse_id, state.sku),
    history: {
      start: state.start_date,
      units: [...state.units],
      promo: aligned(state.promo),
      price: aligned(state.price),
      stockout: flagged(state.stockout),
      closed: flagged(state.closed),
    },
    ...(future ? { future } : {}),
  };
}

/** Series state for the requested series: 503 before the first ETL run, 404 naming the unknown ones. */
export async function loadStates(deps: PredictDeps, items: readonly SeriesKey[]): Promise<SeriesState[]> {
  if (!(await deps.seriesState.hasData())) {
    throw new ApiProblem("unavailable", "No data yet: the ETL has not written series_state.", {
      retryAfterSeconds: deps.config.retryAfterSeconds,
    });
  }
  const found = await deps.seriesState.get(items);
  const unknown: SeriesKey[] = [];
  const states: SeriesState[] = [];
  for (const item of items) {
    const s = found.get(seriesKey(item.warehouse_id, item.sku));
    if (s) states.push(s);
    else if (!unknown.some((u) => u.warehouse_id === item.warehouse_id && u.sku === item.sku))
      unknown.push({ warehouse_id: item.warehouse_id, sku: item.sku });
  }
  if (unknown.length > 0) {
    throw new ApiProblem("unknownSeries", `${unknown.length} of ${items.length} series have no data.`, {
      unknown_series: unknown.slice(0, 100),
    });
  }
  return states;
}

/**
 * The model that answered every one of a request's endpoint calls. Calls answered by two versions (a promotion
 * landed in between) cannot make one answer: 503, retry at once.
 */
export function oneModel(responses: readonly EndpointResponse[]): { version: string; kind: string } {
  const versions = [...new Set(responses.map((r) => r.model_version))];
  if (versions.length > 1) {
    throw new ApiProblem(
      "unavailable",
      `The model changed during the request (${versions.join(", ")}); retry.`,
      {
        retryAfterSeconds: 1,
      },
    );
  }
  return { version: responses[0].model_version, kind: responses[0].model_kind };
}

/**
 * Aligns planned covariates, calls the endpoint for all series, and checks every series came back. A batch of
 * more than `endpointSeriesPerCall` series goes out as that many calls at once, so the endpoint's worker
 * processes forecast it in parallel instead of one of them taking it all.
 */
export async function forecast(
  deps: PredictDeps,
  items: readonly SeriesRequest[],
  options: ForecastOptions,
): Promise<ForecastOutcome> {
  const states = await loadStates(deps, items);
  const series = states.map((state, i) =>
    toEndpointSeries(state, futureArrays(state, items[i].future, options.horizon)),
  );
  const freq = states.every((s) => s.freq === "W") ? "W" : "D";
  const per = deps.config.endpointSeriesPerCall;
  const calls = await Promise.all(
    Array.from({ length: Math.ceil(series.length / per) }, (_, c) =>
      deps.endpoint.invoke({
        freq,
        horizon: options.horizon,
        quantiles: [...options.quantiles],
        ...(options.windows && options.windows.length > 0 ? { windows: [...options.windows] } : {}),
        series: series.slice(c * per, (c + 1) * per),
      }),
    ),
  );
  oneModel(calls.map((c) => c.response));
  const response = { ...calls[0].response, series: calls.flatMap((c) => c.response.series) };
  const stats = {
    attempts: calls.reduce((n, c) => n + c.stats.attempts, 0),
    elapsedMs: Math.max(...calls.map((c) => c.stats.elapsedMs)),
  };
  const ids = new Set(response.series.map((s) => s.id));
  const missing = series.filter((s) => !ids.has(s.id));
  if (missing.length > 0) {
    throw new ApiProblem(
      "badGateway",
      `The forecast endpoint left out ${missing.length} series (e.g. ${missing[0].id}).`,
    );
  }
  return { response, states, stats };
}

/** The API's view of each forecast, in request order. */
export function toSeriesForecasts(outcome: ForecastOutcome): SeriesForecastOut[] {
  const byId = new Map(outcome.response.series.map((s) => [s.id, s]));
  return outcome.states.map((state) => {
    const s = byId.get(seriesKey(state.warehouse_id, state.sku))!;
    return {
      warehouse_id: state.warehouse_id,
      sku: state.sku,
      method: s.method,
      last_data_date: state.end_date,
      points: s.forecast.map((p) => ({ date: p.date, step: p.step, mean: p.mean, quantiles: p.quantiles })),
    };
  });
}

/** One served-forecast record per (series, date). */
function servedRecords(
  ctx: RequestContext,
  modelVersion: string,
  forecasts: readonly SeriesForecastOut[],
): ServedForecastRecord[] {
  const served_at = ctx.now.toISOString();
  return forecasts.flatMap((f) =>
    f.points.map((p) => ({
      served_at,
      request_id: ctx.requestId,
      model_version: modelVersion,
      warehouse_id: f.warehouse_id,
      sku: f.sku,
      target_date: p.date,
      step: p.step,
      mean: p.mean,
      quantiles: p.quantiles,
    })),
  );
}

/**
 * Logs served forecasts; a failure never fails the client's request, but is logged, counted in the
 * ServedForecastLogFailures metric and shown by /v1/health (deps.servedLogTally).
 */
export async function logServed(
  deps: PredictDeps,
  ctx: RequestContext,
  modelVersion: string,
  forecasts: readonly SeriesForecastOut[],
): Promise<void> {
  const { logger, metrics } = deps.obs;
  const records = servedRecords(ctx, modelVersion, forecasts);
  const now = ctx.now;
  try {
    const out = await deps.servedLog.write(records);
    addMetric(metrics, "ServedForecastRecords", out.delivered);
    if (out.failed > 0) {
      countLogFailures(metrics, out.failed);
      logger.error("served-forecast log refused records", { failed: out.failed, reasons: out.reasons });
      deps.servedLogTally.lost(out.delivered, out.failed, out.reasons.join("; ") || "refused", now);
    } else deps.servedLogTally.succeeded(out.delivered);
  } catch (err) {
    countLogFailures(metrics, records.length);
    logger.error("served-forecast log failed", { error: err as Error });
    deps.servedLogTally.lost(0, records.length, err instanceof Error ? err.message : String(err), now);
  }
}

/**
 * Published at once, with the service dimension alone: the accuracy-log-failures alarm reads it so, whether a route
 * (whose metrics also carry `operation`) or the job worker lost the records (schemas/metrics.json).
 */
function countLogFailures(metrics: Metrics, failed: number): void {
  addMetric(metrics.singleMetric(), "ServedForecastLogFailures", failed);
}
