/**
 * Settings of the predict function. The component fills them from stack config (config/), the local API from
 * its own defaults; the handler never reads the environment itself.
 */
export interface PredictConfig {
  /** Series per synchronous call (POST /v1/forecasts, /v1/recommendations); more answer 413. */
  readonly maxSeriesPerRequest: number;
  /**
   * Series per endpoint call: a larger batch is split into calls made at once, which the endpoint's worker
   * processes (or instances) forecast in parallel.
   */
  readonly endpointSeriesPerCall: number;
  /** Series per bulk job. */
  readonly maxSeriesPerJob: number;
  /** Horizon when the request gives none (the largest a request may ask is the spec's Horizon maximum). */
  readonly defaultHorizonDays: number;
  /** Quantiles when the request gives none. */
  readonly defaultQuantiles: readonly number[];
  /** Per-attempt timeout of InvokeEndpoint, in ms. */
  readonly endpointTimeoutMs: number;
  /** InvokeEndpoint attempts (1 = no retry). */
  readonly endpointMaxAttempts: number;
  /** Total time budget of the endpoint call, retries included, in ms; well under API Gateway's 29 s. */
  readonly endpointBudgetMs: number;
  /** Data older than this (hours since the last ETL run finished) makes health "degraded". */
  readonly staleAfterHours: number;
  /** Seconds a client should wait after a 503. */
  readonly retryAfterSeconds: number;
  /** Replenishment defaults when neither the request nor the item master sets a field. */
  readonly replenishmentDefaults: {
    readonly lead_time_days: number;
    readonly review_period_days: number;
    readonly service_level: number;
    readonly moq: number;
    readonly pack_size: number;
  };
}

export const DEFAULT_PREDICT_CONFIG: PredictConfig = {
  maxSeriesPerRequest: 100,
  endpointSeriesPerCall: 50,
  maxSeriesPerJob: 100_000,
  defaultHorizonDays: 28,
  defaultQuantiles: [0.1, 0.5, 0.9],
  endpointTimeoutMs: 8_000,
  endpointMaxAttempts: 3,
  endpointBudgetMs: 20_000,
  staleAfterHours: 36,
  retryAfterSeconds: 30,
  replenishmentDefaults: {
    lead_time_days: 7,
    review_period_days: 7,
    service_level: 0.95,
    moq: 0,
    pack_size: 1,
  },
};

/** Checks a config once, at cold start; a wrong value names the setting. */
export function validatePredictConfig(c: PredictConfig): PredictConfig {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`PredictConfig.${name} must be a positive integer, got ${v}`);
  };
  positiveInt("maxSeriesPerRequest", c.maxSeriesPerRequest);
  positiveInt("maxSeriesPerJob", c.maxSeriesPerJob);
  positiveInt("endpointSeriesPerCall", c.endpointSeriesPerCall);
  positiveInt("defaultHorizonDays", c.defaultHorizonDays);
  positiveInt("endpointTimeoutMs", c.endpointTimeoutMs);
  positiveInt("endpointMaxAttempts", c.endpointMaxAttempts);
  positiveInt("endpointBudgetMs", c.endpointBudgetMs);
  if (c.maxSeriesPerRequest > 1000)
    throw new Error("PredictConfig.maxSeriesPerRequest must be <= 1000 (the endpoint's limit)");
  if (c.endpointBudgetMs >= 29_000)
    throw new Error("PredictConfig.endpointBudgetMs must be under API Gateway's 29 s");
  if (c.defaultQuantiles.length === 0 || c.defaultQuantiles.some((q) => !(q > 0 && q < 1)))
    throw new Error("PredictConfig.defaultQuantiles must be levels strictly between 0 and 1");
  return c;
}
