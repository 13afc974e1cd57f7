import type { PredictDeps } from "./deps";
import { checkSeriesPath } from "./forecast-routes";
import { addDays } from "./forecast-service";
import { jsonResult, type ApiEvent, type ApiResult } from "./http";
import { ApiProblem, clip, type FieldError } from "./problem";
import { intQuery } from "./query";
import type { SeriesState } from "./series-state";

const DEFAULT_HISTORY_DAYS = 120;

/** `GET /v1/series[?warehouse_id=…]`: what series_state holds, so a client knows what it can forecast. */
export async function listSeries(deps: PredictDeps, event: ApiEvent): Promise<ApiResult> {
  const errors: FieldError[] = [];
  const query = event.queryStringParameters ?? {};
  for (const k of Object.keys(query))
    if (k !== "warehouse_id")
      errors.push({ field: `/query/${clip(k)}`, message: "is not a known parameter" });
  const warehouse = query.warehouse_id;
  if (warehouse !== undefined) errors.push(...deps.schemas.errors("Id", warehouse, "/query/warehouse_id"));
  if (errors.length > 0)
    throw new ApiProblem("invalid", "The query does not match the API contract.", { errors });
  const rows = await deps.seriesState.list(warehouse === undefined ? undefined : [warehouse]);
  return jsonResult(200, {
    series: rows.map((s) => ({
      warehouse_id: s.warehouse_id,
      sku: s.sku,
      first_date: s.start_date,
      last_date: s.end_date,
      on_hand: s.on_hand,
    })),
  });
}

/** The last `days` days of a series_state row, oldest first, one object per day. */
export function historyDays(s: SeriesState, days: number): Record<string, unknown>[] {
  const n = s.units.length;
  const from = Math.max(0, n - days);
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < n; i++) {
    out.push({
      date: addDays(s.start_date, i),
      units: s.units[i] ?? null,
      stockout: s.stockout[i] === true,
      closed: s.closed[i] === true,
      promo: s.promo[i] === true,
      price: s.price[i] ?? null,
    });
  }
  return out;
}

/** `GET /v1/series/{warehouseId}/{sku}/history?days=N`: the recent days the model forecasts from. */
export async function getSeriesHistory(
  deps: PredictDeps,
  event: ApiEvent,
  params: Record<string, string>,
): Promise<ApiResult> {
  checkSeriesPath(deps, params);
  const { days } = intQuery(event, { days: { min: 1, max: 3660 } });
  const key = { warehouse_id: params.warehouseId, sku: params.sku };
  const state = (await deps.seriesState.get([key])).get(`${key.warehouse_id}/${key.sku}`);
  if (!state) throw new ApiProblem("unknownSeries", "The series has no data.", { unknown_series: [key] });
  return jsonResult(200, {
    ...key,
    last_date: state.end_date,
    on_hand: state.on_hand,
    days: historyDays(state, days ?? DEFAULT_HISTORY_DAYS),
  });
}
