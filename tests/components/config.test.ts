import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, allSettings, coerce, loadStackConfig, sections } from "../../config";
import { DOC_PATH, renderConfigDoc } from "../../config/render-doc";
import { REPO_ROOT, readProjectConfig, readStackFile, runStack, stackConfig } from "../harness";

const PROJECT = "warecast";

describe("Pulumi.yaml declares exactly the settings config/ validates", () => {
  const declared = readProjectConfig();
  const settings = allSettings().filter((s) => s.key.startsWith(`${PROJECT}:`));

  it.each(settings.map((s) => [s.key, s] as const))("%s: same type, default and description", (key, s) => {
    const name = key.slice(PROJECT.length + 1);
    const decl = declared[name];
    expect(decl).toBeDefined();
    expect(decl.type).toBe(s.setting.type);
    expect(decl.default).toEqual(s.setting.default);
    expect(decl.description).toBe(s.setting.description);
    if (s.setting.type === "array") expect(decl.items).toEqual({ type: "string" });
  });

  it("declares nothing that config/ does not read", () => {
    const known = new Set(settings.map((s) => s.key.slice(PROJECT.length + 1)));
    expect(Object.keys(declared).filter((k) => !known.has(k))).toEqual([]);
  });

  it("every declared default passes its own validation", () => {
    for (const { key, setting } of settings) {
      if (setting.default === undefined) continue;
      const value = coerce(
        setting.type,
        typeof setting.default === "string" ? setting.default : JSON.stringify(setting.default),
      );
      expect({ key, ok: setting.schema.safeParse(value).success }).toEqual({ key, ok: true });
    }
  });
});

describe.each(["dev", "prod"])("Pulumi.%s.yaml", (stack) => {
  it("sets only declared keys, each with a value of its declared type", () => {
    const known = new Map(allSettings().map((s) => [s.key, s.setting]));
    const { "pulumi:disable-default-providers": disabled, ...settings } = readStackFile(stack);
    // An engine setting, not program config: the default AWS provider is refused, so nothing can bypass the tags.
    expect(disabled).toEqual(["aws"]);
    for (const [key, value] of Object.entries(settings)) {
      const setting = known.get(key);
      expect({ key, declared: setting !== undefined }).toEqual({ key, declared: true });
      const yamlType = Array.isArray(value) ? "array" : typeof value === "number" ? "integer" : typeof value;
      expect({ key, type: yamlType }).toEqual({ key, type: setting?.type });
    }
  });

  it("loads and validates", () => {
    const values = stackConfig(stack);
    const cfg = loadStackConfig((k) => values[k]);
    expect(cfg.tags.environment).toBe(stack);
  });
});

describe("stacks differ by config only, in the intended ways", () => {
  const load = (stack: string) => {
    const values = stackConfig(stack);
    return loadStackConfig((k) => values[k]);
  };
  const dev = load("dev");
  const prod = load("prod");

  it("dev is small and cheap, prod durable", () => {
    expect([dev.network.azCount, prod.network.azCount]).toEqual([2, 3]);
    expect([dev.network.nat, prod.network.nat]).toEqual(["single", "perAz"]);
    expect(dev.storage.rawRetentionDays).toBeLessThan(prod.storage.rawRetentionDays);
    expect(dev.observability.logRetentionDays).toBeLessThan(prod.observability.logRetentionDays);
    expect([dev.storage.protect, prod.storage.protect]).toEqual([false, true]);
    expect(dev.ingestion.bufferSeconds).toBeLessThan(prod.ingestion.bufferSeconds);
    expect(dev.ingestion.bufferMiB).toBeLessThan(prod.ingestion.bufferMiB);
    expect([dev.endpoint.mode, prod.endpoint.mode]).toEqual(["serverless", "instance"]);
    expect(prod.endpoint.minInstances).toBe(2);
    expect(prod.endpoint.maxInstances).toBeGreaterThan(prod.endpoint.minInstances);
    expect(dev.observability.alarmEmails).toEqual([]);
    expect(prod.observability.alarmEmails.length).toBeGreaterThan(0);
  });
});

