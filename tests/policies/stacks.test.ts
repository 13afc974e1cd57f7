/** The dev and prod stacks, as index.ts declares them under mocks, pass the pack with no mandatory violation. */
import { checkStack } from "../../cli/policy-check";

beforeAll(() => {
  process.env.TS_NODE_TRANSPILE_ONLY = "true";
});

describe.each(["dev", "prod"])("stack %s", (stack) => {
  test("has no mandatory violation and checks every resource the program declares", async () => {
    const report = await checkStack(stack);
    const mandatory = report.findings.filter((f) => f.enforcement === "mandatory");
    expect(mandatory).toEqual([]);
    expect(report.summary.rules).toBeGreaterThanOrEqual(20);
    expect(report.rules.every((r) => r.level === (stack === "prod" ? "mandatory" : "advisory"))).toBe(true);
    expect(report.resources.some((r) => r.type === "aws:kms/key:Key")).toBe(true);
    expect(report.resources.every((r) => r.type && r.name)).toBe(true);
  }, 180_000);
});
