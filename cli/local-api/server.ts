import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { processJobMessage } from "../../functions/forecast-jobs-worker";
import { createObservability, type Observability } from "../../functions/powertools";
import { handlePredict } from "../../functions/predict";
import { createApiAjv, createEndpointAjv } from "../../functions/predict/ajv";
import { buildPredictDeps } from "../../functions/predict/build-deps";
import { DEFAULT_PREDICT_CONFIG, type PredictConfig } from "../../functions/predict/config";
import type { PredictDeps } from "../../functions/predict/deps";
import { EndpointClient, type ForecastEndpoint } from "../../functions/predict/endpoint-client";
import { storeModelMetrics } from "../../functions/predict/model-route";
import { problemResult, type ApiResult } from "../../functions/predict/http";
import { PROBLEMS, clip, problemType, type ProblemKind } from "../../functions/predict/problem";
import { SinkServedForecastLog, type ServedForecastLog } from "../../functions/predict/served-log";
import type { OpenApiDoc } from "../../functions/predict/spec";
import { LocalStoreSink } from "../../functions/producer/local-store-sink";
import { keyMatches, localApiKey } from "./api-key";
import { FsObjectStore } from "./fs-object-store";
import { InProcessJobQueue } from "./job-queue";
import { loadParquetDecoder } from "./parquet";
import { loadOpenApi } from "./spec";

/** API Gateway's limits (REST APIs): a larger body, URL or header set never reaches the handler there either. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_URL_CHARS = 8192;
const MAX_HEADER_BYTES = 10 * 1024;
/** Node's own header parser limit, above API Gateway's so this server answers those limits itself, as problems. */
const PARSER_HEADER_BYTES = 128 * 1024;
export const LOCAL_ENDPOINT_NAME = "warecast-local";

export interface LocalApiOptions {
  /** Workspace root (`.warecast`): processed/, raw/, jobs/ and the api-key file. */
  readonly workspace: string;
  /** Port on 127.0.0.1 (0 = any free port). Default 8080. */
  readonly port?: number;
  /** Base URL of the local SageMaker endpoint server (model/local_endpoint.py). Default http://127.0.0.1:8081. */
  readonly endpointUrl?: string;
  /** Overrides of the predict settings (defaults: DEFAULT_PREDICT_CONFIG). */
  readonly config?: Partial<PredictConfig>;
  /** Replaces the SageMaker client (tests and benchmarks). */
  readonly endpoint?: ForecastEndpoint;
  /** Replaces the served-forecast log (default: the local raw store under forecasts/). */
  readonly servedLog?: ServedForecastLog;
  /** Default: a fresh Powertools trio with service name warecast-local-api. */
  readonly obs?: Observability;
  readonly spec?: OpenApiDoc;
  /** Extra routes served before the API (the dashboard); return true when handled. */
  readonly extraHandler?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean> | boolean;
}

export interface LocalApi {
  readonly url: string;
  readonly apiKey: string;
  readonly deps: PredictDeps;
  /** Resolves when queued forecast jobs have run. */
  jobsIdle(): Promise<void>;
  close(): Promise<void>;
}

/** Builds the API Gateway REST proxy event the Lambda would receive for this request. */
export function toProxyEvent(
  req: http.IncomingMessage,
  body: Buffer,
  requestId: string,
): APIGatewayProxyEvent {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    headers[k] = values[values.length - 1];
    multiValueHeaders[k] = values;
  }
  const query: Record<string, string> = {};
  // No prototype: a parameter named like an Object method ("valueOf") must not hit the inherited function.
  const multiQuery: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  const text = body.length > 0 ? body.toString("utf8") : null;
  return {
    resource: url.pathname,
    path: url.pathname,
    httpMethod: req.method ?? "GET",
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: text,
    isBase64Encoded: false,
    requestContext: {
      accountId: "local",
      apiId: "local",
      authorizer: undefined,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: req.method ?? "GET",
      identity: {
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
      } as APIGatewayProxyEvent["requestContext"]["identity"],
      path: url.pathname,
      stage: "local",
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: "local",
      resourcePath: url.pathname,
    },
  };
}