describe("loadStackConfig", () => {
  const base: Record<string, string> = {
    "aws:region": "eu-west-1",
    "warecast:environment": "test",
    "warecast:owner": "team",
    "warecast:costCenter": "cc-1",
  };
  const load = (extra: Record<string, string | undefined>) => {
    const values = { ...base, ...extra };
    return loadStackConfig((k) => values[k]);
  };
  const problems = (extra: Record<string, string | undefined>): string[] => {
    try {
      load(extra);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return [...(err as ConfigError).problems];
    }
    throw new Error("expected a ConfigError");
  };

  it("applies the declared defaults and parses every type", () => {
    const cfg = load({
      "warecast:modelPromotionTolerance": "0.1",
      "warecast:etlWarehouseTimeZones": '["WH1=America/Chicago","WH2=Europe/Berlin"]',
      "warecast:modelHyperparameters": '["learning_rate=0.05"]',
      "warecast:etlClosedDays": '["*=2024-12-25","WH1=2024-05-01","WH1=2024-01-01"]',
    });
    expect(cfg.network).toEqual({
      vpcCidr: "10.0.0.0/16",
      azCount: 2,
      nat: "single",
      interfaceEndpoints: false,
    });
    expect(cfg.account).toEqual({ sharedResources: true });
    expect(cfg.etl.stateWindowDays).toBe(400);
    expect(cfg.etl.defaultTimeZone).toBe("UTC");
    expect(cfg.etl.warehouseTimeZones).toEqual({ WH1: "America/Chicago", WH2: "Europe/Berlin" });
    expect(cfg.etl.closedDays).toEqual({ "*": ["2024-12-25"], WH1: ["2024-01-01", "2024-05-01"] });
    expect(cfg.model.promotionTolerance).toBe(0.1);
    expect(cfg.model.hyperparameters).toEqual({ learning_rate: "0.05" });
    expect(cfg.observability.wapeThreshold).toBe(0.5);
    expect(cfg.storage.protect).toBe(false);
  });

  it("names a missing required key and how to set it", () => {
    expect(problems({ "warecast:owner": undefined })).toEqual([
      "warecast:owner is not set; expected 1-128 characters valid in an AWS tag value. Set it in Pulumi.<stack>.yaml or with `pulumi config set warecast:owner <value>`.",
    ]);
  });

  it("names each bad key, its value and the form it expects", () => {
    expect(
      problems({
        "warecast:networkAzCount": "9",
        "warecast:networkNat": "two",
        "warecast:storageProtect": "yes",
        "warecast:modelPromotionTolerance": "2%",
        "warecast:etlWarehouseTimeZones": '["WH1=Mars/Olympus"]',
        "warecast:etlClosedDays": '["WH1=2024-02-30"]',
        "warecast:observabilityLogRetentionDays": "10",
        "aws:region": "Ireland",
      }),
    ).toEqual([
      'aws:region = "Ireland": expected an AWS region name such as eu-west-1',
      'warecast:networkAzCount = "9": expected an integer from 2 to 6',
      'warecast:networkNat = "two": expected one of none | single | perAz',
      'warecast:storageProtect = "yes": expected true or false',
      'warecast:etlWarehouseTimeZones = "[\\"WH1=Mars/Olympus\\"]": bad entry "WH1=Mars/Olympus" (expected a list of warehouse_id=IANA time zone (e.g. WH1=America/Chicago) entries (unique names))',
      'warecast:etlClosedDays = "[\\"WH1=2024-02-30\\"]": not a real calendar date (expected a list of warehouse_id=YYYY-MM-DD or *=YYYY-MM-DD (no duplicates))',
      'warecast:modelPromotionTolerance = "2%": expected a decimal number from 0 to 1, as a string (e.g. "0.05")',
      'warecast:observabilityLogRetentionDays = "10": not an allowed value (expected one of the integers 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)',
    ]);
  });

  it("checks rules that span keys", () => {
    expect(
      problems({
        "warecast:modelMaxRuntimeSeconds": "7200",
        "warecast:modelMaxWaitSeconds": "3600",
        "warecast:endpointMinInstances": "3",
        "warecast:endpointMaxInstances": "2",
        "warecast:apiRateLimit": "50",
        "warecast:apiBurstLimit": "10",
        "warecast:storageRawRetentionDays": "14",
      }),
    ).toEqual([
      'warecast:modelMaxWaitSeconds = "3600": must be ≥ warecast:modelMaxRuntimeSeconds when spot training is on (expected an integer from 60 to 432000)',
      'warecast:endpointMinInstances = "3": must be ≤ warecast:endpointMaxInstances (expected an integer from 1 to 20)',
      'warecast:apiBurstLimit = "10": must be ≥ warecast:apiRateLimit (expected an integer from 1 to 5000)',
      'warecast:storageRawRetentionDays = "14": must be ≥ the forecast horizon in days (28, from warecast:modelHorizon) + 7, so served forecasts outlive their target dates (expected an integer from 1 to 3650)',
    ]);
  });

  it("rejects, at preview and by key, values AWS would reject at deploy", () => {
    // G.025X exists only for Glue streaming jobs.
    expect(problems({ "warecast:etlWorkerType": "G.025X" })).toEqual([
      'warecast:etlWorkerType = "G.025X": expected one of G.1X | G.2X | G.4X | G.8X',
    ]);
    expect(
      problems({
        // eu-west-1 has three zones.
        "warecast:networkAzCount": "4",
        // SageMaker's canary may be at most half the fleet.
        "warecast:endpointMode": "instance",
        "warecast:endpointBlueGreen": "true",
        "warecast:endpointCanaryPercent": "75",
      }),
    ).toEqual([
      'warecast:networkAzCount = "4": eu-west-1 has 3 availability zones (expected an integer from 2 to 6)',
      'warecast:endpointCanaryPercent = "75": must be at most 50 (SageMaker\'s canary limit), or 100 for all at once (expected an integer from 1 to 100)',
    ]);
    // The same values pass where AWS takes them: 4 zones in us-east-1, a canary of 50 or all at once.
    const east = load({ "aws:region": "us-east-1", "warecast:networkAzCount": "4" });
    expect(east.network.azCount).toBe(4);
    for (const canary of ["50", "100"]) {
      const cfg = load({
        "warecast:endpointMode": "instance",
        "warecast:endpointBlueGreen": "true",
        "warecast:endpointCanaryPercent": canary,
      });
      expect(cfg.endpoint.canaryPercent).toBe(Number(canary));
    }
    // Without blue/green the canary is unused, so it is not judged.
    expect(load({ "warecast:endpointCanaryPercent": "75" }).endpoint.canaryPercent).toBe(75);
  });

  it("needs interface endpoints without NAT, and a budget the network's fixed cost leaves room in", () => {
    expect(problems({ "warecast:networkNat": "none" })).toEqual([
      'warecast:networkNat = "none": none needs warecast:networkInterfaceEndpoints: true, or private workloads cannot reach AWS (expected one of none | single | perAz)',
    ]);
    // 12 endpoints in 2 AZs ($192.72) + one NAT and its IP ($38.69): the default budget of $100 is too small.
    expect(problems({ "warecast:networkInterfaceEndpoints": "true" })).toEqual([
      "warecast:observabilityMonthlyBudgetUsd (default 100): must be at least 2 × the network's fixed cost of $231.41/month (warecast:networkAzCount, warecast:networkNat, warecast:networkInterfaceEndpoints; docs/capacity.md) (expected an integer from 1 to 1000000)",
    ]);
    expect(
      problems({
        "warecast:networkInterfaceEndpoints": "true",
        "warecast:observabilityMonthlyBudgetUsd": "462",
      }),
    ).toEqual([
      'warecast:observabilityMonthlyBudgetUsd = "462": must be at least 2 × the network\'s fixed cost of $231.41/month (warecast:networkAzCount, warecast:networkNat, warecast:networkInterfaceEndpoints; docs/capacity.md) (expected an integer from 1 to 1000000)',
    ]);
    const ok = load({
      "warecast:networkInterfaceEndpoints": "true",
      "warecast:observabilityMonthlyBudgetUsd": "463",
    });
    expect(ok.observability.monthlyBudgetUsd).toBe(463);
  });

  it("measures the horizon in days for weekly forecasts", () => {
    const weekly = { "warecast:modelFrequency": "W", "warecast:modelHorizon": "13" };
    expect(load({ ...weekly, "warecast:storageRawRetentionDays": "98" }).storage.rawRetentionDays).toBe(98);
    expect(problems({ ...weekly, "warecast:storageRawRetentionDays": "96" })).toEqual([
      'warecast:storageRawRetentionDays = "96": must be ≥ the forecast horizon in days (91, from warecast:modelHorizon) + 7, so served forecasts outlive their target dates (expected an integer from 1 to 3650)',
    ]);
  });

  it("every section is exposed", () => {
    expect(Object.keys(load({}))).toEqual(Object.keys(sections));
  });
});

