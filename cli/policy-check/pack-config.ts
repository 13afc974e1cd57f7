/**
 * Policy pack config as the Pulumi CLI handles `--policy-pack-config <file>`: parse the file (a level string or an
 * object with `enforcementLevel` per policy, `all` for every policy), start from each policy's schema defaults and
 * declared level, apply the pack's initial config and then the file, and validate every policy's properties against
 * its schema. Mirrors pkg/resource/analyzer/config.go (ReconcilePolicyPackConfig) so levels and defaults behave
 * offline as they do in `pulumi preview`.
 */
import { readFileSync } from "node:fs";
import Ajv from "ajv";

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

export interface PolicyConfig {
  enforcementLevel?: EnforcementLevel;
  properties?: Record<string, unknown>;
}

/** What the pack declares about one policy (from GetAnalyzerInfo). */
export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  remediationSteps?: string;
  severity?: string;
  type: "resource" | "stack";
  configSchema?: { properties: Record<string, Record<string, unknown>>; required?: string[] };
}

function isLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(value);
}

/** Parses the JSON text of a policy pack config file; errors name the policy and the bad value. */
export function parsePackConfig(text: string, source = "policy pack config"): Record<string, PolicyConfig> {
  if (text.trim() === "") return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw))
    throw new Error(`${source}: expected a JSON object of policy names`);
  const result: Record<string, PolicyConfig> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value === "string") {
      if (!isLevel(value))
        throw new Error(
          `${source}: parsing enforcement level for "${name}": "${value}" is not a valid enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`,
        );
      result[name] = { enforcementLevel: value };
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
        throw new Error(
          `${source}: parsing enforcement level for "${name}": ${JSON.stringify(enforcementLevel)} is not a valid enforcement level`,
        );
      }
      const entry: PolicyConfig = {};
      if (enforcementLevel !== undefined) entry.enforcementLevel = enforcementLevel;
      if (Object.keys(properties).length > 0) entry.properties = properties;
      if (entry.enforcementLevel || entry.properties) result[name] = entry;
    } else {
      throw new Error(
        `${source}: parsing "${name}": ${JSON.stringify(value)} is not a valid value; must be a string or object`,
      );
    }
  }
  return result;
}

export function loadPackConfig(file: string): Record<string, PolicyConfig> {
  return parsePackConfig(readFileSync(file, "utf8"), file);
}

function applyConfig(result: Record<string, PolicyConfig>, toApply: Record<string, PolicyConfig>): void {
  const all = toApply.all?.enforcementLevel;
  if (all) for (const key of Object.keys(result)) result[key] = { ...result[key], enforcementLevel: all };
  for (const [policy, given] of Object.entries(toApply)) {
    const current = result[policy] ?? {};
    const properties = given.properties
      ? { ...(current.properties ?? {}), ...given.properties }
      : current.properties;
    result[policy] = { enforcementLevel: given.enforcementLevel ?? current.enforcementLevel, properties };
  }
}

/**
 * Defaults, then initial config, then the file; returns the config to send with Configure, or throws listing every
 * schema violation (the CLI refuses to run the pack in that case too).
 */
export function reconcilePackConfig(
  policies: PolicyInfo[],
  initialConfig: Record<string, PolicyConfig>,
  config: Record<string, PolicyConfig>,
): Record<string, PolicyConfig> {
  const result: Record<string, PolicyConfig> = {};
  for (const policy of policies) {
    let properties: Record<string, unknown> | undefined;
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
      if ("default" in schema) (properties ??= {})[key] = schema.default;
    }
    result[policy.name] = { enforcementLevel: policy.enforcementLevel, properties };
  }
  applyConfig(result, initialConfig);
  applyConfig(result, config);

  const ajv = new Ajv({ allErrors: true, strict: false });
  const errors: string[] = [];
  for (const policy of policies) {
    if (!policy.configSchema) continue;
    const schema: Record<string, unknown> = { type: "object", properties: policy.configSchema.properties };
    if (policy.configSchema.required?.length) schema.required = policy.configSchema.required;
    const validate = ajv.compile(schema);
    if (!validate(result[policy.name]?.properties ?? {})) {
      for (const e of validate.errors ?? [])
        errors.push(`${policy.name}: ${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`);
    }
  }
  const unknown = Object.keys(config).filter((k) => k !== "all" && !policies.some((p) => p.name === k));
  for (const name of unknown) errors.push(`${name}: no such policy in the pack`);
  if (errors.length > 0) throw new Error(`policy pack config is invalid:\n  ${errors.join("\n  ")}`);
  return result;
}
