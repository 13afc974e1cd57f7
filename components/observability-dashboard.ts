/**
 * The CloudWatch dashboard body: one row per failure mode (ingest, ETL, training, endpoint, API, accuracy,
 * functions) and the alarm status of every alarm at the top. A pure function of resolved names, so it is tested
 * without Pulumi; the component calls it inside one `pulumi.all(...).apply`.
 */
import { METRICS_NAMESPACE, type MetricName } from "../functions/metric-catalogue";
import {
  ACCURACY_ALL_GROUP,
  ETL_METRICS,
  SERVICES,
  type AlarmThresholds,
  type MonitoredResources,
} from "./observability-alarms";

/** A CloudWatch dashboard metric line: namespace, name, dimension name/value pairs, then rendering options. */
type MetricLine = (string | Record<string, unknown>)[];

interface Widget {
  readonly type: "metric" | "text" | "alarm";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

export interface DashboardInput {
  readonly region: string;
  readonly resources: MonitoredResources<string>;
  readonly thresholds: AlarmThresholds;
  /** ARNs of the alarms to show in the status widget (max 100 per widget: split beyond that). */
  readonly alarmArns: readonly string[];
}

const WIDTH = 24;
const COLUMNS = 3;
const HEIGHT = 6;

function line(
  namespace: string,
  metricName: string,
  dims: Record<string, string>,
  opts: Record<string, unknown>,
): MetricLine {
  return [namespace, metricName, ...Object.entries(dims).flat(), opts];
}

/** The count of failure events an EventBridge failure rule matched, drawn in red. */
function failedRuns(ruleName: string): MetricLine {
  return line("AWS/Events", "TriggeredRules", { RuleName: ruleName }, { label: "failed", color: "#d62728" });
}

function custom(
  metricName: MetricName,
  dims: Record<string, string>,
  opts: Record<string, unknown>,
): MetricLine {
  return line(METRICS_NAMESPACE, metricName, dims, opts);
}

interface Graph {
  readonly title: string;
  readonly metrics: MetricLine[];
  readonly stat?: string;
  readonly period?: number;
  /** Horizontal threshold lines. */
  readonly lines?: { label: string; value: number }[];
  readonly yLabel?: string;
}

/** Lays out rows of graphs, each row under a markdown heading, three graphs per line. */
function layout(rows: { heading: string; graphs: Graph[] }[], region: string, top: number): Widget[] {
  const widgets: Widget[] = [];
  let y = top;
  const w = WIDTH / COLUMNS;
  for (const row of rows) {
    widgets.push({
      type: "text",
      x: 0,
      y,
      width: WIDTH,
      height: 1,
      properties: { markdown: `## ${row.heading}` },
    });
    y += 1;
    row.graphs.forEach((g, i) => {
      if (i > 0 && i % COLUMNS === 0) y += HEIGHT;
      widgets.push({
        type: "metric",
        x: (i % COLUMNS) * w,
        y,
        width: w,
        height: HEIGHT,
        properties: {
          title: g.title,
          region,
          view: "timeSeries",
          stacked: false,
          metrics: g.metrics,
          stat: g.stat ?? "Sum",
          period: g.period ?? 300,
          ...(g.lines ? { annotations: { horizontal: g.lines } } : {}),
          ...(g.yLabel ? { yAxis: { left: { label: g.yLabel, showUnits: false } } } : {}),
        },
      });
    });
    y += HEIGHT;
  }
  return widgets;
}

/** The dashboard body (JSON-serialisable). */
export function dashboardBody(input: DashboardInput): { widgets: Widget[] } {
  const { region, resources: r, thresholds: t } = input;
  const streams: [string, string][] = [["events", r.ingest.events]];
  if (r.ingest.forecastLog !== undefined) streams.push(["forecast log", r.ingest.forecastLog]);
  const firehose = (metric: string, opts: Record<string, unknown> = {}) =>
    streams.map(([label, name]) =>
      line("AWS/Firehose", metric, { DeliveryStreamName: name }, { label, ...opts }),
    );
  const etl = { JobName: r.etl.jobName };
  const promote = { service: SERVICES.promote };
  const variant = { EndpointName: r.endpoint.name, VariantName: r.endpoint.variantName };
  const stage = { ApiName: r.api.name, Stage: r.api.stage };
  const overall = { JobName: r.etl.jobName, Group: ACCURACY_ALL_GROUP };
  const functions = Object.entries(r.functions).sort(([a], [b]) => a.localeCompare(b));

  const rows = [
    {
      heading: "Ingest: volume and delivery freshness",
      graphs: [
        { title: "Incoming records", metrics: firehose("IncomingRecords") },
        {
          title: "Delivery freshness (oldest undelivered record, s)",
          metrics: firehose("DeliveryToS3.DataFreshness"),
          stat: "Maximum",
          lines: [{ label: "alarm", value: t.deliveryFreshnessSeconds }],
        },
        { title: "S3 delivery success (share)", metrics: firehose("DeliveryToS3.Success"), stat: "Average" },
      ],
    },
    {
      heading: "ETL: runs and quarantine rate",
      graphs: [
        {
          title: "ETL runs",
          metrics: [
            custom(ETL_METRICS.recordsIn, etl, { stat: "SampleCount", label: "completed" }),
            failedRuns(r.etl.failureRuleName),
          ],
          period: 3600,
        },
        {
          title: "Records per run",
          metrics: [
            custom(ETL_METRICS.recordsIn, etl, { label: "in" }),
            custom(ETL_METRICS.valid, etl, { label: "valid" }),
            custom(ETL_METRICS.quarantined, etl, { label: "quarantined" }),
            custom(ETL_METRICS.duplicates, etl, { label: "duplicates" }),
            custom(ETL_METRICS.demandRows, etl, { label: "demand rows written" }),
          ],
          period: 3600,
        },
        {
          title: "Quarantine rate",
          metrics: [
            [
              {
                expression: "IF(records > 0, quarantined / records, 0)",
                label: "quarantined / in",
                id: "rate",
              },
            ],
            custom(ETL_METRICS.recordsIn, etl, { id: "records", visible: false }),
            custom(ETL_METRICS.quarantined, etl, { id: "quarantined", visible: false }),
          ],
          period: 3600,
          lines: [{ label: "alarm", value: t.quarantineRate }],
        },
      ],
    },
    {
      heading: "Training: runs and backtest scores",
      graphs: [
        {
          title: "Training runs",
          metrics: [
            custom("RetrainStarted", { service: SERVICES.retrain }, { label: "started" }),
            failedRuns(r.training.failureRuleName),
          ],
          period: 86400,
        },
        {
          title: "Promotions",
          metrics: [
            custom("ModelPromoted", promote, { label: "promoted" }),
            custom("ModelNotPromoted", promote, { label: "not promoted (gate)" }),
            custom("PromotionDeferred", promote, { label: "deferred (endpoint busy)" }),
          ],
          period: 86400,
        },
        {
          title: "Backtest score (gate metric, lower is better)",
          metrics: [
            custom("BacktestScore", promote, { label: "challenger" }),
            custom("ChampionScore", promote, { label: "champion" }),
          ],
          stat: "Maximum",
          period: 86400,
        },
      ],
    },
    {
      heading: "Endpoint: invocations, errors, latency",
      graphs: [
        {
          title: "Invocations",
          metrics: [line("AWS/SageMaker", "Invocations", variant, { label: "invocations" })],
        },
        {
          title: "Invocation errors",
          metrics: [
            line("AWS/SageMaker", "Invocation4XXErrors", variant, { label: "4xx" }),
            line("AWS/SageMaker", "Invocation5XXErrors", variant, { label: "5xx" }),
          ],
          lines: [{ label: "alarm", value: t.endpointErrorsPer5Min }],
        },
        {
          title: "Model latency (µs)",
          metrics: [
            line("AWS/SageMaker", "ModelLatency", variant, { stat: "p50", label: "p50" }),
            line("AWS/SageMaker", "ModelLatency", variant, { stat: "p99", label: "p99" }),
          ],
          lines: [{ label: "p99 alarm", value: t.endpointLatencyP99Ms * 1000 }],
        },
      ],
    },
    {
      heading: "API: requests, latency, error rates",
      graphs: [
        { title: "Requests", metrics: [line("AWS/ApiGateway", "Count", stage, { label: "requests" })] },
        {
          title: "Latency (ms)",
          metrics: [
            line("AWS/ApiGateway", "Latency", stage, { stat: "p50", label: "p50" }),
            line("AWS/ApiGateway", "Latency", stage, { stat: "p99", label: "p99" }),
          ],
          lines: [{ label: "p99 alarm", value: t.apiLatencyP99Ms }],
        },
        {
          title: "Error rates (share of requests)",
          metrics: [
            line("AWS/ApiGateway", "4XXError", stage, { label: "4xx" }),
            line("AWS/ApiGateway", "5XXError", stage, { label: "5xx" }),
          ],
          stat: "Average",
          lines: [
            { label: "4xx alarm", value: t.api4xxRate },
            { label: "5xx alarm", value: t.api5xxRate },
          ],
        },
      ],
    },
    {
      heading: "Forecast accuracy against actuals (all warehouses)",
      graphs: [
        {
          title: "WAPE",
          metrics: [custom("ForecastWAPE", overall, { label: "WAPE" })],
          stat: "Maximum",
          period: 86400,
          lines: [{ label: "alarm", value: t.wape }],
        },
        {
          title: "Bias (+ = over-forecast)",
          metrics: [custom("ForecastBias", overall, { label: "bias" })],
          stat: "Average",
          period: 86400,
          lines: [
            { label: "alarm", value: t.bias },
            { label: "alarm", value: -t.bias },
          ],
        },
        {
          title: "Forecasts evaluated / log failures",
          metrics: [
            custom("ForecastsEvaluated", overall, { label: "evaluated" }),
            custom(
              "ServedForecastLogFailures",
              { service: SERVICES.predict },
              { label: "log write failures" },
            ),
          ],
          period: 86400,
        },
      ],
    },
    {
      heading: "Functions",
      graphs: [
        {
          title: "Errors",
          metrics: functions.map(([id, name]) =>
            line("AWS/Lambda", "Errors", { FunctionName: name }, { label: id }),
          ),
        },
        {
          title: "Throttles",
          metrics: functions.map(([id, name]) =>
            line("AWS/Lambda", "Throttles", { FunctionName: name }, { label: id }),
          ),
        },
        {
          title: "Duration p99 (ms)",
          metrics: functions.map(([id, name]) =>
            line("AWS/Lambda", "Duration", { FunctionName: name }, { label: id }),
          ),
          stat: "p99",
        },
      ],
    },
  ];

  const alarmWidgets: Widget[] = [];
  const arns = [...input.alarmArns];
  for (let i = 0; i < arns.length; i += 100) {
    alarmWidgets.push({
      type: "alarm",
      x: 0,
      y: alarmWidgets.length * 4,
      width: WIDTH,
      height: 4,
      properties: { title: "Alarms", alarms: arns.slice(i, i + 100), sortBy: "stateUpdatedTimestamp" },
    });
  }
  return { widgets: [...alarmWidgets, ...layout(rows, region, alarmWidgets.length * 4)] };
}