describe("stacks differ by config only", () => {
  /** The program's code: index.ts and everything under components/ and config/ (not the doc renderer, which lists the stack files). */
  function programFiles(): string[] {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? walk(path.join(dir, e.name))
          : e.name.endsWith(".ts")
            ? [path.join(dir, e.name)]
            : [],
      );
    return [
      path.join(REPO_ROOT, "index.ts"),
      ...walk(path.join(REPO_ROOT, "components")),
      ...walk(path.join(REPO_ROOT, "config")),
    ].filter((f) => !f.endsWith(path.join("config", "render-doc.ts")));
  }

  it("no program code reads the stack name or compares with a stack's name", () => {
    const offenders: string[] = [];
    for (const file of programFiles()) {
      const code = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      if (/getStack\(\)|["'`](dev|prod)["'`]/.test(code)) offenders.push(path.relative(REPO_ROOT, file));
    }
    expect(offenders).toEqual([]);
  });
});

describe("docs/configuration.md", () => {
  it("is current (regenerate: node_modules/.bin/tsx config/render-doc.ts)", () => {
    expect(readFileSync(DOC_PATH, "utf8")).toBe(renderConfigDoc());
  });

  it("lists every key with its dev and prod value", () => {
    const doc = renderConfigDoc();
    for (const { key } of allSettings()) expect(doc).toContain(`| \`${key}\` |`);
    expect(doc).toContain("| `warecast:networkAzCount` | integer | `2` | `2` | `3` |");
  });
});

describe("the program", () => {
  it("fails on bad config before declaring any resource", async () => {
    const overrides = { "warecast:networkAzCount": "1", "warecast:owner": undefined };
    const err = (await runStack("dev", { overrides }).then(
      () => undefined,
      (e: unknown) => e,
    )) as ConfigError & { registeredResources: unknown[] };
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("ConfigError");
    // The CLI prints a RunError's message without a stack trace.
    expect(pulumi.RunError.isInstance(err)).toBe(true);
    expect(err.message).toContain('warecast:networkAzCount = "1": expected an integer from 2 to 6');
    expect(err.message).toContain("warecast:owner is not set");
    expect(err.registeredResources).toEqual([]);
  });
});
