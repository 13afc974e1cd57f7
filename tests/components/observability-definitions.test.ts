/** The pure parts of observability: the alarm catalogue, the dashboard body, the runbook. No Pulumi. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ACCURACY_ALL_GROUP,
  DEFAULT_THRESHOLDS,
  FAILURE_MODES,
  alarmDefinitions,
  glueJobFailurePattern,
  trainingJobFailurePattern,
} from "../../components/observability-alarms";
import { dashboardBody } from "../../components/observability-dashboard";
import { sampleResources } from "./fixtures/monitored-resources";

const resources = sampleResources;

describe("alarmDefinitions", () => {
  const alarms = alarmDefinitions(resources, DEFAULT_THRESHOLDS);

  it("has exactly the catalogue's alarms, with unique stable ids", () => {
    expect(alarms.map((a) => a.id)).toEqual([
      "ingest-events-freshness",
      "ingest-events-delivery",
      "ingest-forecast-log-freshness",
      "ingest-forecast-log-delivery",
      "ingest-events-volume",
      "etl-failed",
      "etl-stalled",
      "etl-quarantine-rate",
      "training-failed",
      "training-rejected",
      "endpoint-5xx",
      "endpoint-4xx",
      "endpoint-latency",
      "api-latency",
      "api-5xx",
      "api-4xx",
      "accuracy-wape",
      "accuracy-bias",
      "accuracy-log-failures",
      "function-predict-errors",
      "function-promote-errors",
    ]);
  });

  it("covers every failure mode, each alarm with exactly one of metric or math", () => {
    for (const mode of FAILURE_MODES) expect(alarms.some((a) => a.failureMode === mode)).toBe(true);
    for (const a of alarms) expect(Boolean(a.metric) !== Boolean(a.math)).toBe(true);
  });

  it("watches the resources it was given, on the right dimensions", () => {
    const byId = Object.fromEntries(alarms.map((a) => [a.id, a]));
    expect(byId["ingest-forecast-log-freshness"].metric).toEqual({
      namespace: "AWS/Firehose",
      metricName: "DeliveryToS3.DataFreshness",
      dimensions: { DeliveryStreamName: "wc-forecasts" },
      stat: "Maximum",
      period: 300,
    });
    expect(byId["etl-failed"].metric?.dimensions).toEqual({ RuleName: "wc-etl-failed" });
    expect(byId["training-failed"].metric?.dimensions).toEqual({ RuleName: "wc-training-failed" });
    expect(byId["endpoint-latency"].metric?.dimensions).toEqual({
      EndpointName: "wc-endpoint",
      VariantName: "AllTraffic",
    });
    expect(byId["api-5xx"].metric?.dimensions).toEqual({ ApiName: "wc-api", Stage: "v1" });
    expect(byId["function-predict-errors"].metric?.dimensions).toEqual({ FunctionName: "wc-predict-fn" });
    // Custom metrics match what the publishers emit: namespace Warecast, Powertools' `service` dimension only.
    expect(byId["accuracy-wape"].metric).toMatchObject({
      namespace: "Warecast",
      metricName: "ForecastWAPE",
      dimensions: { JobName: "wc-etl", Group: ACCURACY_ALL_GROUP },
    });
    // The ETL job's metrics (etl/metrics.py) carry only JobName; a completed run publishes RecordsIn once.
    expect(byId["etl-stalled"].math?.metrics.runs).toEqual({
      namespace: "Warecast",
      metricName: "RecordsIn",
      dimensions: { JobName: "wc-etl" },
      stat: "SampleCount",
      period: 3 * 3600,
    });
    expect(byId["etl-quarantine-rate"].math?.metrics.quarantined).toMatchObject({
      metricName: "QuarantinedRecords",
      dimensions: { JobName: "wc-etl" },
    });
  });

  it("takes thresholds in the operator's units and converts where the metric differs", () => {
    const custom = alarmDefinitions(resources, {
      ...DEFAULT_THRESHOLDS,
      wape: 0.3,
      endpointLatencyP99Ms: 250,
    });
    const byId = Object.fromEntries(custom.map((a) => [a.id, a]));
    expect(byId["accuracy-wape"].threshold).toBe(0.3);
    expect(byId["endpoint-latency"].threshold).toBe(250_000); // ModelLatency is in microseconds
    expect(byId["accuracy-bias"].math?.expression).toBe("ABS(bias)");
    // Silence is the failure only for the ingest volume alarm.
    expect(custom.filter((a) => a.treatMissingData === "breaching").map((a) => a.id)).toEqual([
      "ingest-events-volume",
    ]);
  });

  it("omits the forecast-log stream alarms when there is no such stream", () => {
    const { forecastLog: _omit, ...ingest } = resources.ingest;
    const ids = alarmDefinitions({ ...resources, ingest }, DEFAULT_THRESHOLDS).map((a) => a.id);
    expect(ids.filter((id) => id.startsWith("ingest-"))).toEqual([
      "ingest-events-freshness",
      "ingest-events-delivery",
      "ingest-events-volume",
    ]);
  });

  it("rejects bad thresholds, naming the field", () => {
    expect(() => alarmDefinitions(resources, { ...DEFAULT_THRESHOLDS, wape: 0 })).toThrow(
      /thresholds.wape: expected a number > 0/,
    );
    expect(() => alarmDefinitions(resources, { ...DEFAULT_THRESHOLDS, api5xxRate: 1.5 })).toThrow(
      /thresholds.api5xxRate: expected a share between 0 and 1/,
    );
    expect(() => alarmDefinitions(resources, { ...DEFAULT_THRESHOLDS, etlStalledHours: 1 })).toThrow(
      /thresholds.etlStalledHours/,
    );
  });
});

describe("dashboardBody", () => {
  const body = dashboardBody({
    region: "eu-west-1",
    resources,
    thresholds: DEFAULT_THRESHOLDS,
    alarmArns: ["arn:aws:cloudwatch:eu-west-1:1:alarm:a", "arn:aws:cloudwatch:eu-west-1:1:alarm:b"],
  });
  const metricWidgets = body.widgets.filter((w) => w.type === "metric");
  const headings = body.widgets.filter((w) => w.type === "text").map((w) => String(w.properties.markdown));

  it("has a row for each part the issue lists", () => {
    expect(headings).toEqual([
      "## Ingest: volume and delivery freshness",
      "## ETL: runs and quarantine rate",
      "## Training: runs and backtest scores",
      "## Endpoint: invocations, errors, latency",
      "## API: requests, latency, error rates",
      "## Forecast accuracy against actuals (all warehouses)",
      "## Functions",
    ]);
  });

  it("shows the alarm status first and charts the given resources", () => {
    expect(body.widgets[0]).toMatchObject({
      type: "alarm",
      y: 0,
      properties: { alarms: expect.arrayContaining([expect.stringContaining("alarm:a")]) },
    });
    const text = JSON.stringify(metricWidgets);
    for (const name of [
      "wc-events",
      "wc-forecasts",
      "wc-etl-failed",
      "wc-training-failed",
      "wc-endpoint",
      "wc-api",
      "wc-predict-fn",
    ])
      expect(text).toContain(`"${name}"`);
    const api = metricWidgets.find((w) => w.properties.title === "Latency (ms)");
    expect(api?.properties.metrics).toEqual([
      ["AWS/ApiGateway", "Latency", "ApiName", "wc-api", "Stage", "v1", { stat: "p50", label: "p50" }],
      ["AWS/ApiGateway", "Latency", "ApiName", "wc-api", "Stage", "v1", { stat: "p99", label: "p99" }],
    ]);
  });

  it("lays widgets out without overlap inside the 24-column grid", () => {
    const cells = new Set<string>();
    for (const w of body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++)
        for (let y = w.y; y < w.y + w.height; y++) {
          const key = `${x},${y}`;
          expect(cells.has(key)).toBe(false);
          cells.add(key);
        }
    }
  });

  it("splits the alarm status into widgets of at most 100 alarms", () => {
    const many = Array.from({ length: 150 }, (_, i) => `arn:aws:cloudwatch:eu-west-1:1:alarm:a${i}`);
    const big = dashboardBody({
      region: "eu-west-1",
      resources,
      thresholds: DEFAULT_THRESHOLDS,
      alarmArns: many,
    });
    const status = big.widgets.filter((w) => w.type === "alarm");
    expect(status.map((w) => (w.properties.alarms as string[]).length)).toEqual([100, 50]);
  });
});

describe("failure event patterns", () => {
  it("match only this stack's failed Glue runs and training jobs", () => {
    expect(glueJobFailurePattern("wc-etl")).toEqual({
      source: ["aws.glue"],
      "detail-type": ["Glue Job State Change"],
      detail: { jobName: ["wc-etl"], state: ["FAILED", "TIMEOUT", "ERROR"] },
    });
    expect(trainingJobFailurePattern("wc-dev-train").detail).toEqual({
      TrainingJobName: [{ prefix: "wc-dev-train" }],
      TrainingJobStatus: ["Failed"],
    });
  });
});

describe("docs/operations.md", () => {
  it("has a runbook entry (heading or anchor) for every alarm id the descriptions link to", () => {
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "operations.md"), "utf8");
    const ids = alarmDefinitions(
      {
        ...resources,
        functions: {
          predict: "f",
          "glue-trigger": "f",
          retrain: "f",
          promote: "f",
          "forecast-jobs-worker": "f",
        },
      },
      DEFAULT_THRESHOLDS,
    ).map((a) => a.id);
    const missing = ids.filter((id) => !doc.includes(`### ${id}\n`) && !doc.includes(`<a id="${id}"></a>`));
    expect(missing).toEqual([]);
  });
});