function gatewayProblem(kind: ProblemKind, detail: string, requestId: string): ApiResult {
  return problemResult({
    type: problemType(kind),
    title: PROBLEMS[kind].title,
    status: PROBLEMS[kind].status,
    detail,
    request_id: requestId,
  });
}

function send(res: http.ServerResponse, result: ApiResult): void {
  res.writeHead(result.statusCode, {
    ...(result.headers as Record<string, string>),
    "Content-Length": Buffer.byteLength(result.body),
  });
  res.end(result.body);
}

/** A whole HTTP/1.1 response as bytes, for a socket Node's parser gave up on (no ServerResponse exists). */
function rawResponse(result: ApiResult): string {
  const headers = {
    ...(result.headers as Record<string, string>),
    "Content-Length": Buffer.byteLength(result.body),
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return [
    `HTTP/1.1 ${result.statusCode} ${http.STATUS_CODES[result.statusCode]}`,
    ...lines,
    "Connection: close",
    "",
    result.body,
  ].join("\r\n");
}

/** Bytes of the request's headers as sent (names, values and separators), API Gateway's measure. */
function headerBytes(req: http.IncomingMessage): number {
  let n = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    n += req.rawHeaders[i].length + req.rawHeaders[i + 1].length + 4;
  return n;
}

/**
 * The request's Host must be this server (127.0.0.1 or localhost on its port): a page elsewhere that points its
 * own name at 127.0.0.1 (DNS rebinding) is refused, so it can reach neither the API nor the dashboard's login.
 */
function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/**
 * What API Gateway refuses before anything else, as problems: a URL over 8,192 characters (414), headers over
 * 10 KiB (431); and what only this server checks: a Host other than itself (403).
 */
function frontDoor(req: http.IncomingMessage, port: number, requestId: string): ApiResult | undefined {
  const url = req.url ?? "/";
  if (url.length > MAX_URL_CHARS) {
    const detail = `The URL is ${url.length} characters; at most ${MAX_URL_CHARS} are accepted.`;
    return gatewayProblem("uriTooLong", detail, requestId);
  }
  const headers = headerBytes(req);
  if (headers > MAX_HEADER_BYTES) {
    const detail = `The headers are ${headers} bytes; at most ${MAX_HEADER_BYTES} are accepted.`;
    return gatewayProblem("headersTooLarge", detail, requestId);
  }
  if (!hostAllowed(req.headers.host, port)) {
    const host = req.headers.host === undefined ? "missing" : `"${clip(req.headers.host)}"`;
    const detail = `The Host header is ${host}; this server is 127.0.0.1:${port} (or localhost:${port}).`;
    return gatewayProblem("forbidden", detail, requestId);
  }
  return undefined;
}

/**
 * Answers a request the handler never sees. A body it may still be sending is not read: the connection closes
 * after the answer instead of draining up to 10 MB nobody will use.
 */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, result: ApiResult): void {
  const hasBody =
    Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (hasBody && !req.complete) {
    res.setHeader("Connection", "close");
    res.once("finish", () => req.destroy());
  }
  send(res, result);
}

