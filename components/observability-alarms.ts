/**
 * The alarm catalogue: one definition per failure mode the issue lists (ingest, ETL, training, endpoint, API,
 * accuracy) plus the functions. Pure data: the Observability component turns each definition into a MetricAlarm
 * wired to the alarm topic, and docs/operations.md holds the runbook entry of each id.
 *
 * Generic over the dimension value type `V`, so the component passes Pulumi inputs (resource names it receives)
 * and tests pass plain strings, with no `apply` in between.
 */
import { METRICS_NAMESPACE } from "../functions/powertools";
import { validateThresholds, type AlarmThresholds } from "./observability-thresholds";

export { DEFAULT_THRESHOLDS, validateThresholds, type AlarmThresholds } from "./observability-thresholds";

/** The failure modes the dashboard rows and the alarms are grouped by. */
export const FAILURE_MODES = [
  "ingest",
  "etl",
  "training",
  "endpoint",
  "api",
  "accuracy",
  "functions",
] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

/** The `Group` dimension value of the accuracy roll-up over all warehouses (etl/accuracy.py `ALL`). */
export const ACCURACY_ALL_GROUP = "__all__";

/**
 * Powertools' `service` dimension value of each publisher: the name each component passes to
 * `createObservability` (components/forecast-model/handler-deps.ts, components/prediction-api.ts). Keep them in step.
 */
export const SERVICES = { promote: "promote", predict: "warecast-predict", retrain: "retrain" } as const;

/** Metrics of the ETL job (etl/metrics.py, one PutMetricData per run), dimensioned by `JobName` only. */
export const ETL_METRICS = {
  recordsIn: "RecordsIn",
  valid: "ValidEvents",
  quarantined: "QuarantinedRecords",
  duplicates: "DuplicateEvents",
  demandRows: "DemandRowsWritten",
  duration: "DurationSeconds",
} as const;

export interface MetricRef<V> {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, V>>;
  /** A statistic (`Sum`, `Average`, `Maximum`, `Minimum`) or a percentile (`p99`). */
  readonly stat: string;
  /** Seconds. */
  readonly period: number;
}

export interface AlarmDefinition<V> {
  /** Stable id: the alarm's logical name suffix and its runbook anchor in docs/operations.md. */
  readonly id: string;
  readonly failureMode: FailureMode;
  /** What it means, in one line (the alarm description; the runbook says more). */
  readonly description: string;
  /** Either one metric... */
  readonly metric?: MetricRef<V>;
  /** ...or a metric math expression over named metrics (ids are lower-case letters and digits). */
  readonly math?: {
    readonly expression: string;
    readonly label: string;
    readonly metrics: Readonly<Record<string, MetricRef<V>>>;
  };
  readonly comparison: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /** Missing data: `notBreaching` for event-like metrics, `breaching` where silence itself is the failure. */
  readonly treatMissingData: "notBreaching" | "breaching";
}

/** The resources the alarms watch, by the names their metrics are dimensioned on. */
export interface MonitoredResources<V> {
  /** Firehose delivery stream names. `forecastLog` is the served-forecast log stream, when there is one. */
  readonly ingest: { readonly events: V; readonly forecastLog?: V };
  /** The Glue job's failure rule (EventBridge), created by the Observability component. */
  /** The Glue job (its metrics' `JobName`) and its failure rule (EventBridge), created by Observability. */
  readonly etl: { readonly jobName: V; readonly failureRuleName: V };
  /** The training-job failure rule (EventBridge), created by the Observability component. */
  readonly training: { readonly failureRuleName: V };
  readonly endpoint: { readonly name: V; readonly variantName: V };
  readonly api: { readonly name: V; readonly stage: V };
  /** Lambda functions by a stable id (e.g. `predict`) → function name. */
  readonly functions: Readonly<Record<string, V>>;
}

/** Fires on the first period in breach; no data is fine (event-like metrics). */
const FIRST_PERIOD = {
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  treatMissingData: "notBreaching",
} as const;
/** Fires after three periods in breach in a row (15 minutes of 5-minute periods). */
const SUSTAINED = { evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: "notBreaching" } as const;
/** Fires when two of the last three periods are in breach (bursty error counts). */
const TWO_OF_THREE = {
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  treatMissingData: "notBreaching",
} as const;

const FIVE_MIN = 300;
const HOUR = 3600;
const DAY = 86400;

function custom<V>(
  metricName: string,
  dimensions: Record<string, V | string>,
  stat: string,
  period: number,
): MetricRef<V | string> {
  return { namespace: METRICS_NAMESPACE, metricName, dimensions, stat, period };
}

/**
 * Every alarm for these resources. Ids are unique and stable; per-resource alarms (streams, functions) are keyed on
 * the resource's id, never on a position.
 */
