import { readAccuracy } from "../accuracy-report";
import type { PredictDeps } from "./deps";
import { jsonResult, type ApiEvent, type ApiResult } from "./http";
import { intQuery } from "./query";

/** `GET /v1/accuracy?days=N`: served forecasts against actual demand, from the ETL's accuracy table. */
export async function getAccuracy(deps: PredictDeps, event: ApiEvent): Promise<ApiResult> {
  const { days } = intQuery(event, { days: { min: 1, max: 366 } });
  const report = await readAccuracy(deps.processed, deps.decodeParquet, { days: days ?? 14 });
  return jsonResult(200, report);
}
