/* Generated from schemas/endpoint.schema.json by scripts/endpoint-types.ts (json-schema-to-typescript).
 * Do not edit: change the schema and run `npx tsx scripts/endpoint-types.ts`. */

/**
 * Request and response of the SageMaker endpoint (InvokeEndpoint, application/json). The endpoint is a pure function of its request. Validate a request against #/$defs/request and a response against #/$defs/response. Rules JSON Schema cannot state (future arrays no longer than horizon, window ends within horizon, history arrays of equal length) are checked by the handler, which answers HTTP 400 with a message naming the field.
 */
export type WarecastForecastEndpoint = EndpointRequest | EndpointResponse;
/**
 * D = daily; W = weekly (7-day periods; each value is the total of the 7 days starting at its date).
 */
export type EndpointFreq = "D" | "W";
export type EndpointQuantileLevel = number;
export type EndpointDate = string;
/**
 * D = daily; W = weekly (7-day periods; each value is the total of the 7 days starting at its date).
 */
export type EndpointFreq1 = "D" | "W";

export interface EndpointRequest {
  freq?: EndpointFreq;
  /**
   * Number of periods to forecast. Default 28 (daily) or 13 (weekly).
   */
  horizon?: number;
  /**
   * Quantile levels wanted for every step and window. Default [0.1, 0.5, 0.9].
   *
   * @minItems 1
   * @maxItems 99
   */
  quantiles?: EndpointQuantileLevel[];
  /**
   * Windows of cumulative demand to return quantiles for (from sample paths, never sums of daily quantiles).
   *
   * @maxItems 20
   */
  windows?: EndpointWindow[];
  /**
   * Sample paths to return per series (0 = none). Windows always use the model's own paths.
   */
  num_samples?: number;
  /**
   * Seed of the sample paths; the same request always gives the same response. At most 2^63 - 1 (numpy's seeds are 64-bit).
   */
  seed?: number;
  /**
   * @minItems 1
   * @maxItems 1000
   */
  series: EndpointSeries[];
}
/**
 * A window of horizon steps, both ends inclusive, 1-based (step 1 = the first period after the last history date). E.g. lead time + review period.
 */
export interface EndpointWindow {
  name: string;
  start: number;
  end: number;
}
export interface EndpointSeries {
  /**
   * Caller's id of the series, echoed back (e.g. "WH1/SKU-1").
   */
  id: string;
  /**
   * Observed periods from start, one array element per period, all arrays the same length as units. Up to 400 daily periods are used (the yearly lags); more are accepted and only the last ones read.
   */
  history: {
    start: EndpointDate;
    /**
     * Units sold per period; null = not observed. Negative values (net returns) are accepted.
     *
     * @maxItems 3000
     */
    units: (number | null)[];
    promo?: (boolean | null)[];
    price?: (number | null)[];
    /**
     * true = the item was out of stock: units is censored demand (a lower bound), not demand.
     */
    stockout?: (boolean | null)[];
    /**
     * true = the warehouse was closed: the period is not counted as zero demand.
     */
    closed?: (boolean | null)[];
  };
  /**
   * Known-ahead covariates for steps 1..n (n <= horizon). Missing steps and nulls mean unknown: the model then assumes no promo and the last known price.
   */
  future?: {
    promo?: (boolean | null)[];
    price?: (number | null)[];
  };
}
export interface EndpointResponse {
  /**
   * Version of the artifact that answered; a bootstrap baseline says so (model_kind).
   */
  model_version: string;
  model_kind: "global-gbm" | "bootstrap-baseline";
  freq: EndpointFreq1;
  horizon: number;
  quantiles: EndpointQuantileLevel[];
  series: EndpointSeriesForecast[];
}
export interface EndpointSeriesForecast {
  id: string;
  /**
   * How this series was forecast: the model kind (e.g. global-gbm, seasonal-naive), or the fallback used: cold-start (too little history), sparse (observed in under half of the last year's periods), intermittent (mostly zero demand).
   */
  method: "global-gbm" | "seasonal-naive" | "cold-start" | "sparse" | "intermittent";
  forecast: EndpointForecastPoint[];
  windows: EndpointWindowForecast[];
  /**
   * num_samples sample paths, each of horizon non-negative values.
   */
  samples: number[][];
}
export interface EndpointForecastPoint {
  date: EndpointDate;
  step: number;
  mean: number;
  quantiles: EndpointQuantileMap;
}
/**
 * Keyed by the requested quantile level written as the shortest decimal that round-trips (Python repr, JavaScript String): 0.1 -> "0.1", 0.975 -> "0.975". Values never decrease as the level increases and are never negative.
 */
export interface EndpointQuantileMap {
  [k: string]: number;
}
export interface EndpointWindowForecast {
  name: string;
  start: number;
  end: number;
  mean: number;
  quantiles: EndpointQuantileMap;
}