export function alarmDefinitions<V>(
  r: MonitoredResources<V>,
  t: AlarmThresholds,
): AlarmDefinition<V | string>[] {
  validateThresholds(t);
  const out: AlarmDefinition<V | string>[] = [];
  const firehose = (stream: V, metricName: string, stat: string, period = FIVE_MIN): MetricRef<V> => ({
    namespace: "AWS/Firehose",
    metricName,
    dimensions: { DeliveryStreamName: stream },
    stat,
    period,
  });
  const streams: [string, V][] = [["events", r.ingest.events]];
  if (r.ingest.forecastLog !== undefined) streams.push(["forecast-log", r.ingest.forecastLog]);

  // Ingest
  for (const [id, stream] of streams) {
    out.push({
      id: `ingest-${id}-freshness`,
      failureMode: "ingest",
      description: `Firehose ${id} stream: the oldest undelivered record is older than ${t.deliveryFreshnessSeconds} s.`,
      metric: firehose(stream, "DeliveryToS3.DataFreshness", "Maximum"),
      comparison: "GreaterThanThreshold",
      threshold: t.deliveryFreshnessSeconds,
      ...SUSTAINED,
    });
    out.push({
      id: `ingest-${id}-delivery`,
      failureMode: "ingest",
      description: `Firehose ${id} stream: deliveries to S3 are failing (records go to errors/ and are retried).`,
      metric: firehose(stream, "DeliveryToS3.Success", "Minimum"),
      comparison: "LessThanThreshold",
      threshold: 1,
      ...SUSTAINED,
    });
  }
  out.push({
    id: "ingest-events-volume",
    failureMode: "ingest",
    description: `Fewer than ${t.minIngestRecordsPerHour} events an hour reached the events stream: producers are down or cut off.`,
    metric: firehose(r.ingest.events, "IncomingRecords", "Sum", HOUR),
    comparison: "LessThanThreshold",
    threshold: t.minIngestRecordsPerHour,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: "breaching",
  });

  // ETL
  const job = { JobName: r.etl.jobName };
  out.push(
    ruleAlarm("etl-failed", "etl", "A Glue ETL run failed, timed out or errored.", r.etl.failureRuleName),
  );
  const stallPeriod = (t.etlStalledHours * HOUR) / 2;
  out.push({
    id: "etl-stalled",
    failureMode: "etl",
    description: `Events kept arriving but no ETL run completed for ${t.etlStalledHours} h: forecasts are going stale.`,
    math: {
      // Every completed run publishes RecordsIn once (0 when nothing was new): its sample count counts runs.
      expression: "IF(FILL(incoming, 0) > 0 AND FILL(runs, 0) == 0, 1, 0)",
      label: "events arrived without a completed ETL run",
      metrics: {
        incoming: firehose(r.ingest.events, "IncomingRecords", "Sum", stallPeriod),
        runs: custom<V>(ETL_METRICS.recordsIn, job, "SampleCount", stallPeriod),
      },
    },
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: "notBreaching",
  });
  out.push({
    id: "etl-quarantine-rate",
    failureMode: "etl",
    description: `ETL runs quarantined more than ${pct(t.quarantineRate)} of the records they read in an hour.`,
    math: {
      expression: "IF(FILL(records, 0) > 0, FILL(quarantined, 0) / records, 0)",
      label: "quarantined / records in",
      metrics: {
        records: custom<V>(ETL_METRICS.recordsIn, job, "Sum", HOUR),
        quarantined: custom<V>(ETL_METRICS.quarantined, job, "Sum", HOUR),
      },
    },
    comparison: "GreaterThanThreshold",
    threshold: t.quarantineRate,
    ...FIRST_PERIOD,
  });

  // Training
  out.push(
    ruleAlarm("training-failed", "training", "A SageMaker training job failed.", r.training.failureRuleName),
  );
  out.push({
    id: "training-rejected",
    failureMode: "training",
    description:
      "A newly trained model did not pass the metric gate (backtest against the champion) and was not promoted.",
    metric: custom<V>("ModelNotPromoted", { service: SERVICES.promote }, "Sum", DAY),
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    ...FIRST_PERIOD,
  });

  // Endpoint
  const variant = { EndpointName: r.endpoint.name, VariantName: r.endpoint.variantName };
  const sagemaker = (metricName: string, stat: string): MetricRef<V> => ({
    namespace: "AWS/SageMaker",
    metricName,
    dimensions: variant,
    stat,
    period: FIVE_MIN,
  });
  out.push({
    id: "endpoint-5xx",
    failureMode: "endpoint",
    description: `The endpoint answered ${t.endpointErrorsPer5Min} or more invocations with 5xx in 5 minutes (model errors or capacity).`,
    metric: sagemaker("Invocation5XXErrors", "Sum"),
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: t.endpointErrorsPer5Min,
    ...TWO_OF_THREE,
  });
  out.push({
    id: "endpoint-4xx",
    failureMode: "endpoint",
    description: `The endpoint rejected ${t.endpointErrorsPer5Min} or more invocations with 4xx in 5 minutes (request contract mismatch).`,
    metric: sagemaker("Invocation4XXErrors", "Sum"),
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: t.endpointErrorsPer5Min,
    ...TWO_OF_THREE,
  });
  out.push({
    id: "endpoint-latency",
    failureMode: "endpoint",
    description: `Endpoint model latency p99 above ${t.endpointLatencyP99Ms} ms for 15 minutes.`,
    metric: sagemaker("ModelLatency", "p99"),
    comparison: "GreaterThanThreshold",
    // ModelLatency is in microseconds.
    threshold: t.endpointLatencyP99Ms * 1000,
    ...SUSTAINED,
  });
  // API
  const stage = { ApiName: r.api.name, Stage: r.api.stage };
  const apigw = (metricName: string, stat: string): MetricRef<V> => ({
    namespace: "AWS/ApiGateway",
    metricName,
    dimensions: stage,
    stat,
    period: FIVE_MIN,
  });
  out.push({
    id: "api-latency",
    failureMode: "api",
    description: `API latency p99 above ${t.apiLatencyP99Ms} ms for 15 minutes.`,
    metric: apigw("Latency", "p99"),
    comparison: "GreaterThanThreshold",
    threshold: t.apiLatencyP99Ms,
    ...SUSTAINED,
  });
  out.push({
    id: "api-5xx",
    failureMode: "api",
    description: `More than ${pct(t.api5xxRate)} of API requests failed with 5xx for 15 minutes.`,
    metric: apigw("5XXError", "Average"),
    comparison: "GreaterThanThreshold",
    threshold: t.api5xxRate,
    ...SUSTAINED,
  });
  out.push({
    id: "api-4xx",
    failureMode: "api",
    description: `More than ${pct(t.api4xxRate)} of API requests were rejected with 4xx for 15 minutes (keys, throttling, bad requests).`,
    metric: apigw("4XXError", "Average"),
    comparison: "GreaterThanThreshold",
    threshold: t.api4xxRate,
    ...SUSTAINED,
  });

  // Accuracy against actuals
  const overall = { JobName: r.etl.jobName, Group: ACCURACY_ALL_GROUP };
  out.push({
    id: "accuracy-wape",
    failureMode: "accuracy",
    description: `WAPE of the served forecasts against actual demand rose above ${t.wape}.`,
    metric: custom<V>("ForecastWAPE", overall, "Maximum", DAY),
    comparison: "GreaterThanThreshold",
    threshold: t.wape,
    ...FIRST_PERIOD,
  });
  out.push({
    id: "accuracy-bias",
    failureMode: "accuracy",
    description: `Served forecasts were biased by more than ${pct(t.bias)} of actual demand (either direction).`,
    math: {
      expression: "ABS(bias)",
      label: "|bias| against actuals",
      metrics: { bias: custom<V>("ForecastBias", overall, "Average", DAY) },
    },
    comparison: "GreaterThanThreshold",
    threshold: t.bias,
    ...FIRST_PERIOD,
  });
  out.push({
    id: "accuracy-log-failures",
    failureMode: "accuracy",
    description: "The predict function could not write served forecasts to the served-forecast log.",
    metric: custom<V>("ServedForecastLogFailures", { service: SERVICES.predict }, "Sum", FIVE_MIN),
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    ...FIRST_PERIOD,
  });

  // Functions
  for (const [id, functionName] of Object.entries(r.functions).sort(([a], [b]) => a.localeCompare(b))) {
    out.push({
      id: `function-${id}-errors`,
      failureMode: "functions",
      description: `The ${id} function failed an invocation (an unhandled error or a timeout).`,
      metric: {
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: functionName },
        stat: "Sum",
        period: FIVE_MIN,
      },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      ...FIRST_PERIOD,
    });
  }
  const ids = out.map((a) => a.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup)
    throw new Error(
      `alarm ids must be unique: ${dup} appears twice (function ids clash with another alarm?)`,
    );
  return out;
}

