/**
 * Pure pieces of the PredictionApi: the OpenAPI document API Gateway imports (the spec plus integrations,
 * request validators and problem+json gateway responses), and the IAM statements of its functions.
 */
import type { OpenApiDoc } from "../functions/predict/spec";
import { HTTP_METHODS } from "../functions/predict/spec";
import { PROBLEMS, PROBLEM_CONTENT_TYPE, problemType, type ProblemKind } from "../functions/predict/problem";
import { listUnder, type PolicyStatement } from "./policy-documents";

/** API Gateway's own errors, shaped as the API's problems (type → problem kind, status override). */
export const GATEWAY_RESPONSES: Readonly<
  Record<string, { kind: ProblemKind; detail: string; retryAfter?: number }>
> = {
  BAD_REQUEST_BODY: { kind: "invalid", detail: "$context.error.validationErrorString" },
  BAD_REQUEST_PARAMETERS: { kind: "invalid", detail: "$context.error.validationErrorString" },
  INVALID_API_KEY: { kind: "forbidden", detail: "Missing or invalid API key (x-api-key header)." },
  ACCESS_DENIED: { kind: "forbidden", detail: "$context.error.message" },
  // API Gateway answers an unknown route as a missing token (403); it is a 404 to clients.
  MISSING_AUTHENTICATION_TOKEN: { kind: "notFound", detail: "No such route." },
  RESOURCE_NOT_FOUND: { kind: "notFound", detail: "No such route." },
  THROTTLED: { kind: "throttled", detail: "Rate limit exceeded for this API key.", retryAfter: 1 },
  QUOTA_EXCEEDED: { kind: "throttled", detail: "Daily quota exceeded for this API key.", retryAfter: 3600 },
  REQUEST_TOO_LARGE: {
    kind: "bodyTooLarge",
    detail: "The body is over 10 MB, the most one request may carry.",
  },
  UNSUPPORTED_MEDIA_TYPE: { kind: "unsupportedMediaType", detail: "Send application/json." },
  INTEGRATION_FAILURE: { kind: "badGateway", detail: "The predict function failed to answer." },
  INTEGRATION_TIMEOUT: {
    kind: "timeout",
    detail: "The forecast took too long; retry or use a forecast job.",
  },
  DEFAULT_4XX: { kind: "invalid", detail: "$context.error.message" },
  DEFAULT_5XX: { kind: "internal", detail: "$context.error.message" },
};

/** A velocity template producing the problem body; `$context` values are JSON-escaped with $util. */
export function problemTemplate(kind: ProblemKind, detail: string): string {
  const detailJson = detail.startsWith("$context")
    ? `"$util.escapeJavaScript(${detail})"`
    : JSON.stringify(detail);
  return (
    `{"type":${JSON.stringify(problemType(kind))},"title":${JSON.stringify(PROBLEMS[kind].title)},` +
    `"status":${PROBLEMS[kind].status},"detail":${detailJson},"request_id":"$context.requestId"}`
  );
}

function gatewayResponses(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [type, r] of Object.entries(GATEWAY_RESPONSES)) {
    const headers: Record<string, string> = {
      "gatewayresponse.header.Content-Type": `'${PROBLEM_CONTENT_TYPE}'`,
      "gatewayresponse.header.Cache-Control": "'no-store'",
    };
    if (r.retryAfter) headers["gatewayresponse.header.Retry-After"] = `'${r.retryAfter}'`;
    out[type] = {
      // The status always matches the body's (the defaults too: a 4xx without its own type answers 400).
      statusCode: String(PROBLEMS[r.kind].status),
      responseParameters: headers,
      responseTemplates: {
        "application/json": problemTemplate(r.kind, r.detail),
      },
    };
  }
  return out;
}

const SCHEMA_REF = "#/components/schemas/";

/**
 * What API Gateway's import takes: refs to responses, headers, parameters and examples inlined (it resolves only
 * schema refs, which become its models), and `example(s)` dropped (not supported).
 */
function forGateway(node: unknown, spec: OpenApiDoc): unknown {
  if (Array.isArray(node)) return node.map((n) => forGateway(n, spec));
  if (node === null || typeof node !== "object") return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === "string" && !ref.startsWith(SCHEMA_REF)) {
    let target: unknown = spec;
    for (const part of ref.replace(/^#\//, "").split("/")) target = (target as Record<string, unknown>)[part];
    if (target === undefined) throw new Error(`unresolved $ref ${ref} in api/openapi.yaml`);
    return forGateway(target, spec);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node))
    if (k !== "example" && k !== "examples") out[k] = forGateway(v, spec);
  return out;
}

export const REQUEST_VALIDATORS = {
  "body-and-params": { validateRequestBody: true, validateRequestParameters: true },
  "params-only": { validateRequestBody: false, validateRequestParameters: true },
} as const;

