/**
 * Runs synthetic resources through the real policy pack: the pack is started once per test file as the Pulumi CLI
 * starts it (run-policy-pack), then each check configures it and sends Analyze/AnalyzeStack over gRPC.
 */
import * as path from "node:path";
import { runPolicyCheck, type CheckResource, type Finding } from "../../cli/policy-check/analyze";
import { startAnalyzer, type AnalyzerProcess } from "../../cli/policy-check/analyzer-process";
import type { PolicyConfig } from "../../cli/policy-check/pack-config";

export const PACK_DIR = path.resolve(__dirname, "..", "..", "policies");
export const REGION = "eu-west-1";
export const ACCOUNT = "123456789012";
export const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/key-stack`;
export const OTHER_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-0000-0000-0000-000000000000`;
export const TAGS = { project: "warecast", environment: "test", owner: "team", "cost-center": "cc" };

const STACK = "test";
const PROJECT = "warecast";

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
}

export const PROVIDER: CheckResource = {
  urn: urnOf("pulumi:providers:aws", "tagged"),
  type: "pulumi:providers:aws",
  name: "tagged",
  custom: true,
  inputs: { region: REGION, defaultTags: JSON.stringify({ tags: TAGS }) },
};

/** The stack's KMS key, as the foundation's Encryption component declares it (outputs as the mocks give them). */
export const STACK_KEY = resource(
  "aws:kms/key:Key",
  "stack",
  { enableKeyRotation: true },
  { arn: KEY_ARN, keyId: "key-stack" },
);

/** A custom resource through the tagged provider; `outputs` add to the inputs for AnalyzeStack. */
export function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown> = {},
  extra: Partial<CheckResource> = {},
): CheckResource {
  return {
    urn: urnOf(type, name),
    type,
    name,
    custom: true,
    provider: PROVIDER.urn,
    inputs,
    outputs: { ...inputs, ...outputs },
    ...extra,
  };
}

let analyzer: AnalyzerProcess | undefined;

/** Starts the pack once for the file (call from beforeAll) and stops it afterwards. */
export function usePack(): void {
  beforeAll(async () => {
    process.env.TS_NODE_TRANSPILE_ONLY = "true";
    analyzer = await startAnalyzer(PACK_DIR);
  }, 120_000);
  afterAll(async () => {
    await analyzer?.close();
  });
}

/** Runs the pack over the resources (plus the provider) with `config` (default: every rule mandatory). */
export async function check(
  resources: CheckResource[],
  config: Record<string, PolicyConfig> = { all: { enforcementLevel: "mandatory" } },
): Promise<Finding[]> {
  if (!analyzer) throw new Error("usePack() must run first");
  const run = await runPolicyCheck({
    packDir: PACK_DIR,
    stack: STACK,
    project: PROJECT,
    config,
    resources: [PROVIDER, ...resources],
    defaultProviders: { aws: { region: REGION } },
    analyzer,
  });
  return [...run.findings];
}

/** The findings of one rule, as "<resource name>: <specific message>" lines (the SDK's description prefix removed). */
export async function findingsOf(
  rule: string,
  resources: CheckResource[],
  config?: Record<string, PolicyConfig>,
): Promise<string[]> {
  const findings = await check(resources, config);
  return findings
    .filter((f) => f.policy === rule)
    .map(
      (f) => `${f.resource?.name ?? "(stack)"}: ${f.message.split("\n").slice(1).join("\n") || f.message}`,
    );
}
