/**
 * The metrics catalogue (schemas/metrics.json) against its consumers: every Warecast metric an alarm or a
 * dashboard widget reads is catalogued with the dimension set it reads, and the catalogue names its consumers
 * truly. The publishers are checked where they run: each handler's test file captures what it emits
 * (tests/support/metric-contract.ts, checkEmittedAfterAll); the ETL's in tests/python/etl/test_metrics_catalogue.py.
 */
import { BACKTEST_FILTERS, LOGGED_ERRORS } from "../../components/observability";
import { catalogue, consumedMetrics } from "../support/metric-contract";

type Entry = { unit: string; dimensions: string[][]; publisher: string; consumers: string[] };
const entries = Object.entries(catalogue.metrics as Record<string, Entry>);
const key = (dims: readonly string[]) => [...dims].sort().join(",");

describe("metrics catalogue", () => {
  const consumed = consumedMetrics();

  it("finds the consumers (the extraction itself works)", () => {
    expect(consumed.some((c) => c.consumer === "alarm:training-rejected")).toBe(true);
    expect(consumed.some((c) => c.consumer === "dashboard" && c.name === "RecordsIn")).toBe(true);
  });

  it("catalogues every metric an alarm or widget reads, with the dimension set it reads", () => {
    const problems = consumed.flatMap((c) => {
      const entry = (catalogue.metrics as Record<string, Entry>)[c.name];
      if (!entry) return [`${c.consumer} reads ${c.name}: not catalogued`];
      if (!entry.dimensions.some((d) => key(d) === key(c.dimensions)))
        return [
          `${c.consumer} reads ${c.name} [${key(c.dimensions)}]: no publisher emits that dimension set`,
        ];
      if (!entry.consumers.includes(c.consumer)) return [`${c.name}: consumers lack ${c.consumer}`];
      return [];
    });
    expect(problems).toEqual([]);
  });

  it("names only consumers that read the metric", () => {
    const real = new Set(consumed.map((c) => `${c.name} ${c.consumer}`));
    const stale = entries.flatMap(([name, e]) =>
      e.consumers.filter((c) => !real.has(`${name} ${c}`)).map((c) => `${name} ${c}`),
    );
    expect(stale).toEqual([]);
  });

  it("has a metric filter for each metric published from logs, and catalogues each filter's metric", () => {
    const filters = [LOGGED_ERRORS, ...BACKTEST_FILTERS];
    const fromLogs = entries.filter(([, e]) => e.publisher === "log-metric-filter").map(([name]) => name);
    expect(filters.map((f) => f.metricName).sort()).toEqual([...fromLogs].sort());
    for (const f of filters) {
      const entry = (catalogue.metrics as Record<string, Entry>)[f.metricName];
      // The filters dimension by `service` alone and give the catalogued unit.
      expect([f.unit, entry.dimensions]).toEqual([entry.unit, [["service"]]]);
    }
  });

  it("uses CloudWatch units and known publishers only", () => {
    const units = new Set(["Count", "Milliseconds", "Seconds", "None"]);
    const publishers = new Set([
      "etl",
      "glue-trigger",
      "retrain",
      "tune",
      "promote",
      "predict",
      "lambda-wiring",
      "log-metric-filter",
    ]);
    expect(entries.filter(([, e]) => !units.has(e.unit) || !publishers.has(e.publisher))).toEqual([]);
  });
});
