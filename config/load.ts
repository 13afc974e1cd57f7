/**
 * The one place that reads and validates stack config. `loadStackConfig()` returns a typed, defaulted, validated
 * object, or throws a `ConfigError` that names every bad key and the form it expects, before any resource is
 * declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { REGION_AZ_COUNT, networkFixedMonthlyUsd } from "../components/network-plan";
import { allSettings, configKey, sections, type SectionName, type Sections } from "./sections";
import type { PulumiConfigType, Setting } from "./settings";

type SectionSchema<S extends SectionName> = z.ZodObject<{
  [F in keyof Sections[S]["settings"]]: Sections[S]["settings"][F] extends Setting<infer Z> ? Z : never;
}>;

function sectionSchema<S extends SectionName>(section: S): SectionSchema<S> {
  const shape: Record<string, z.ZodType> = {};
  for (const [field, s] of Object.entries(sections[section].settings) as [string, Setting][]) {
    // prefault runs the YAML default through the same schema, so a default is parsed exactly like a set value.
    shape[field] = s.default === undefined ? s.schema : s.schema.prefault(s.default);
  }
  return z.object(shape) as unknown as SectionSchema<S>;
}

/** Rules that span keys. Each issue's path names the key to blame. */
function crossChecks(cfg: StackConfigBase, ctx: z.RefinementCtx): void {
  const issue = (path: [SectionName, string], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  if (cfg.model.spot && cfg.model.maxWaitSeconds < cfg.model.maxRuntimeSeconds) {
    issue(
      ["model", "maxWaitSeconds"],
      `must be ≥ ${configKey("model", "maxRuntimeSeconds")} when spot training is on`,
    );
  }
  if (cfg.tuning.maxParallelJobs > cfg.tuning.maxJobs) {
    issue(["tuning", "maxParallelJobs"], `must be ≤ ${configKey("tuning", "maxJobs")}`);
  }
  if (cfg.tuning.trialMaxWaitSeconds < cfg.tuning.trialMaxRuntimeSeconds) {
    issue(
      ["tuning", "trialMaxWaitSeconds"],
      `must be ≥ ${configKey("tuning", "trialMaxRuntimeSeconds")} (trials run on spot capacity)`,
    );
  }
  if (cfg.endpoint.minInstances > cfg.endpoint.maxInstances) {
    issue(["endpoint", "minInstances"], `must be ≤ ${configKey("endpoint", "maxInstances")}`);
  }
  if (cfg.api.burstLimit < cfg.api.rateLimit) {
    issue(["api", "burstLimit"], `must be ≥ ${configKey("api", "rateLimit")}`);
  }
  const zones = REGION_AZ_COUNT[cfg.aws.region];
  if (zones !== undefined && cfg.network.azCount > zones) {
    issue(["network", "azCount"], `${cfg.aws.region} has ${zones} availability zones`);
  }
  if (cfg.network.nat === "none" && !cfg.network.interfaceEndpoints) {
    issue(
      ["network", "nat"],
      `none needs ${configKey("network", "interfaceEndpoints")}: true, or private workloads cannot reach AWS`,
    );
  }
  // SageMaker rejects a canary above half the fleet; 100 means no canary (all at once).
  const e = cfg.endpoint;
  if (e.mode === "instance" && e.blueGreen && e.canaryPercent > 50 && e.canaryPercent < 100) {
    issue(
      ["endpoint", "canaryPercent"],
      "must be at most 50 (SageMaker's canary limit), or 100 for all at once",
    );
  }
  // The network costs money before any traffic; a budget it alone nearly fills alarms from the first week.
  const network = networkFixedMonthlyUsd(cfg.network);
  if (cfg.observability.monthlyBudgetUsd < BUDGET_TO_NETWORK_RATIO * network.total) {
    issue(
      ["observability", "monthlyBudgetUsd"],
      `must be at least ${BUDGET_TO_NETWORK_RATIO} × the network's fixed cost of $${network.total.toFixed(2)}/month ` +
        `(${configKey("network", "azCount")}, ${configKey("network", "nat")}, ` +
        `${configKey("network", "interfaceEndpoints")}; docs/capacity.md)`,
    );
  }
  // Served forecasts live under forecasts/ with the raw retention: they must outlast their furthest target date
  // plus a week for the actuals to arrive, or accuracy against actuals never scores the far steps.
  const horizonDays = cfg.model.horizon * (cfg.model.frequency === "W" ? 7 : 1);
  if (cfg.storage.rawRetentionDays < horizonDays + ACTUALS_GRACE_DAYS) {
    issue(
      ["storage", "rawRetentionDays"],
      `must be ≥ the forecast horizon in days (${horizonDays}, from ${configKey("model", "horizon")}) + ${ACTUALS_GRACE_DAYS}, so served forecasts outlive their target dates`,
    );
  }
}

/** The network's fixed cost may take at most this share of the budget: half, so usage is what the alarms see. */
export const BUDGET_TO_NETWORK_RATIO = 2;

/** Days after a forecast's last target date that its actuals may still arrive (late events). */
const ACTUALS_GRACE_DAYS = 7;

const baseShape = Object.fromEntries(
  (Object.keys(sections) as SectionName[]).map((s) => [s, sectionSchema(s)]),
) as { [S in SectionName]: SectionSchema<S> };

const baseSchema = z.object(baseShape);
type StackConfigBase = z.output<typeof baseSchema>;

/** The zod schema of the whole stack config, sectioned as in config/sections.ts, after type coercion. */
export const stackConfigSchema = baseSchema.superRefine(crossChecks);

/** The validated stack config. Sections: aws, tags, network, storage, ingestion, etl, model, endpoint, api, observability, lambda. */
export type StackConfig = z.output<typeof stackConfigSchema>;

/**
 * Thrown when stack config is missing or malformed; `problems` has one line per bad key. A Pulumi RunError, so the
 * CLI prints the message alone, without a stack trace or program source.
 */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`,
    );
    this.name = "ConfigError";
  }
}

/** Reads one config value by full key (`namespace:name`); undefined when unset. */
export type ConfigReader = (key: string) => string | undefined;

/** Reads from the running Pulumi program's config (the stack file, or `setAllConfig` under mocks). */
export const pulumiConfigReader: ConfigReader = (key) => {
  const colon = key.indexOf(":");
  return new pulumi.Config(key.slice(0, colon)).get(key.slice(colon + 1));
};

/**
 * Converts a config string to its declared type. A string that does not convert is passed through unchanged so
 * that zod reports it against the expected form.
 */
export function coerce(type: PulumiConfigType, raw: string): unknown {
  switch (type) {
    case "integer":
      return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : raw;
    case "array":
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return raw;
      }
    case "string":
      return raw;
  }
}

/** Loads, defaults and validates the whole stack config. Throws ConfigError listing every problem. */
export function loadStackConfig(read: ConfigReader = pulumiConfigReader): StackConfig {
  const raw: Record<string, Record<string, unknown>> = {};
  const given: Record<string, string | undefined> = {};
  for (const { section, field, key, setting } of allSettings()) {
    const value = read(key);
    given[key] = value;
    (raw[section] ??= {})[field] = value === undefined ? undefined : coerce(setting.type, value);
  }
  const result = stackConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const bySetting = new Map(allSettings().map((s) => [`${s.section}.${s.field}`, s]));
  const problems = result.error.issues.map((issue) => {
    const s = bySetting.get(issue.path.slice(0, 2).join("."));
    if (!s) return issue.message;
    const value = given[s.key];
    if (value === undefined && issue.code === "custom") {
      // A rule that spans keys can reject a default: say which value it judged.
      return `${s.key} (default ${JSON.stringify(s.setting.default)}): ${issue.message} (expected ${s.setting.expects})`;
    }
    if (value === undefined) {
      return `${s.key} is not set; expected ${s.setting.expects}. Set it in Pulumi.<stack>.yaml or with \`pulumi config set ${s.key} <value>\`.`;
    }
    const detail = issue.code === "custom" ? issue.message : `${s.setting.expects}`;
    return issue.code === "custom"
      ? `${s.key} = ${JSON.stringify(value)}: ${detail} (expected ${s.setting.expects})`
      : `${s.key} = ${JSON.stringify(value)}: expected ${detail}`;
  });
  throw new ConfigError([...new Set(problems)]);
}
