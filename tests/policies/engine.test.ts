/**
 * The offline check behaves like the engine: per-stack levels and config defaults come from the pack config files
 * through the pack's own server, bad config is refused with a clear message, and the report says what failed.
 */
import * as path from "node:path";
import {
  loadPackConfig,
  parsePackConfig,
  reconcilePackConfig,
  type PolicyInfo,
} from "../../cli/policy-check/pack-config";
import { buildReport, formatText } from "../../cli/policy-check/report";
import { TAG_KEYS } from "../../components/provider";
import { policies } from "../../policies/rules";
import { stackConfig } from "../harness";
import { check, PACK_DIR, resource, usePack } from "./support";

usePack();

const OPEN_SG = resource("aws:ec2/securityGroup:SecurityGroup", "open", {
  ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
});
const configFile = (stack: string) => path.join(PACK_DIR, "config", `${stack}.json`);

describe("pack config files", () => {
  test("dev reports a violation as advisory, prod as mandatory", async () => {
    const dev = (await check([OPEN_SG], loadPackConfig(configFile("dev")))).filter(
      (f) => f.policy === "sg-no-public-ingress",
    );
    const prod = (await check([OPEN_SG], loadPackConfig(configFile("prod")))).filter(
      (f) => f.policy === "sg-no-public-ingress",
    );
    expect(dev.map((f) => f.enforcement)).toEqual(["advisory"]);
    expect(prod.map((f) => f.enforcement)).toEqual(["mandatory"]);
    expect(prod[0].message).toBe(
      "No security group (or security group rule) allows ingress from 0.0.0.0/0 or ::/0.\ningress[0] allows ingress from 0.0.0.0/0",
    );
  });
  test("a disabled rule reports nothing, and one rule's level overrides `all`", async () => {
    const disabled = await check(
      [OPEN_SG],
      parsePackConfig('{"all": "mandatory", "sg-no-public-ingress": "disabled"}'),
    );
    expect(disabled.filter((f) => f.policy === "sg-no-public-ingress")).toEqual([]);
    const mixed = await check(
      [OPEN_SG],
      parsePackConfig('{"all": "advisory", "sg-no-public-ingress": {"enforcementLevel": "mandatory"}}'),
    );
    expect(mixed.filter((f) => f.policy === "sg-no-public-ingress").map((f) => f.enforcement)).toEqual([
      "mandatory",
    ]);
  });
  test("schema defaults apply when the file leaves a property out (the pack's own default minimum of 2 instances)", async () => {
    const single = resource("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "single", {
      productionVariants: [
        { variantName: "live", modelName: "m", instanceType: "ml.m5.large", initialInstanceCount: 1 },
      ],
    });
    const findings = await check([single], parsePackConfig('{"all": "mandatory"}'));
    expect(
      findings
        .filter((f) => f.policy === "sagemaker-endpoint-min-instances")
        .map((f) => f.message.split("\n")[1]),
    ).toEqual(["variant live has initialInstanceCount 1; it needs at least 2"]);
  });
  test("both stack files name only real policies and valid properties", () => {
    const infos: PolicyInfo[] = policies.map((p) => ({
      name: p.name,
      description: p.description,
      enforcementLevel: "advisory",
      type: "validateStack" in p ? "stack" : "resource",
      configSchema: p.configSchema as PolicyInfo["configSchema"],
    }));
    for (const stack of ["dev", "prod"]) {
      const levels = reconcilePackConfig(infos, {}, loadPackConfig(configFile(stack)));
      expect(new Set(Object.values(levels).map((c) => c.enforcementLevel))).toEqual(
        new Set([stack === "prod" ? "mandatory" : "advisory"]),
      );
    }
  });
});

describe("values unknown during preview (the engine's sentinels)", () => {
  const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
  const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
  test("a resource rule that reads one is reported by the SDK as advisory, even when mandatory", async () => {
    const group = resource("aws:cloudwatch/logGroup:LogGroup", "g", {
      name: "/g",
      retentionInDays: UNKNOWN_NUMBER,
    });
    const findings = (await check([group])).filter((f) => f.policy === "log-retention-bounds");
    expect(findings.map((f) => [f.enforcement, f.message])).toEqual([
      [
        "advisory",
        "can't run policy 'log-retention-bounds' from policy pack 'warecast@v0.1.0' during preview: number value at .retentionInDays can't be known during preview",
      ],
    ]);
  });
  test("a stack rule skips an unknown reference instead of failing the whole rule", async () => {
    const unknown = resource("aws:cloudwatch/logGroup:LogGroup", "unknown", {
      name: "/u",
      retentionInDays: 7,
      kmsKeyId: UNKNOWN_STRING,
    });
    const missing = resource("aws:cloudwatch/logGroup:LogGroup", "missing", {
      name: "/m",
      retentionInDays: 7,
    });
    const findings = (await check([unknown, missing])).filter((f) => f.policy === "log-group-kms-stack-key");
    expect(findings.map((f) => `${f.resource?.name}: ${f.message.split("\n")[1]}`)).toEqual([
      "missing: kmsKeyId is not set; it must name the stack's KMS key",
    ]);
  });
});

