/** Checks that a response is one the spec declares for its route: status, content type, body schema, headers. */
import type { APIGatewayProxyResult } from "aws-lambda";
import { ApiSchemas, routesOf, type OpenApiDoc } from "../../functions/predict/spec";

interface MediaObject {
  schema?: unknown;
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaObject>;
  headers?: Record<string, unknown>;
}

function resolve<T>(spec: OpenApiDoc, obj: T & { $ref?: string }): T {
  if (!obj?.$ref) return obj;
  const parts = obj.$ref.replace(/^#\//, "").split("/");
  let node: unknown = spec;
  for (const p of parts) node = (node as Record<string, unknown>)[p];
  return node as T;
}

export function declaredResponse(
  spec: OpenApiDoc,
  method: string,
  path: string,
  status: number,
): ResponseObject | undefined {
  const route = routesOf(spec).find((r) => r.method === method.toUpperCase() && r.match(path));
  if (!route) return undefined;
  const op = spec.paths[route.template][method.toLowerCase()] as {
    responses: Record<string, ResponseObject>;
  };
  const r = op.responses[String(status)] ?? op.responses.default;
  return r ? resolve(spec, r) : undefined;
}

/** Problems with a response (empty = it conforms). */
export function responseErrors(
  schemas: ApiSchemas,
  method: string,
  path: string,
  result: Pick<APIGatewayProxyResult, "statusCode" | "body" | "headers">,
): string[] {
  const declared = declaredResponse(schemas.spec, method, path, result.statusCode);
  if (!declared) return [`${method} ${path}: status ${result.statusCode} is not declared in the spec`];
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const errors: string[] = [];
  for (const h of Object.keys(declared.headers ?? {})) {
    if (headers[h.toLowerCase()] === undefined) errors.push(`header ${h} missing`);
  }
  const contentType = (headers["content-type"] ?? "").split(";")[0].trim();
  const media = declared.content?.[contentType];
  if (!media) return [...errors, `content type ${contentType} not declared for ${result.statusCode}`];
  let body: unknown;
  try {
    body = JSON.parse(result.body);
  } catch {
    return [...errors, "body is not JSON"];
  }
  for (const e of schemas.errorsForSchema(media.schema as object, body))
    errors.push(`${e.field}: ${e.message}`);
  return errors;
}
