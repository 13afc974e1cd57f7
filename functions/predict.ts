import { randomUUID } from "node:crypto";
import { z } from "zod";
import { parseEvent, recordRejected } from "./lambda-wiring";
import type { PredictDeps, RequestContext } from "./predict/deps";
import { getAccuracy } from "./predict/accuracy-route";
import { createForecasts, getForecast } from "./predict/forecast-routes";
import { getHealth } from "./predict/health-route";
import { header, problemResult, type ApiEvent, type ApiResult } from "./predict/http";
import { createForecastJob, getForecastJob } from "./predict/job-routes";
import { getModel, getSeriesModel } from "./predict/model-route";
import { traced } from "./powertools";
import { ApiProblem, PROBLEMS, clip, problemType } from "./predict/problem";
import { createRecommendations } from "./predict/recommendation-routes";
import { getSeriesHistory, listSeries } from "./predict/series-routes";
import type { Route } from "./predict/spec";

export type { PredictDeps } from "./predict/deps";

type RouteHandler = (
  deps: PredictDeps,
  event: ApiEvent,
  ctx: RequestContext,
  params: Record<string, string>,
) => Promise<ApiResult>;

/** operationId (api/openapi.yaml) → implementation. A spec operation without one makes every request a 500. */
const OPERATIONS: Record<string, RouteHandler> = {
  createForecasts: (d, e, c) => createForecasts(d, e, c),
  getForecast,
  createRecommendations: (d, e, c) => createRecommendations(d, e, c),
  getHealth: (d, _e, c) => getHealth(d, c),
  createForecastJob: (d, e, c) => createForecastJob(d, e, c),
  getForecastJob,
  listSeries: (d, e) => listSeries(d, e),
  getSeriesHistory: (d, e, _c, p) => getSeriesHistory(d, e, p),
  getModel: (d, _e, c) => getModel(d, c),
  getSeriesModel: (d, _e, c, p) => getSeriesModel(d, c, p),
  getAccuracy: (d, e) => getAccuracy(d, e),
};

/** The spec's routes, each with its implementation. */
function routes(deps: PredictDeps): readonly Route[] {
  const all = deps.schemas.routes;
  const missing = all.filter((x) => !OPERATIONS[x.operationId]).map((x) => x.operationId);
  if (missing.length > 0) throw new Error(`no implementation for operation(s) ${missing.join(", ")}`);
  return all;
}

function baseUrl(event: ApiEvent): string {
  const host = header(event, "host");
  const proto =
    header(event, "x-forwarded-proto") ?? (event.requestContext?.stage === "local" ? "http" : "https");
  const stage =
    event.requestContext?.stage && event.requestContext.stage !== "$default"
      ? `/${event.requestContext.stage}`
      : "";
  return host ? `${proto}://${host}${host.includes("execute-api") ? stage : ""}` : "";
}

/**
 * A body must be JSON (the only media type the spec declares): anything else is a 415 naming what came, before
 * any parsing. An empty body is left to the route (a 400 saying a JSON body is needed).
 */
function checkContentType(event: ApiEvent): void {
  if (!event.body) return;
  const given = header(event, "content-type");
  const media = (given ?? "").split(";")[0].trim().toLowerCase();
  if (media === "application/json") return;
  throw new ApiProblem(
    "unsupportedMediaType",
    given === undefined
      ? "The body has no Content-Type; send it as application/json."
      : `The body is ${clip(given, 100)}; send it as application/json.`,
  );
}

/**
 * The request fields the handler reads, as API Gateway's REST proxy integration (payload 1.0) sends them. Anything
 * else (an HTTP API 2.0 payload, a test event from the console) is rejected: logged whole, counted, answered 500.
 * Bodies and parameters are checked against api/openapi.yaml by the routes.
 */
export const apiRequestSchema = () =>
  z.object({
    httpMethod: z.string().min(1),
    path: z.string().startsWith("/"),
    headers: z.record(z.string(), z.string().optional()).nullable().optional(),
    queryStringParameters: z.record(z.string(), z.string().optional()).nullable().optional(),
    body: z.string().nullable().optional(),
    isBase64Encoded: z.boolean().optional(),
    requestContext: z.object({ requestId: z.string().optional(), stage: z.string().optional() }).optional(),
  });

/**
 * The predict λ: API Gateway proxy event → route from the spec → problem+json on any error. Client mistakes map
 * to 4xx; only a bug answers 500 (logged with its stack, counted as a metric).
 */
export async function handlePredict(event: ApiEvent, deps: PredictDeps): Promise<ApiResult> {
  return traced(deps.obs.tracer, "handlePredict", () => predict(event, deps));
}

async function predict(event: ApiEvent, deps: PredictDeps): Promise<ApiResult> {
  const { logger, metrics, tracer } = deps.obs;
  const now = (deps.now ?? (() => new Date()))();
  const requestId = event.requestContext?.requestId || (deps.newId ?? randomUUID)();
  const ctx: RequestContext = { requestId, now, baseUrl: baseUrl(event) };
  const path = event.path ?? "/";
  const method = (event.httpMethod ?? "GET").toUpperCase();
  logger.appendKeys({ request_id: requestId });
  const started = Date.now();
  let result: ApiResult;
  let operation = "unmatched";
  const request = parseEvent(apiRequestSchema, event, "an API Gateway REST proxy request");
  try {
    if (!request.ok) {
      recordRejected(deps.obs, request.reason, event);
      throw new ApiProblem("internal", "The request could not be read; it has been logged.");
    }
    const all = routes(deps);
    const candidates = all.map((r) => ({ r, params: r.match(path) })).filter((x) => x.params !== undefined);
    if (candidates.length === 0) throw new ApiProblem("notFound", `No route ${clip(path, 200)}.`);
    const hit = candidates.find((x) => x.r.method === method);
    if (!hit) {
      const allow = candidates.map((x) => x.r.method);
      throw new ApiProblem(
        "methodNotAllowed",
        `${clip(method, 20)} is not allowed on ${clip(path, 200)}; use ${allow.join(", ")}.`,
        { allow },
      );
    }
    operation = hit.r.operationId;
    tracer.putAnnotation("operation", operation);
    if (hit.r.hasBody) checkContentType(event);
    result = await OPERATIONS[operation](deps, event, ctx, hit.params!);
  } catch (err) {
    if (err instanceof ApiProblem) {
      result = problemResult(err.body(requestId, path), err.extra);
      logger.info("request refused", { operation, status: err.status, detail: err.detail });
    } else {
      logger.error("unhandled error", { operation, error: err as Error });
      result = problemResult({
        type: problemType("internal"),
        title: PROBLEMS.internal.title,
        status: 500,
        detail: "An internal error occurred; it has been logged.",
        instance: clip(path, 200),
        request_id: requestId,
      });
    }
  }
  metrics.addDimension("operation", operation);
  metrics.addMetric("Latency", "Milliseconds", Date.now() - started);
  metrics.addMetric(
    result.statusCode >= 500 ? "Fault" : result.statusCode >= 400 ? "ClientError" : "Success",
    "Count",
    1,
  );
  await metrics.publishStoredMetrics();
  logger.removeKeys(["request_id"]);
  return result;
}
