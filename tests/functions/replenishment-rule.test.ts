import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_PREDICT_CONFIG } from "../../functions/predict/config";
import { recommend, type ReplenishmentInputs } from "../../functions/replenishment";

/**
 * The API's rule on the cases the inventory backtest's Python copy (model/replenishment.py) answers in
 * tests/python/model/test_replenishment.py: both must give the fixture's numbers, so they give the same ones.
 */
interface RuleCase {
  name: string;
  inputs: ReplenishmentInputs;
  quantiles: Record<string, number>;
  mean: number;
  daily_means: number[];
  expected: { reorder_point: number; order_up_to_level: number; suggested_order_quantity: number };
}

const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "fixtures", "replenishment-rule.json"), "utf8"),
) as { api_defaults: Record<string, number>; cases: RuleCase[] };

describe("the (R, S) rule on the shared cases", () => {
  it("has cases", () => expect(fixture.cases.length).toBeGreaterThanOrEqual(5));

  it("records the API's defaults, which model/replenishment.py's PolicyInputs must share", () => {
    expect(DEFAULT_PREDICT_CONFIG.replenishmentDefaults).toEqual(fixture.api_defaults);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const advice = recommend(
      c.inputs,
      { kind: "window_quantiles", mean: c.mean, quantiles: c.quantiles },
      c.daily_means,
    );
    const { reorder_point, order_up_to_level, suggested_order_quantity } = advice;
    // Compared as the API ships them, in JSON (where ceil's -0 for no demand is 0).
    const shipped: unknown = JSON.parse(
      JSON.stringify({ reorder_point, order_up_to_level, suggested_order_quantity }),
    );
    expect(shipped).toEqual(c.expected);
  });
});
