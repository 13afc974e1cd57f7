/** The dev and prod stacks, as index.ts declares them under mocks, pass the pack with no mandatory violation. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PACK_DIR, packConfigFile, REPO_ROOT as ROOT } from "../../cli/policy-check";
import { buildReport } from "../../cli/policy-check/report";
import { runPolicyCheck, type CheckResource } from "../../cli/policy-check/analyze";
import { startAnalyzer, type AnalyzerProcess } from "../../cli/policy-check/analyzer-process";
import { loadPackConfig } from "../../cli/policy-check/pack-config";
import { linkDependencies, loadStackGraph, type StackGraph } from "../../cli/policy-check/stack-graph";
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

// One pack process and one run of index.ts per stack for the whole file: both are the slow parts.
let analyzer: AnalyzerProcess;
const graphs = new Map<string, Promise<StackGraph>>();
function graphOf(stack: string): Promise<StackGraph> {
  if (!graphs.has(stack)) graphs.set(stack, loadStackGraph(stack, ROOT));
  return graphs.get(stack)!;
}
beforeAll(async () => {
  process.env.TS_NODE_TRANSPILE_ONLY = "true";
  analyzer = await startAnalyzer(PACK_DIR);
}, 120_000);
afterAll(() => analyzer?.close());

describe.each(["dev", "prod"])("stack %s", (stack) => {
  test("has no mandatory violation and checks every resource the program declares", async () => {
    const graph = await graphOf(stack);
    const run = await runPolicyCheck({
      packDir: PACK_DIR,
      stack,
      project: graph.project,
      config: loadPackConfig(packConfigFile(stack)),
      resources: graph.resources,
      defaultProviders: graph.defaultProviders,
      analyzer,
    });
    const report = buildReport(stack, run, graph.resources);
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

describe("the real prod graph, broken on purpose: each rule still finds what it guards", () => {
  let graph: StackGraph;
  beforeAll(async () => {
    graph = await graphOf("prod");
  }, 180_000);

  const byType = (t: string) => graph.resources.filter((r) => r.type === t);
  /** Applies `change` to the inputs and outputs of every resource of the types (null drops them), then relinks. */
  function broken(
    types: readonly string[],
    change: (props: Record<string, unknown>) => Record<string, unknown> | null,
  ) {
    return linkDependencies(
      graph.resources.flatMap((r) => {
        if (!types.includes(r.type)) return [r];
        const inputs = change({ ...r.inputs });
        return inputs === null
          ? []
          : [{ ...r, inputs, outputs: change({ ...(r.outputs ?? r.inputs) }) ?? {} }];
      }),
    );
  }
  async function findings(resources: CheckResource[]): Promise<Record<string, number>> {
    const run = await runPolicyCheck({
      packDir: PACK_DIR,
      stack: "prod",
      project: graph.project,
      config: loadPackConfig(packConfigFile("prod")),
      resources,
      defaultProviders: graph.defaultProviders,
      analyzer,
    });
    const counts: Record<string, number> = {};
    for (const f of run.findings)
      counts[`${f.enforcement} ${f.policy}`] = (counts[`${f.enforcement} ${f.policy}`] ?? 0) + 1;
    return counts;
  }

  test("a function moved into a public subnet", async () => {
    // Under mocks the awsx VPC is one resource; its outputs list the public subnets.
    const [vpc] = byType("awsx:ec2:Vpc");
    const publicSubnet = { id: (vpc.outputs?.publicSubnetIds as string[] | undefined)?.[0] };
    expect(publicSubnet.id).toMatch(/^subnet-/);
    const fn = byType("aws:lambda/function:Function")[0];
    const move = (props: Record<string, unknown>) => ({
      ...props,
      vpcConfig: { ...(props.vpcConfig as object), subnetIds: [publicSubnet.id] },
    });
    const moved = linkDependencies(
      graph.resources.map((r) =>
        r.urn === fn.urn ? { ...r, inputs: move(r.inputs), outputs: move(r.outputs ?? r.inputs) } : r,
      ),
    );
    expect(await findings(moved)).toEqual({ "mandatory lambda-private-subnets": 1 });
  });

  const drop = () => null;
  test.each([
    [
      "a Glue job without its security configuration",
      ["aws:glue/job:Job"],
      (p: Record<string, unknown>) => ({ ...p, securityConfiguration: undefined }),
      { "mandatory glue-security-configuration-kms": 1 },
    ],
    [
      "the alarm topic on the AWS managed key",
      ["aws:sns/topic:Topic"],
      (p: Record<string, unknown>) => ({ ...p, kmsMasterKeyId: "alias/aws/sns" }),
      { "mandatory sns-topic-kms-stack-key": 1 },
    ],
    [
      "the endpoint without blue/green rollback",
      ["aws:sagemaker/endpoint:Endpoint"],
      (p: Record<string, unknown>) => ({ ...p, deploymentConfig: undefined }),
      { "mandatory sagemaker-endpoint-rollback": 1 },
    ],
    [
      "a trail in one region",
      ["aws:cloudtrail/trail:Trail"],
      (p: Record<string, unknown>) => ({ ...p, isMultiRegionTrail: false }),
      { "mandatory cloudtrail-multi-region-validated": 1 },
    ],
    [
      "no method settings (the usage plan still throttles)",
      ["aws:apigateway/methodSettings:MethodSettings"],
      drop,
      {},
    ],
    [
      "no usage plan and no method settings",
      ["aws:apigateway/usagePlan:UsagePlan", "aws:apigateway/methodSettings:MethodSettings"],
      drop,
      { "mandatory apigw-stage-throttling": 1 },
    ],
  ] as const)("%s", async (_label, types, change, expected) => {
    expect(await findings(broken(types, change))).toEqual(expected);
  });

  test("retraining on demand instead of spot", async () => {
    const resources = broken(["aws:lambda/function:Function"], (p) => {
      const env = p.environment as { variables?: Record<string, string> } | undefined;
      const raw = env?.variables?.WARECAST_RETRAIN_SETTINGS;
      if (!raw) return p;
      const settings = { ...JSON.parse(raw), spot: false };
      return {
        ...p,
        environment: { variables: { ...env.variables, WARECAST_RETRAIN_SETTINGS: JSON.stringify(settings) } },
      };
    });
    expect(await findings(resources)).toEqual({ "mandatory sagemaker-training-spot-checkpoint": 2 });
  });

  test("tuning with on-demand trials and a budget beyond prod's bound", async () => {
    const resources = broken(["aws:lambda/function:Function"], (p) => {
      const env = p.environment as { variables?: Record<string, string> } | undefined;
      const raw = env?.variables?.WARECAST_TUNE_SETTINGS;
      if (!raw) return p;
      // 100 trials of 2 h: 200 instance-hours, over prod's 40 (policies/config/prod.json).
      const settings = { ...JSON.parse(raw), spot: false, maxJobs: 100, maxRuntimeSeconds: 7200 };
      return {
        ...p,
        environment: { variables: { ...env.variables, WARECAST_TUNE_SETTINGS: JSON.stringify(settings) } },
      };
    });
    // On demand: no spot flag and no max wait; 100 trials over 30; 200 instance-hours over 40.
    expect(await findings(resources)).toEqual({ "mandatory sagemaker-tuning-guarded": 4 });
  });
});
