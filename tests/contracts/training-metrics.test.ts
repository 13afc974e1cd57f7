/**
 * metrics.json (schemas/training-metrics.schema.json) on the TypeScript side: the promotion gate reads a real
 * training run's file as it is (tests/fixtures/training-metrics.json), and the training job's metric
 * definitions scrape what the schema says train.py prints.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { metricDefinitions } from "../../components/forecast-model/training";
import { decideGate, parseGateMetrics } from "../../functions/model/gate";
import schema from "../../schemas/training-metrics.schema.json";

const fixture = fs.readFileSync(path.join(__dirname, "..", "fixtures", "training-metrics.json"), "utf8");

describe("a real training run's metrics.json", () => {
  it("has the fields the gate reads, and the gate scores challenger against champion from it", () => {
    const real = JSON.parse(fixture) as { metrics: Record<string, Record<string, number>> };
    const verdict = decideGate(parseGateMetrics(fixture), { metric: "rmsse", tolerance: 0 });
    expect(verdict).toMatchObject({
      challenger: real.metrics.model.rmsse,
      champion: real.metrics.champion.rmsse,
      promote: real.metrics.model.rmsse <= real.metrics.champion.rmsse,
    });
  });

  it("is scraped by metric definitions built from the schema's x-warecast-scraped", () => {
    const { methods, metrics } = schema["x-warecast-scraped"];
    const defs = metricDefinitions();
    expect(defs).toHaveLength(methods.length * metrics.length);
    // train.py's line for the challenger's wape, as the regex SageMaker applies reads it.
    const line = "metric model_wape=0.518355";
    const wape = defs.find((d) => d.Name === "backtest:model:wape");
    expect(new RegExp(wape!.Regex).exec(line)?.[1]).toBe("0.518355");
  });
});
