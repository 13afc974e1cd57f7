/** Alarm thresholds of the Observability component, in the operator's units, with their defaults. */

/** Every field has a default (DEFAULT_THRESHOLDS); `wape` and `bias` come from stack config. */
export interface AlarmThresholds {
  /** Firehose `DeliveryToS3.DataFreshness` ceiling, seconds. */
  readonly deliveryFreshnessSeconds: number;
  /** Fewer incoming events than this per hour is an outage upstream. */
  readonly minIngestRecordsPerHour: number;
  /** Events arrived but no ETL run succeeded for this long. */
  readonly etlStalledHours: number;
  /** Quarantined share of a run's records (0-1). */
  readonly quarantineRate: number;
  /** Endpoint model latency p99, milliseconds. */
  readonly endpointLatencyP99Ms: number;
  /** Endpoint 4xx or 5xx invocation errors per 5 minutes. */
  readonly endpointErrorsPer5Min: number;
  /** API latency p99, milliseconds. */
  readonly apiLatencyP99Ms: number;
  /** API 5xx share of requests (0-1). */
  readonly api5xxRate: number;
  /** API 4xx share of requests (0-1). */
  readonly api4xxRate: number;
  /** Overall WAPE against actuals of a day's served forecasts. */
  readonly wape: number;
  /** Absolute overall bias against actuals (0.2 = forecasts 20 % too high or too low in total). */
  readonly bias: number;
}

export const DEFAULT_THRESHOLDS: AlarmThresholds = {
  deliveryFreshnessSeconds: 900,
  minIngestRecordsPerHour: 1,
  etlStalledHours: 6,
  quarantineRate: 0.05,
  endpointLatencyP99Ms: 1000,
  endpointErrorsPer5Min: 5,
  apiLatencyP99Ms: 3000,
  api5xxRate: 0.01,
  api4xxRate: 0.25,
  wape: 0.5,
  bias: 0.25,
};

/** Checks thresholds; the error names the field and what it expects. */
export function validateThresholds(t: AlarmThresholds): AlarmThresholds {
  const positive: (keyof AlarmThresholds)[] = [
    "deliveryFreshnessSeconds",
    "minIngestRecordsPerHour",
    "endpointLatencyP99Ms",
    "endpointErrorsPer5Min",
    "apiLatencyP99Ms",
    "wape",
    "bias",
  ];
  for (const key of positive) {
    if (!(Number.isFinite(t[key]) && t[key] > 0))
      throw new Error(`thresholds.${key}: expected a number > 0, got ${t[key]}`);
  }
  for (const key of ["quarantineRate", "api5xxRate", "api4xxRate"] as const) {
    if (!(t[key] > 0 && t[key] < 1))
      throw new Error(`thresholds.${key}: expected a share between 0 and 1, got ${t[key]}`);
  }
  if (!(Number.isInteger(t.etlStalledHours) && t.etlStalledHours >= 2 && t.etlStalledHours <= 72))
    throw new Error(`thresholds.etlStalledHours: expected an integer from 2 to 72, got ${t.etlStalledHours}`);
  return t;
}
