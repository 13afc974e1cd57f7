/**
 * `warecast backtest --inventory`: the inventory-policy backtest (model/inventory.py) through the real CLI and
 * Python, as a table on the terminal and in the --json result; its options' defaults are the API's.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../cli/main";
import { captureCliOutput } from "../support/cli-output";
import { wideSalesFile } from "../support/sales-files";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-inventory-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const FAST = ["--hp", "max_iter=20", "--hp", "max_train_origins=10"];

const io = captureCliOutput();

interface Pooled {
  fill_rate: number | null;
  cycle_service_level: number | null;
  avg_on_hand: number;
  units_days: number;
  stockout_days: number;
}

it("prints the policies' service levels and stock beside the accuracy table", async () => {
  const file = wideSalesFile(dir, 420);
  const args = ["backtest", "--data", file, "--horizon", "7", "--origins", "2", "--inventory"];
  await main(["node", "warecast", ...args, ...FAST, "--lead-time", "3", "--review-period", "4"]);
  expect(process.exitCode).toBeUndefined();
  expect(io.out).toMatch(
    /inventory backtest: 2 series, \S+\.\.\S+ \(14 days, 4 reviews\); lead time 3 d, review period 4 d, target cycle service level 95\.0%/,
  );
  expect(io.out).toMatch(/policy +fill rate +cycle SL +avg on hand +units-days +stockout days +orders/);
  for (const policy of ["model", "seasonal_naive", "weeks_of_cover"]) {
    expect(io.out).toMatch(
      new RegExp(`\\n${policy} +[0-9.]+% +[0-9.]+% +[0-9.]+ +[0-9]+ +[0-9]+ +[0-9]+\\n`),
    );
  }
  expect(io.out).toMatch(/goal \(issue 18, at the same target\): (met|NOT met)/);
  // The trade-off sweep and the inventory at matched achieved service follow.
  expect(io.out).toMatch(/trade-off \(each policy swept over targets\)/);
  expect(io.out).toMatch(/\n95\.0% +[0-9.]+% \/ [0-9.]+% \/ [0-9]+ /);
  expect(io.out).toMatch(/\ncycle SL 95\.00% +(-|[0-9]+) +(-|[0-9]+) +(-|[0-9]+)\n/);
  expect(io.out).toMatch(/goal at matched service .*: (met|NOT met|undecided)/);
}, 180_000);

it("puts the replay in --json, with the API's defaults: 7 days lead time, 7 days review, 95%", async () => {
  const file = wideSalesFile(dir, 420);
  const args = ["backtest", "--data", file, "--horizon", "14", "--origins", "2", "--inventory", "--json"];
  await main(["node", "warecast", ...args, ...FAST]);
  expect(process.exitCode).toBeUndefined();
  const result = JSON.parse(io.out) as {
    metrics: Record<string, unknown>;
    inventory: {
      settings: Record<string, unknown>;
      policies: Record<
        string,
        { pooled: Pooled; series: Record<string, Pooled>; curve: (Pooled & { service_level: number })[] }
      >;
      goal: { met: boolean; checks: Record<string, { met: boolean }> };
      matched: {
        cycle_service_level: { service: number; avg_on_hand: Record<string, number | null> }[];
        goal: { checks: Record<string, { met: boolean | null }> };
      };
    };
  };
  expect(result.metrics.model).toBeDefined();
  expect(result.inventory.settings).toMatchObject({
    lead_time_days: 7,
    review_period_days: 7,
    service_level: 0.95,
    days: 28,
    reviews: 4,
    series: 2,
  });
  expect(Object.keys(result.inventory.policies)).toEqual(["model", "seasonal_naive", "weeks_of_cover"]);
  for (const p of Object.values(result.inventory.policies)) {
    expect(Object.keys(p.series)).toHaveLength(2);
    expect(p.pooled.cycle_service_level).toBeGreaterThanOrEqual(0);
    expect(p.pooled.units_days).toBeCloseTo(p.pooled.avg_on_hand * 21, 1);
    // The sweep's row at the target is the headline result.
    const at = p.curve.find((c) => c.service_level === 0.95)!;
    expect(at.cycle_service_level).toBe(p.pooled.cycle_service_level);
    expect(at.avg_on_hand).toBe(p.pooled.avg_on_hand);
  }
  expect(result.inventory.settings.sweep_levels).toEqual(expect.arrayContaining([0.5, 0.95, 0.99]));
  expect(result.inventory.matched.cycle_service_level.map((r) => r.service)).toContain(0.95);
  expect(Object.keys(result.inventory.matched.goal.checks)).toEqual([
    "cycle_service_level_vs_seasonal_naive",
    "cycle_service_level_vs_weeks_of_cover",
    "fill_rate_vs_seasonal_naive",
    "fill_rate_vs_weeks_of_cover",
  ]);
  expect(Object.keys(result.inventory.goal.checks)).toEqual([
    "csl_within_3_points",
    "vs_seasonal_naive",
    "vs_weeks_of_cover",
  ]);
}, 180_000);

it("refuses bad inventory options as usage errors (exit 2)", async () => {
  const file = wideSalesFile(dir, 30);
  for (const bad of [
    ["--service-level", "1.5"],
    ["--service-level", "95"],
    ["--lead-time", "-1"],
    ["--review-period", "2.5"],
  ]) {
    process.exitCode = undefined;
    await main(["node", "warecast", "backtest", "--data", file, "--inventory", ...bad]);
    expect(process.exitCode).toBe(2);
  }
  expect(io.err).toMatch(/--service-level <p>' argument '1.5' is invalid. expected a number between 0 and 1/);
  // Weekly data is refused before anything is fitted (main prints the error with console.error).
  const errors: string[] = [];
  jest.spyOn(console, "error").mockImplementation((...a: unknown[]) => void errors.push(a.join(" ")));
  process.exitCode = undefined;
  await main(["node", "warecast", "backtest", "--data", file, "--inventory", "--freq", "W"]);
  expect(process.exitCode).toBe(2);
  expect(errors).toEqual([expect.stringMatching(/--inventory needs daily data \(--freq D\)/)]);
});
