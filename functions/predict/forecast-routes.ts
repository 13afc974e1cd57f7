import type { PredictDeps, RequestContext } from "./deps";
import { forecast, logServed, toSeriesForecasts, type SeriesRequest } from "./forecast-service";
import { jsonBody, jsonResult, type ApiEvent, type ApiResult } from "./http";
import { ApiProblem, clip, type FieldError } from "./problem";
import type { ForecastRequestBody } from "./types";
import { addMetric } from "../metric-catalogue";

/** Horizon and quantiles of a request (already checked against the spec), with the config's defaults. */
export function resolveOptions(
  deps: PredictDeps,
  horizon: number | undefined,
  quantiles: readonly number[] | undefined,
): { horizon: number; quantiles: number[] } {
  const q = [...(quantiles ?? deps.config.defaultQuantiles)].sort((a, b) => a - b);
  return { horizon: horizon ?? deps.config.defaultHorizonDays, quantiles: q };
}

/** A query value as the number it spells (sign, decimals, exponent), else the text: the schema then says why. */
function queryNumber(text: string): number | string {
  return /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text.trim()) ? Number(text) : text;
}

/**
 * The JSON body, validated against `schema`. The array `field` is counted first, so a batch over `limit` gets a
 * 413 (`tooMany` says why), not a 400 about its 5,000th item.
 */
export function parseCountedBody<T>(
  deps: PredictDeps,
  event: ApiEvent,
  schema: string,
  field: string,
  limit: number,
  tooMany: (count: number) => string,
): T {
  const raw = jsonBody(event);
  const listed = (raw as Record<string, unknown> | null)?.[field];
  if (Array.isArray(listed) && listed.length > limit) {
    throw new ApiProblem("tooLarge", tooMany(listed.length), { limit });
  }
  return deps.schemas.parse<T>(schema, raw, "/body");
}

/** 413 text of the synchronous routes. */
export function tooManyForOneCall(limit: number): (count: number) => string {
  return (count) =>
    `${count} series in one call; at most ${limit} are allowed. Use POST /v1/forecast-jobs for bulk forecasts.`;
}

async function answer(
  deps: PredictDeps,
  ctx: RequestContext,
  items: readonly SeriesRequest[],
  options: { horizon: number; quantiles: number[] },
): Promise<ApiResult> {
  const outcome = await forecast(deps, items, options);
  const forecasts = toSeriesForecasts(outcome);
  addMetric(deps.obs.metrics, "SeriesForecast", forecasts.length);
  addMetric(deps.obs.metrics, "EndpointLatency", outcome.stats.elapsedMs);
  await logServed(deps, ctx, outcome.response.model_version, forecasts);
  return jsonResult(200, {
    request_id: ctx.requestId,
    model_version: outcome.response.model_version,
    model_kind: outcome.response.model_kind,
    generated_at: ctx.now.toISOString(),
    horizon: options.horizon,
    quantiles: options.quantiles,
    forecasts,
  });
}

export async function createForecasts(
  deps: PredictDeps,
  event: ApiEvent,
  ctx: RequestContext,
): Promise<ApiResult> {
  const limit = deps.config.maxSeriesPerRequest;
  const body = parseCountedBody<ForecastRequestBody>(
    deps,
    event,
    "ForecastRequest",
    "series",
    limit,
    tooManyForOneCall(limit),
  );
  const options = resolveOptions(deps, body.horizon, body.quantiles);
  return answer(deps, ctx, body.series, options);
}

/** `quantiles=0.1,0.5,0.9` (form style, not exploded) and `horizon=14` → typed values, or field errors. */
export function parseForecastQuery(
  deps: PredictDeps,
  query: Record<string, string | undefined> | null,
): { horizon?: number; quantiles?: number[] } {
  const errors: FieldError[] = [];
  const out: { horizon?: number; quantiles?: number[] } = {};
  const known = new Set(["horizon", "quantiles"]);
  for (const k of Object.keys(query ?? {})) {
    if (!known.has(k)) errors.push({ field: `/query/${clip(k)}`, message: "is not a known parameter" });
  }
  const h = query?.horizon;
  if (h !== undefined) {
    const n = queryNumber(h);
    const hErrors = deps.schemas.errors("Horizon", n, "/query/horizon");
    errors.push(...hErrors);
    if (hErrors.length === 0) out.horizon = n as number;
  }
  const q = query?.quantiles;
  if (q !== undefined) {
    const values = q.split(",").map(queryNumber);
    const qErrors = deps.schemas.errors("Quantiles", values, "/query/quantiles");
    errors.push(...qErrors);
    if (qErrors.length === 0) out.quantiles = values as number[];
  }
  if (errors.length > 0)
    throw new ApiProblem("invalid", "The query does not match the API contract.", { errors });
  return out;
}

/** The `{warehouseId}/{sku}` path parameters of a per-series route, or a 400 naming the bad one. */
export function checkSeriesPath(deps: PredictDeps, params: Record<string, string>): void {
  const errors = [
    ...deps.schemas.errors("Id", params.warehouseId, "/path/warehouseId"),
    ...deps.schemas.errors("Id", params.sku, "/path/sku"),
  ];
  if (errors.length > 0)
    throw new ApiProblem("invalid", "The path does not match the API contract.", { errors });
}

export async function getForecast(
  deps: PredictDeps,
  event: ApiEvent,
  ctx: RequestContext,
  params: Record<string, string>,
): Promise<ApiResult> {
  checkSeriesPath(deps, params);
  const query = parseForecastQuery(deps, event.queryStringParameters);
  const options = resolveOptions(deps, query.horizon, query.quantiles);
  return answer(deps, ctx, [{ warehouse_id: params.warehouseId, sku: params.sku }], options);
}
