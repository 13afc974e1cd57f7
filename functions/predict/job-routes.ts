import { randomUUID } from "node:crypto";
import { ForecastJobs } from "../forecast-jobs";
import type { PredictDeps, RequestContext } from "./deps";
import { parseCountedBody, resolveOptions } from "./forecast-routes";
import { loadStates } from "./forecast-service";
import { jsonResult, type ApiEvent, type ApiResult } from "./http";
import { ApiProblem, clip, type SeriesKey } from "./problem";
import type { ForecastJobRequestBody } from "./types";
import { addMetric } from "../metric-catalogue";

export async function createForecastJob(
  deps: PredictDeps,
  event: ApiEvent,
  ctx: RequestContext,
): Promise<ApiResult> {
  const limit = deps.config.maxSeriesPerJob;
  const body = parseCountedBody<ForecastJobRequestBody>(
    deps,
    event,
    "ForecastJobRequest",
    "series",
    limit,
    (count) => `${count} series in one job; at most ${limit} are allowed.`,
  );
  const options = resolveOptions(deps, body.horizon, body.quantiles);
  let series: SeriesKey[];
  if (body.series) {
    await loadStates(deps, body.series);
    series = body.series.map((s) => ({ warehouse_id: s.warehouse_id, sku: s.sku }));
  } else {
    if (!(await deps.seriesState.hasData())) {
      throw new ApiProblem("unavailable", "No data yet: the ETL has not written series_state.", {
        retryAfterSeconds: deps.config.retryAfterSeconds,
      });
    }
    const warehouses = [...new Set(body.warehouse_ids)];
    const states = await deps.seriesState.list(warehouses);
    const present = new Set(states.map((s) => s.warehouse_id));
    const unknown = warehouses.filter((w) => !present.has(w));
    if (unknown.length > 0)
      throw new ApiProblem(
        "notFound",
        `No series in warehouse(s) ${clip(unknown.slice(0, 5).join(", "), 200)}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ""}.`,
      );
    series = states.map((s) => ({ warehouse_id: s.warehouse_id, sku: s.sku }));
    if (series.length > limit) {
      throw new ApiProblem(
        "tooLarge",
        `The warehouses hold ${series.length} series; one job takes at most ${limit}.`,
        {
          limit,
        },
      );
    }
  }
  const doc = await deps.jobs.create((deps.newId ?? randomUUID)(), ctx.now, series, options);
  addMetric(deps.obs.metrics, "ForecastJobsCreated", 1);
  const location = `${ctx.baseUrl}/v1/forecast-jobs/${doc.job_id}`;
  return jsonResult(202, await deps.jobs.view(doc, ctx.now), { Location: location });
}

export async function getForecastJob(
  deps: PredictDeps,
  _event: ApiEvent,
  ctx: RequestContext,
  params: Record<string, string>,
): Promise<ApiResult> {
  const errors = deps.schemas.errors("JobId", params.jobId, "/path/jobId");
  if (errors.length > 0)
    throw new ApiProblem("invalid", "The path does not match the API contract.", { errors });
  const doc = await deps.jobs.load(params.jobId);
  if (!doc) throw ForecastJobs.notFound(params.jobId);
  return jsonResult(200, await deps.jobs.view(doc, ctx.now));
}
