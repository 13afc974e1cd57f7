/**
 * The metrics catalogue (schemas/metrics.json) as the tests check it: what the handlers emit (their real EMF
 * lines, captured from Powertools' publish path) and what the alarms and the dashboard read.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import catalogue from "../../schemas/metrics.json";
import { alarmDefinitions, DEFAULT_THRESHOLDS } from "../../components/observability-alarms";
import { dashboardBody } from "../../components/observability-dashboard";
import { sampleResources } from "../components/fixtures/monitored-resources";

type Entry = { unit: string; dimensions: string[][]; publisher: string; consumers: string[] };
const ENTRIES = catalogue.metrics as Record<string, Entry>;

/** One metric of one data point: its name, unit, value and the names of its dimension set (sorted). */
export interface EmittedMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly value: unknown;
  readonly dimensions: readonly string[];
}

/** A metric an alarm or the dashboard reads. */
export interface ConsumedMetric {
  readonly consumer: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: readonly string[];
}

const dimsKey = (dims: readonly string[]) => [...dims].sort().join(",");

/** The metrics of one EMF document (CloudWatch's embedded metric format, as Powertools writes it). */
export function fromEmf(emf: {
  [field: string]: unknown;
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
}): EmittedMetric[] {
  return emf._aws.CloudWatchMetrics.flatMap((d) =>
    d.Metrics.flatMap((m) =>
      (d.Dimensions.length > 0 ? d.Dimensions : [[]]).map((dims) => ({
        namespace: d.Namespace,
        name: m.Name,
        unit: m.Unit,
        value: emf[m.Name],
        dimensions: [...dims].sort(),
      })),
    ),
  );
}

/**
 * Sends what `metrics` publishes (its real EMF line) into `sink` instead of stdout. Enabled, too: Powertools
 * turns metrics off in dev mode (POWERTOOLS_DEV, which the tests set).
 */
export function recordEmf(metrics: Metrics, sink: EmittedMetric[]): void {
  const singleMetric = metrics.singleMetric.bind(metrics);
  Object.assign(metrics, {
    disabled: false,
    console: { log: (line: string) => sink.push(...fromEmf(JSON.parse(line))) },
    // A single metric is a Metrics of its own (published at once): it records into the same sink.
    singleMetric: () => {
      const single = singleMetric();
      recordEmf(single, sink);
      return single;
    },
  });
}

/** Emitted metrics the catalogue does not have as emitted (name, unit, dimension set, namespace). */
export function uncatalogued(emitted: readonly EmittedMetric[]): string[] {
  const problems = new Set<string>();
  for (const m of emitted) {
    const entry = ENTRIES[m.name];
    const where = `${m.name} [${dimsKey(m.dimensions)}]`;
    if (!entry) problems.add(`${where}: not in schemas/metrics.json`);
    else if (m.namespace !== catalogue.namespace) problems.add(`${where}: namespace ${m.namespace}`);
    else if (m.unit !== entry.unit) problems.add(`${where}: unit ${m.unit}, catalogued ${entry.unit}`);
    else if (!entry.dimensions.some((d) => dimsKey(d) === dimsKey(m.dimensions)))
      problems.add(`${where}: dimension set not catalogued`);
  }
  return [...problems].sort();
}

/** Every Warecast metric an alarm or a dashboard widget reads (AWS's own namespaces left out). */
export function consumedMetrics(): ConsumedMetric[] {
  const out: ConsumedMetric[] = [];
  for (const alarm of alarmDefinitions(sampleResources, { ...DEFAULT_THRESHOLDS, wape: 0.5, bias: 0.2 })) {
    const refs = alarm.metric ? [alarm.metric] : Object.values(alarm.math?.metrics ?? {});
    for (const r of refs)
      out.push({
        consumer: `alarm:${alarm.id}`,
        namespace: r.namespace,
        name: r.metricName,
        dimensions: Object.keys(r.dimensions).sort(),
      });
  }
  const body = dashboardBody({
    region: "eu-west-1",
    resources: sampleResources,
    thresholds: { ...DEFAULT_THRESHOLDS, wape: 0.5, bias: 0.2 },
    alarmArns: [],
  });
  for (const w of body.widgets) {
    const lines = ((w.properties as { metrics?: unknown[][] }).metrics ?? []).filter(
      (l) => typeof l[0] === "string",
    );
    for (const l of lines) {
      const pairs = l.slice(2).filter((x) => typeof x === "string") as string[];
      out.push({
        consumer: "dashboard",
        namespace: l[0] as string,
        name: l[1] as string,
        dimensions: pairs.filter((_, i) => i % 2 === 0).sort(),
      });
    }
  }
  return out.filter((c) => c.namespace === catalogue.namespace);
}

/** Metrics of `publisher` that an alarm or widget reads (with its dimension set) but `emitted` lacks. */
export function consumedButNotEmitted(publisher: string, emitted: readonly EmittedMetric[]): string[] {
  const have = new Set(emitted.map((m) => `${m.name} [${dimsKey(m.dimensions)}]`));
  const wanted = consumedMetrics()
    .filter((c) => ENTRIES[c.name]?.publisher === publisher)
    .map((c) => `${c.name} [${dimsKey(c.dimensions)}]`);
  return [...new Set(wanted.filter((w) => !have.has(w)))].sort();
}

/**
 * Registers, after the calling test file's tests: every metric they made `publisher`'s handler emit is
 * catalogued, and together they emitted every metric of `publisher` that an alarm or widget reads.
 */
export function checkEmittedAfterAll(publisher: string | undefined, emitted: readonly EmittedMetric[]): void {
  afterAll(() => {
    expect(uncatalogued(emitted)).toEqual([]);
    if (publisher) expect(consumedButNotEmitted(publisher, emitted)).toEqual([]);
  });
}

export { catalogue };