/**
 * The document API Gateway imports: api/openapi.yaml's paths and schemas (the single source), with non-schema
 * refs inlined and examples dropped, plus, per operation, a Lambda proxy integration and a request validator
 * (body + parameters when there is a body), the API key source, and problem+json gateway responses.
 * `invokeUri` is the function's invoke ARN. API Gateway's draft-4 models ignore a few keywords (e.g.
 * additionalProperties, with an import warning); the predict function validates the full schema with ajv anyway.
 */
export function gatewayDocument(spec: OpenApiDoc, invokeUri: string): Record<string, unknown> {
  const integration = {
    type: "aws_proxy",
    httpMethod: "POST",
    uri: invokeUri,
    passthroughBehavior: "when_no_match",
    timeoutInMillis: 29000,
  };
  const paths: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(spec.paths)) {
    const outItem: Record<string, unknown> = { ...item };
    for (const method of HTTP_METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      outItem[method] = {
        ...op,
        "x-amazon-apigateway-request-validator": op.requestBody ? "body-and-params" : "params-only",
        "x-amazon-apigateway-integration": integration,
      };
    }
    // Every other method of a known path goes to the function too (with the key required), which answers 405
    // with an Allow header; API Gateway alone would answer a missing method as an unknown route.
    outItem["x-amazon-apigateway-any-method"] = {
      parameters: [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
        name,
        in: "path",
        required: true,
        schema: { type: "string" },
      })),
      security: [{ api_key: [] }],
      responses: {
        "405": { description: "The path does not take this method; Allow lists those it takes." },
      },
      "x-amazon-apigateway-integration": integration,
    };
    paths[path] = outItem;
  }
  const { servers: _servers, components, ...rest } = spec as Record<string, unknown>;
  const { schemas, securitySchemes } = components as Record<string, unknown>;
  return forGateway(
    {
      ...rest,
      components: { schemas, securitySchemes },
      paths,
      "x-amazon-apigateway-api-key-source": "HEADER",
      "x-amazon-apigateway-request-validators": REQUEST_VALIDATORS,
      "x-amazon-apigateway-gateway-responses": gatewayResponses(),
    },
    spec,
  ) as Record<string, unknown>;
}

/** Stage access log format: one JSON line per request (fields the dashboard and audits use). */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  apiKeyId: "$context.identity.apiKeyId",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  status: "$context.status",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  errorType: "$context.error.responseType",
  xrayTraceId: "$context.xrayTraceId",
});

export interface PredictPolicyInput {
  readonly endpointArn: string;
  readonly processedBucketArn: string;
  readonly jobsBucketArn: string;
  readonly jobsQueueArn: string;
  readonly forecastStreamArn: string;
  /** Where the promote function publishes each version's metrics.json (GET /v1/model), if the API reads it. */
  readonly modelMetrics?: { readonly bucketArn: string; readonly prefix: string };
}

/** Reads of the published metrics.json files only; ListBucket on that prefix makes a missing one a 404. */
function modelMetricsStatements(m: PredictPolicyInput["modelMetrics"]): PolicyStatement[] {
  if (!m) return [];
  return [
    listUnder("ListModelMetrics", m.bucketArn, [m.prefix]),
    {
      Sid: "ReadModelMetrics",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${m.bucketArn}/${m.prefix}*`,
    },
  ];
}

/** Reads of the processed bucket: series_state, the item master, ETL run manifests and the accuracy table only. */
function processedReadStatements(bucketArn: string): PolicyStatement[] {
  const prefixes = ["series_state/", "item_master/", "runs/", "accuracy/"];
  return [
    listUnder("ListProcessedPrefixes", bucketArn, prefixes),
    {
      Sid: "ReadProcessedPrefixes",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: prefixes.map((p) => `${bucketArn}/${p}*`),
    },
  ];
}

function jobsBucketStatements(bucketArn: string): PolicyStatement[] {
  return [
    { Sid: "ListJobs", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
    {
      Sid: "ReadWriteJobs",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: `${bucketArn}/forecast-jobs/*`,
    },
  ];
}

/** The predict function: InvokeEndpoint on its own endpoint only, reads, jobs, the served-forecast stream. */
export function predictStatements(p: PredictPolicyInput): PolicyStatement[] {
  return [
    {
      Sid: "InvokeOwnEndpoint",
      Effect: "Allow",
      Action: "sagemaker:InvokeEndpoint",
      Resource: p.endpointArn,
    },
    ...processedReadStatements(p.processedBucketArn),
    ...modelMetricsStatements(p.modelMetrics),
    ...jobsBucketStatements(p.jobsBucketArn),
    { Sid: "EnqueueJobs", Effect: "Allow", Action: "sqs:SendMessage", Resource: p.jobsQueueArn },
    {
      Sid: "LogServedForecasts",
      Effect: "Allow",
      Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
      Resource: p.forecastStreamArn,
    },
  ];
}

/** The job worker: what predict has (minus nothing it needs) plus consuming its queue. */
export function workerStatements(p: PredictPolicyInput): PolicyStatement[] {
  return [
    ...predictStatements(p),
    {
      Sid: "ConsumeJobs",
      Effect: "Allow",
      Action: [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
      ],
      Resource: p.jobsQueueArn,
    },
  ];
}