/** The request's body, up to MAX_BODY_BYTES; undefined when it is longer (413 before it is all read). */
async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Starts the local API: the same predict handler behind a Node HTTP server on 127.0.0.1, with an API key
 * check in front (the gateway's job in AWS), the local endpoint through the real SageMaker Runtime SDK with an
 * endpoint override, and forecast jobs run in-process.
 */
export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const workspace = path.resolve(options.workspace);
  const apiKey = localApiKey(workspace);
  const config: PredictConfig = { ...DEFAULT_PREDICT_CONFIG, ...options.config };
  const obs = options.obs ?? createObservability("warecast-local-api");
  const endpoint =
    options.endpoint ??
    new EndpointClient(
      new SageMakerRuntimeClient({
        endpoint: options.endpointUrl ?? "http://127.0.0.1:8081",
        region: process.env.AWS_REGION ?? "eu-west-1",
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        maxAttempts: 1,
      }),
      {
        endpointName: LOCAL_ENDPOINT_NAME,
        timeoutMs: config.endpointTimeoutMs,
        maxAttempts: config.endpointMaxAttempts,
        budgetMs: config.endpointBudgetMs,
        retryAfterSeconds: config.retryAfterSeconds,
      },
    );
  const queue = new InProcessJobQueue({
    onError: (err) => obs.logger.error("forecast job message failed", { error: err as Error }),
  });
  const deps = buildPredictDeps({
    ajv: createApiAjv(),
    endpointAjv: createEndpointAjv(),
    spec: options.spec ?? loadOpenApi(),
    config,
    processed: new FsObjectStore(path.join(workspace, "processed")),
    jobsStore: new FsObjectStore(path.join(workspace, "jobs")),
    jobQueue: queue,
    endpoint,
    servedLog:
      options.servedLog ??
      new SinkServedForecastLog(
        () =>
          new LocalStoreSink({
            root: path.join(workspace, "raw"),
            prefix: "forecasts/",
            name: "warecast-local-forecasts",
          }),
      ),
    decodeParquet: loadParquetDecoder(),
    obs,
    // `warecast train` writes runs/<version>/model/ (docs/architecture.md): GET /v1/model reads its metrics.json.
    modelMetrics: storeModelMetrics(
      new FsObjectStore(path.join(workspace, "artifacts")),
      (version) => `runs/${version}/model/metrics.json`,
    ),
  });
  queue.attach((m) =>
    processJobMessage(m, {
      predict: deps,
      jobs: deps.jobs,
      chunkSize: config.maxSeriesPerRequest,
      remainingMs: () => Infinity,
      handOverMs: 0,
    }),
  );

  let port = 0;
  // What API Gateway does before the function runs, in its order: limits of the request line and headers, the
  // key, then the body's size. The key check needs only the headers, so an unauthenticated body is never read.
  const server = http.createServer({ maxHeaderSize: PARSER_HEADER_BYTES }, (req, res) => {
    const requestId = randomUUID();
    void (async () => {
      const refused = frontDoor(req, port, requestId);
      if (refused) {
        refuse(req, res, refused);
        return;
      }
      if (options.extraHandler && (await options.extraHandler(req, res))) return;
      const given = req.headers["x-api-key"];
      if (!keyMatches(Array.isArray(given) ? given[0] : given, apiKey)) {
        refuse(
          req,
          res,
          gatewayProblem("forbidden", "Missing or invalid API key (x-api-key header).", requestId),
        );
        return;
      }
      const body = await readBody(req);
      if (body === undefined) {
        const detail = `The body is over ${MAX_BODY_BYTES} bytes, the most one request may carry.`;
        refuse(req, res, gatewayProblem("bodyTooLarge", detail, requestId));
        return;
      }
      send(res, await handlePredict(toProxyEvent(req, body, requestId), deps));
    })().catch((err: unknown) => {
      obs.logger.error("local API failure", { error: err as Error });
      if (!res.headersSent)
        send(res, gatewayProblem("internal", "Internal error in the local API server.", requestId));
      else res.destroy();
    });
  });
  // Node's parser gave up on a request (headers or URL past even its own limit, or malformed HTTP): answer as a
  // problem too, where Node would send an empty body. Anything else (a reset, a timeout) just closes.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || !err.code?.startsWith("HPE_")) {
      socket.destroy();
      return;
    }
    const result =
      err.code === "HPE_HEADER_OVERFLOW"
        ? gatewayProblem(
            "headersTooLarge",
            `The request line and headers are over ${PARSER_HEADER_BYTES} bytes.`,
            randomUUID(),
          )
        : gatewayProblem("invalid", `The request is not valid HTTP (${err.code}).`, randomUUID());
    socket.end(rawResponse(result));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    deps,
    jobsIdle: () => queue.idle(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
