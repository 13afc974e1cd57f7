import { InvokeEndpointCommand, type SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { ApiProblem } from "./problem";

import type {
  EndpointQuantileMap,
  EndpointRequest as SchemaRequest,
  EndpointResponse,
} from "./endpoint-contract";

/** The endpoint contract's types, generated from schemas/endpoint.schema.json (./endpoint-contract.ts). */
export type {
  EndpointResponse,
  EndpointSeries,
  EndpointSeriesForecast,
  EndpointWindow,
} from "./endpoint-contract";
export type QuantileMap = EndpointQuantileMap;
/** What the API sends: the schema's request, with the settings the API always states required. */
export type EndpointRequest = SchemaRequest & Required<Pick<SchemaRequest, "freq" | "horizon" | "quantiles">>;

export interface EndpointCallStats {
  readonly attempts: number;
  readonly elapsedMs: number;
}

/** What the handlers need from the model endpoint. */
export interface ForecastEndpoint {
  invoke(request: EndpointRequest): Promise<{ response: EndpointResponse; stats: EndpointCallStats }>;
}

export interface EndpointClientOptions {
  readonly endpointName: string;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** Attempts in all (1 = no retry). */
  readonly maxAttempts: number;
  /** Budget for all attempts and back-offs together; no attempt starts that could not finish within it. */
  readonly budgetMs: number;
  /** Seconds clients are told to wait (Retry-After) when the endpoint stays unavailable. */
  readonly retryAfterSeconds: number;
  /** Base of the exponential back-off, ms (full jitter: a random wait in [0, base·2^n]). */
  readonly backoffBaseMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/**
 * Error names (SDK exception names or HTTP outcomes) worth another attempt. An array: a captured Set does not
 * survive the Lambda closure serializer (docs/foundation.md).
 */
const RETRYABLE: readonly string[] = [
  "ModelNotReadyException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalDependencyException",
  "ThrottlingException",
  "TimeoutError",
  "AbortError",
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
];

function errorName(err: unknown): string {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.code && RETRYABLE.includes(e.code) ? e.code : (e?.name ?? "Error");
}

function isEndpointMissing(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return (
    e?.name === "ValidationError" && /endpoint .* not found|could not find endpoint/i.test(e.message ?? "")
  );
}

function isRetryable(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; OriginalStatusCode?: number };
  if (RETRYABLE.includes(errorName(err))) return true;
  // A model container that failed with a 5xx (ModelError) may be restarting; a 4xx is our request's fault.
  if (e?.name === "ModelError") return (e.OriginalStatusCode ?? 500) >= 500;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/**
 * InvokeEndpoint with a per-attempt timeout, bounded retries with full-jitter back-off and an overall budget
 * well under API Gateway's 29 s. Failures map to problems: endpoint missing or unavailable → 503 with
 * Retry-After; an answer the API cannot use → 502.
 */
export class EndpointClient implements ForecastEndpoint {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    private readonly runtime: SageMakerRuntimeClient,
    private readonly options: EndpointClientOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  async invoke(request: EndpointRequest): Promise<{ response: EndpointResponse; stats: EndpointCallStats }> {
    const { timeoutMs, maxAttempts, budgetMs, retryAfterSeconds } = this.options;
    const base = this.options.backoffBaseMs ?? 200;
    const started = this.now();
    const body = JSON.stringify(request);
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const remaining = budgetMs - (this.now() - started);
      if (remaining < Math.min(timeoutMs, 1000)) break;
      try {
        const out = await this.runtime.send(
          new InvokeEndpointCommand({
            EndpointName: this.options.endpointName,
            ContentType: "application/json",
            Accept: "application/json",
            Body: new TextEncoder().encode(body),
          }),
          { abortSignal: AbortSignal.timeout(Math.min(timeoutMs, remaining)) },
        );
        const text = new TextDecoder().decode(out.Body);
        let parsed: EndpointResponse;
        try {
          parsed = JSON.parse(text) as EndpointResponse;
        } catch {
          throw new ApiProblem("badGateway", "The forecast endpoint answered something that is not JSON.");
        }
        if (!parsed || !Array.isArray(parsed.series) || typeof parsed.model_version !== "string") {
          throw new ApiProblem("badGateway", "The forecast endpoint's answer does not follow its contract.");
        }
        return { response: parsed, stats: { attempts: attempt, elapsedMs: this.now() - started } };
      } catch (err) {
        if (err instanceof ApiProblem) throw err;
        if (isEndpointMissing(err)) {
          throw new ApiProblem(
            "unavailable",
            "No model is deployed yet: the forecast endpoint does not exist.",
            {
              retryAfterSeconds,
            },
          );
        }
        lastError = err;
        if (!isRetryable(err)) {
          throw new ApiProblem(
            "badGateway",
            `The forecast endpoint rejected the request (${errorName(err)}: ${(err as Error).message ?? ""}).`,
          );
        }
        if (attempt < maxAttempts) await this.sleep(this.random() * base * 2 ** (attempt - 1));
      }
    }
    throw new ApiProblem(
      "unavailable",
      `The forecast endpoint is unavailable (${errorName(lastError)}); try again later.`,
      { retryAfterSeconds },
    );
  }
}
