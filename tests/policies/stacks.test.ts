/** The dev and prod stacks, as index.ts declares them under mocks, pass the pack with no mandatory violation. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { checkStack, PACK_DIR, packConfigFile, REPO_ROOT as ROOT } from "../../cli/policy-check";
import { runPolicyCheck } from "../../cli/policy-check/analyze";
import { loadPackConfig } from "../../cli/policy-check/pack-config";
import { linkDependencies, loadStackGraph } from "../../cli/policy-check/stack-graph";
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

describe("the real dev graph, broken on purpose", () => {
  test("a function moved into a public subnet is found through the reconstructed dependencies", async () => {
    const graph = await loadStackGraph("dev", ROOT);
    const byType = (t: string) => graph.resources.filter((r) => r.type === t);
    // The subnet whose route table sends 0.0.0.0/0 to the internet gateway, found as the pack would find it.
    const publicTables = byType("aws:ec2/route:Route")
      .filter(
        (r) => r.inputs.destinationCidrBlock === "0.0.0.0/0" && String(r.inputs.gatewayId ?? "").length > 0,
      )
      .map((r) => r.inputs.routeTableId);
    const publicAssociation = byType("aws:ec2/routeTableAssociation:RouteTableAssociation").find((a) =>
      publicTables.includes(a.inputs.routeTableId),
    );
    const publicSubnet = graph.resources.find((r) => r.id === publicAssociation?.inputs.subnetId);
    const fn = byType("aws:lambda/function:Function")[0];
    expect(publicSubnet?.type).toBe("aws:ec2/subnet:Subnet");
    expect(fn).toBeDefined();
    const moved = linkDependencies(
      graph.resources.map((r) =>
        r.urn === fn.urn
          ? {
              ...r,
              inputs: {
                ...r.inputs,
                vpcConfig: { ...(r.inputs.vpcConfig as object), subnetIds: [publicSubnet!.id] },
              },
            }
          : r,
      ),
    );
    const run = await runPolicyCheck({
      packDir: PACK_DIR,
      stack: "dev",
      project: graph.project,
      config: loadPackConfig(packConfigFile("dev")),
      resources: moved,
      defaultProviders: graph.defaultProviders,
    });
    const findings = run.findings.filter((f) => f.policy === "lambda-private-subnets");
    expect(findings.map((f) => [f.enforcement, f.resource?.name, f.message.split("\n")[1]])).toEqual([
      [
        "advisory",
        fn.name,
        expect.stringMatching(
          new RegExp(`^subnet ${publicSubnet!.name} is public \\(it routes to an internet gateway`),
        ),
      ],
    ]);
  }, 180_000);
});
