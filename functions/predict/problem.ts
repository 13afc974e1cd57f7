/** RFC 9457 problem details: every error the API answers, the gateway's own included, has this shape. */

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
const TYPE_BASE = "https://warecast.dev/problems/";

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface SeriesKey {
  readonly warehouse_id: string;
  readonly sku: string;
}

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly request_id?: string;
  readonly errors?: FieldError[];
  readonly unknown_series?: SeriesKey[];
  readonly limit?: number;
}

/** Problem kinds: the URI suffix, title and status of each. Gateway responses reuse the same URIs. */
export const PROBLEMS = {
  invalid: { slug: "invalid-request", title: "Invalid request", status: 400 },
  forbidden: { slug: "forbidden", title: "Forbidden", status: 403 },
  notFound: { slug: "not-found", title: "Not found", status: 404 },
  unknownSeries: { slug: "unknown-series", title: "Unknown series", status: 404 },
  methodNotAllowed: { slug: "method-not-allowed", title: "Method not allowed", status: 405 },
  tooLarge: { slug: "too-many-series", title: "Too many series", status: 413 },
  bodyTooLarge: { slug: "body-too-large", title: "Body too large", status: 413 },
  uriTooLong: { slug: "uri-too-long", title: "URI too long", status: 414 },
  unsupportedMediaType: { slug: "unsupported-media-type", title: "Unsupported media type", status: 415 },
  headersTooLarge: { slug: "headers-too-large", title: "Request headers too large", status: 431 },
  throttled: { slug: "throttled", title: "Too many requests", status: 429 },
  internal: { slug: "internal", title: "Internal error", status: 500 },
  badGateway: { slug: "bad-gateway", title: "Bad gateway", status: 502 },
  unavailable: { slug: "unavailable", title: "Service unavailable", status: 503 },
  timeout: { slug: "timeout", title: "Gateway timeout", status: 504 },
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

export function problemType(kind: ProblemKind): string {
  return TYPE_BASE + PROBLEMS[kind].slug;
}

/**
 * An error that maps to one problem response. Domain code throws it; the handler turns it into HTTP.
 * Anything else thrown is a bug and answers 500 (and is logged with its stack).
 */
export class ApiProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly extra: {
      errors?: FieldError[];
      unknown_series?: SeriesKey[];
      limit?: number;
      retryAfterSeconds?: number;
      /** The methods the path allows (a 405's Allow header). */
      allow?: readonly string[];
    } = {},
  ) {
    const message = `${PROBLEMS[kind].title}: ${detail}`;
    super(message);
    // Serialized into a Lambda, the class calls Error without new, which sets nothing on this: set it here.
    this.message = message;
    this.name = "ApiProblem";
  }

  get status(): number {
    return PROBLEMS[this.kind].status;
  }

  body(requestId?: string, instance?: string): ProblemBody {
    const { retryAfterSeconds: _retry, allow: _allow, ...fields } = this.extra;
    return {
      type: problemType(this.kind),
      title: PROBLEMS[this.kind].title,
      status: this.status,
      detail: this.detail,
      ...(instance ? { instance: clip(instance, 200) } : {}),
      ...(requestId ? { request_id: requestId } : {}),
      ...fields,
    };
  }
}

/**
 * A value a client sent, fit to echo in an error: at most `max` characters, and says how long it was when cut,
 * so a 10,000-character id or path does not come back whole.
 */
export function clip(value: string, max = 64): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}
