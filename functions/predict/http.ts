import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { ApiProblem, PROBLEM_CONTENT_TYPE, type ProblemBody } from "./problem";

export type ApiEvent = APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;

/** Case-insensitive header lookup (API Gateway keeps the client's casing). */
export function header(event: ApiEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    if (k.toLowerCase() === wanted && v !== undefined) return v;
  }
  return undefined;
}

/** The JSON body, or a 400 problem saying why it cannot be read. */
export function jsonBody(event: ApiEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === "") {
    throw new ApiProblem("invalid", "The request needs a JSON body.", {
      errors: [{ field: "/body", message: "is required" }],
    });
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = `is not valid JSON (${err instanceof Error ? err.message : String(err)})`;
    throw new ApiProblem("invalid", `The body ${message}.`, { errors: [{ field: "/body", message }] });
  }
}

export function jsonResult(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): ApiResult {
  return {
    statusCode,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers },
    body: JSON.stringify(body),
  };
}

/** A problem response; `retryAfterSeconds` sets Retry-After (429, 503), `allow` the Allow header of a 405. */
export function problemResult(
  problem: ProblemBody,
  { retryAfterSeconds, allow }: { retryAfterSeconds?: number; allow?: readonly string[] } = {},
): ApiResult {
  const headers: Record<string, string> = {
    "Content-Type": PROBLEM_CONTENT_TYPE,
    "Cache-Control": "no-store",
  };
  if (retryAfterSeconds !== undefined)
    headers["Retry-After"] = String(Math.max(1, Math.round(retryAfterSeconds)));
  if (allow !== undefined) headers.Allow = allow.join(", ");
  return { statusCode: problem.status, headers, body: JSON.stringify(problem) };
}
