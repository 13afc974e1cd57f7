/**
 * The metrics catalogue (schemas/metrics.json) as TypeScript: publishers add metrics by catalogued name, with
 * the unit the catalogue gives, and alarms and widgets name them the same way. A name the catalogue lacks does
 * not type-check; tests/contracts/metrics.test.ts checks what the handlers really emit and what the alarms and
 * the dashboard read against the same file.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import catalogue from "../schemas/metrics.json";

export type MetricName = keyof typeof catalogue.metrics;
type Unit = Parameters<Metrics["addMetric"]>[1];

/** Unit by name, as a plain object: what the Lambda closures capture (never the imported JSON module). */
const UNITS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(catalogue.metrics).map(([name, m]) => [name, m.unit]),
);

/** CloudWatch namespace of every Warecast metric (dashboards and alarms read it). */
export const METRICS_NAMESPACE: string = catalogue.namespace;

/** Adds one data point of a catalogued metric, in the catalogue's unit. */
export function addMetric(metrics: Metrics, name: MetricName, value: number): void {
  metrics.addMetric(name, UNITS[name] as Unit, value);
}
