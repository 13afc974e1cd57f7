/** The dev and prod stacks, as index.ts declares them under mocks, pass the pack with no mandatory violation. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { checkStack } from "../../cli/policy-check";
import { TAGGABLE } from "../../policies/tags";

/** True when the @pulumi/aws resource's Args declare `tags` (what `required-tags` must then check). */
function takesTags(type: string): boolean {
  const [mod, file] = type.split(":")[1].split("/");
  const dts = readFileSync(
    path.join(__dirname, "..", "..", "node_modules", "@pulumi", "aws", mod, `${file}.d.ts`),
    "utf8",
  );
  return /\n {4}tags\?:/.test(dts.slice(dts.indexOf("Args {")));
}

beforeAll(() => {
  process.env.TS_NODE_TRANSPILE_ONLY = "true";
});

describe.each(["dev", "prod"])("stack %s", (stack) => {
  test("has no mandatory violation and checks every resource the program declares", async () => {
    const report = await checkStack(stack);
    const mandatory = report.findings.filter((f) => f.enforcement === "mandatory");
    expect(mandatory).toEqual([]);
    // Every advisory finding is listed, with its justification, in docs/policies.md.
    const documented = new Set(
      [
        ...readFileSync(path.join(__dirname, "..", "..", "docs", "policies.md"), "utf8").matchAll(
          /^\| (\w+) \| `([a-z0-9-]+)` \|/gm,
        ),
      ]
        .filter((m) => m[1] === stack)
        .map((m) => m[2]),
    );
    expect(
      report.findings.filter((f) => !documented.has(f.policy)).map((f) => `${f.policy} ${f.resource?.name}`),
    ).toEqual([]);
    expect(report.summary.rules).toBeGreaterThanOrEqual(20);
    expect(report.rules.every((r) => r.level === (stack === "prod" ? "mandatory" : "advisory"))).toBe(true);
    expect(report.resources.some((r) => r.type === "aws:kms/key:Key")).toBe(true);
    expect(report.resources.every((r) => r.type && r.name)).toBe(true);
    // required-tags checks a fixed list of types: every taggable type the stack uses must be on it.
    const types = [...new Set(report.resources.map((r) => r.type))].filter((t) => t.startsWith("aws:"));
    expect(types.filter((t) => takesTags(t) && !TAGGABLE.includes(t))).toEqual([]);
  }, 180_000);
});