/** An alarm on an EventBridge rule that matches failure events: it fires when the rule matched at least once. */
function ruleAlarm<V>(
  id: string,
  failureMode: FailureMode,
  description: string,
  ruleName: V,
): AlarmDefinition<V> {
  return {
    id,
    failureMode,
    description,
    metric: {
      namespace: "AWS/Events",
      metricName: "TriggeredRules",
      dimensions: { RuleName: ruleName },
      stat: "Sum",
      period: FIVE_MIN,
    },
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    ...FIRST_PERIOD,
  };
}

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}

/** EventBridge pattern of a failed, timed-out or errored run of one Glue job. */
export function glueJobFailurePattern<V>(jobName: V) {
  return {
    source: ["aws.glue"],
    "detail-type": ["Glue Job State Change"],
    detail: { jobName: [jobName], state: ["FAILED", "TIMEOUT", "ERROR"] },
  };
}

/** EventBridge pattern of a failed SageMaker training job whose name starts with the stack's prefix. */
export function trainingJobFailurePattern<V>(jobNamePrefix: V) {
  return {
    source: ["aws.sagemaker"],
    "detail-type": ["SageMaker Training Job State Change"],
    detail: { TrainingJobName: [{ prefix: jobNamePrefix }], TrainingJobStatus: ["Failed"] },
  };
}