describe("pack config mirrors the stack config", () => {
  test("each stack's log retention lies within its pack bounds", () => {
    for (const stack of ["dev", "prod"]) {
      const days = Number(stackConfig(stack)["warecast:observabilityLogRetentionDays"]);
      const bounds = loadPackConfig(configFile(stack))["log-retention-bounds"].properties as {
        minDays: number;
        maxDays: number;
      };
      expect(days).toBeGreaterThanOrEqual(bounds.minDays);
      expect(days).toBeLessThanOrEqual(bounds.maxDays);
    }
  });
  test("reserved-concurrency minimums are the stack's apiReservedConcurrency and lambdaReservedConcurrency", () => {
    for (const stack of ["dev", "prod"]) {
      const cfg = stackConfig(stack);
      const api = Number(cfg["warecast:apiReservedConcurrency"] ?? -1);
      const internal = Number(cfg["warecast:lambdaReservedConcurrency"] ?? -1);
      const expected: Record<string, number> = {};
      if (api >= 0) expected["-predict$"] = api;
      if (internal >= 0) expected["-(retrain|promote|tune|job-worker|trigger)$"] = internal;
      const minimums = loadPackConfig(configFile(stack))["lambda-reserved-concurrency"].properties?.minimums;
      expect(minimums).toEqual(expected);
    }
  });
  test("required tags are the provider's default tag keys", () => {
    for (const stack of ["dev", "prod"]) {
      const tags = (loadPackConfig(configFile(stack))["required-tags"].properties as { tags: string[] }).tags;
      expect(tags).toEqual(Object.values(TAG_KEYS));
    }
  });
});

describe("config parsing and reconciliation (the CLI's rules)", () => {
  const info: PolicyInfo = {
    name: "log-retention-bounds",
    description: "d",
    enforcementLevel: "advisory",
    type: "resource",
    configSchema: {
      properties: {
        minDays: { type: "integer", minimum: 1, default: 7 },
        maxDays: { type: "integer", default: 3653 },
      },
    },
  };
  test("defaults, then `all`, then the policy's own entry", () => {
    const result = reconcilePackConfig(
      [info],
      {},
      parsePackConfig('{"all": "mandatory", "log-retention-bounds": {"maxDays": 30}}'),
    );
    expect(result["log-retention-bounds"]).toEqual({
      enforcementLevel: "mandatory",
      properties: { minDays: 7, maxDays: 30 },
    });
  });
  test("bad levels, bad values, wrong types and unknown policies are refused with the policy's name", () => {
    expect(() => parsePackConfig('{"x": "strict"}', "dev.json")).toThrow(
      'dev.json: parsing enforcement level for "x": "strict" is not a valid enforcement level',
    );
    expect(() => parsePackConfig('{"x": 3}', "dev.json")).toThrow(
      'dev.json: parsing "x": 3 is not a valid value; must be a string or object',
    );
    expect(() => parsePackConfig("{", "dev.json")).toThrow("dev.json: not valid JSON");
    expect(() =>
      reconcilePackConfig([info], {}, parsePackConfig('{"log-retention-bounds": {"minDays": 0}}')),
    ).toThrow("log-retention-bounds: /minDays must be >= 1");
    expect(() =>
      reconcilePackConfig([info], {}, parsePackConfig('{"log-retension-bounds": "mandatory"}')),
    ).toThrow("log-retension-bounds: no such policy in the pack");
  });
});

describe("every rule", () => {
  test("has a unique name, a description, remediation text and a severity; there are at least 20", () => {
    expect(policies.length).toBeGreaterThanOrEqual(20);
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
    for (const p of policies) {
      expect(p.description.length).toBeGreaterThan(20);
      expect((p.remediationSteps ?? "").length).toBeGreaterThan(20);
      expect(p.severity).toBeDefined();
    }
  });
});

describe("report", () => {
  test("a mandatory finding fails the check; the JSON lists rules run and resources checked", async () => {
    const findings = await check([OPEN_SG], loadPackConfig(configFile("prod")));
    const run = {
      pack: { name: "warecast", version: "0.1.0" },
      policies: policies.map((p) => ({
        name: p.name,
        description: p.description,
        enforcementLevel: "mandatory" as const,
        level: "mandatory" as const,
        type: "resource" as const,
        remediationSteps: p.remediationSteps,
      })),
      findings,
    };
    const report = buildReport("prod", run, [OPEN_SG]);
    expect(report.passed).toBe(false);
    expect(report.summary).toEqual({ mandatory: 1, advisory: 0, resources: 1, rules: policies.length });
    expect(report.findings[0]).toMatchObject({
      policy: "sg-no-public-ingress",
      enforcement: "mandatory",
      message: "ingress[0] allows ingress from 0.0.0.0/0",
      resource: { type: "aws:ec2/securityGroup:SecurityGroup", name: "open" },
    });
    expect(report.resources).toEqual([
      { type: "aws:ec2/securityGroup:SecurityGroup", name: "open", parent: undefined },
    ]);
    const text = formatText(report);
    expect(text).toContain("MANDATORY sg-no-public-ingress  aws:ec2/securityGroup:SecurityGroup open");
    expect(text).toContain("1 mandatory, 0 advisory finding(s): FAILED (mandatory violations)");
  });
});
