/**
 * Every stack setting, by section. The config key of a field is `<prefix><Field>` in the `warecast` namespace
 * (e.g. network.azCount → `warecast:networkAzCount`); see `configKey`. To add a setting: add it to its section
 * here, declare it in Pulumi.yaml (a test checks both agree), and regenerate docs/configuration.md
 * (`node_modules/.bin/tsx config/render-doc.ts`, also checked by a test).
 */
import {
  SCHEDULE,
  boolean,
  dateCalendar,
  decimal,
  integer,
  isTimeZone,
  keyValues,
  list,
  oneOf,
  text,
  type Setting,
} from "./settings";

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const sections = {
  aws: {
    namespace: "aws",
    prefix: "",
    title: "AWS provider",
    settings: {
      region: text({
        description: "AWS region of the stack (read by the stack's explicit AWS provider).",
        pattern: /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/,
        expects: "an AWS region name such as eu-west-1",
      }),
    },
  },
  tags: {
    namespace: "warecast",
    prefix: "",
    title: "Tags",
    settings: {
      environment: text({
        description: "Environment name, used in resource names and the `environment` default tag.",
        pattern: /^[a-z][a-z0-9-]{1,15}$/,
        expects: "2-16 lower-case letters, digits or hyphens, starting with a letter (e.g. dev)",
      }),
      owner: text({
        description: "Team or person accountable for the stack (`owner` default tag).",
        pattern: /^[\p{L}\p{N} _.:/=+@-]{1,128}$/u,
        expects: "1-128 characters valid in an AWS tag value",
      }),
      costCenter: text({
        description: "Cost centre charged for the stack (`cost-center` default tag).",
        pattern: /^[\p{L}\p{N} _.:/=+@-]{1,128}$/u,
        expects: "1-128 characters valid in an AWS tag value",
      }),
    },
  },
  network: {
    namespace: "warecast",
    prefix: "network",
    title: "Network",
    settings: {
      vpcCidr: text({
        description: "IPv4 CIDR of the VPC; subnets are carved from it (one public and one private per AZ).",
        pattern: /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(1[6-9]|2[0-2])$/,
        check: (v) =>
          v
            .split("/")[0]
            .split(".")
            .every((o) => Number(o) <= 255),
        checkMessage: "octet above 255",
        expects: "an IPv4 CIDR with a /16 to /22 prefix (e.g. 10.0.0.0/16)",
        default: "10.0.0.0/16",
      }),
      azCount: integer({ description: "Number of availability zones.", min: 2, max: 6, default: 2 }),
      nat: oneOf(["none", "single", "perAz"], {
        description:
          "NAT gateways for outbound internet from private subnets: none (AWS APIs via VPC endpoints only), single, or one per AZ.",
        default: "single",
      }),
      interfaceEndpoints: boolean({
        description:
          "Interface VPC endpoints (in every AZ) for each AWS API the private workloads call; without them they reach AWS through NAT. Required when nat is none. The S3 gateway endpoint is always there (free).",
        default: false,
      }),
    },
  },
  account: {
    namespace: "warecast",
    prefix: "account",
    title: "Account-level resources",
    settings: {
      sharedResources: boolean({
        description:
          "This stack owns what AWS keeps once per account and region: API Gateway's CloudWatch Logs role (the stage's access logs need it) and the /aws/sagemaker/TrainingJobs log group. Exactly one stack per account and region sets true (docs/deploy.md).",
        default: true,
      }),
    },
  },
  storage: {
    namespace: "warecast",
    prefix: "storage",
    title: "Storage",
    settings: {
      rawRetentionDays: integer({
        description:
          "Days raw events and served forecasts stay in the raw bucket before they expire; at least the forecast horizon in days + 7.",
        min: 1,
        max: 3650,
        default: 35,
      }),
      noncurrentVersionDays: integer({
        description:
          "Days a noncurrent (overwritten or deleted) object version is kept in every data bucket.",
        min: 1,
        max: 3650,
        default: 7,
      }),
      protect: boolean({
        description:
          "Protect data (buckets, KMS key) from deletion: Pulumi `protect` + `retainOnDelete`, and buckets are never force-destroyed.",
        default: false,
      }),
      accessLogging: boolean({
        description: "S3 server access logging of every data bucket into a dedicated access-log bucket.",
        default: false,
      }),
      accessLogRetentionDays: integer({
        description: "Days S3 server access logs are kept.",
        min: 1,
        max: 3650,
        default: 90,
      }),
    },
  },
  ingestion: {
    namespace: "warecast",
    prefix: "ingestion",
    title: "Ingestion (Firehose)",
    settings: {
      bufferSeconds: integer({
        description: "Firehose buffering interval: seconds before a batch is written to S3.",
        min: 0,
        max: 900,
        default: 60,
      }),
      bufferMiB: integer({
        description: "Firehose buffering size: MiB before a batch is written to S3.",
        min: 1,
        max: 128,
        default: 5,
      }),
    },
  },
  etl: {
    namespace: "warecast",
    prefix: "etl",
    title: "ETL (Glue)",
    settings: {
      workerType: oneOf(["G.1X", "G.2X", "G.4X", "G.8X"], {
        description: "Glue worker type of the Spark job (G.025X exists only for streaming jobs).",
        default: "G.1X",
      }),
      maxWorkers: integer({
        description: "Maximum Glue workers (the ceiling when auto scaling is on).",
        min: 2,
        max: 299,
        default: 10,
      }),
      autoScaling: boolean({
        description: "Glue auto scaling (workers scale up to maxWorkers).",
        default: true,
      }),
      timeoutMinutes: integer({ description: "Glue job run timeout.", min: 1, max: 2880, default: 60 }),
      defaultTimeZone: text({
        description: "Time zone of warehouses not listed in warehouseTimeZones (business dates).",
        pattern: /^[A-Za-z0-9_+\-/]+$/,
        check: isTimeZone,
        checkMessage: "unknown time zone",
        expects: "an IANA time zone (e.g. UTC, Europe/Berlin)",
        default: "UTC",
      }),
      warehouseTimeZones: keyValues({
        description: "Per-warehouse time zones used to derive each event's business date.",
        name: NAME,
        value: /^[A-Za-z0-9_+\-/]+$/,
        checkValue: isTimeZone,
        expects: "warehouse_id=IANA time zone (e.g. WH1=America/Chicago)",
        default: [],
      }),
      closedDays: dateCalendar({
        description:
          "Days a warehouse is closed (flagged, not counted as zero demand); `*` means every warehouse. Merged with calendar/closed-days.json in the raw store.",
        default: [],
        max: 5000,
      }),
      weekStart: oneOf(["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"], {
        description: "First day of the week for weekly aggregation (ISO weeks start on MON).",
        default: "MON",
      }),
      safetyNetSchedule: text({
        description: "EventBridge schedule that runs the ETL even when no object-created event triggered it.",
        pattern: SCHEDULE,
        expects: "an EventBridge schedule expression: rate(N unit) or cron(6 fields)",
        default: "rate(1 day)",
      }),
      minIntervalMinutes: integer({
        description:
          "Least minutes between the starts of ETL runs that landing data triggers (0 = as soon as data lands and no run is active). More batches data: fewer Glue runs, staler data (at most about twice this).",
        min: 0,
        max: 1440,
        default: 0,
      }),
      stateWindowDays: integer({
        description: "Days of history kept per series in series_state (enough for yearly lags).",
        min: 28,
        max: 1500,
        default: 400,
      }),
    },
  },
  model: {
    namespace: "warecast",
    prefix: "model",
    title: "Model (SageMaker training)",
    settings: {
      retrainSchedule: text({
        description: "EventBridge schedule of retraining.",
        pattern: SCHEDULE,
        expects: "an EventBridge schedule expression: rate(N unit) or cron(6 fields)",
        default: "cron(0 3 ? * MON *)",
      }),
      trainingInstanceType: text({
        description: "SageMaker training instance type.",
        pattern: /^ml\.[a-z0-9]+\.[a-z0-9]+$/,
        expects: "a SageMaker instance type (e.g. ml.m5.large)",
        default: "ml.m5.large",
      }),
      maxRuntimeSeconds: integer({
        description: "Training job stopping condition: maximum run time.",
        min: 60,
        max: 432000,
        default: 3600,
      }),
      maxWaitSeconds: integer({
        description:
          "Training job stopping condition with spot: maximum wait including spot interruptions (≥ maxRuntimeSeconds).",
        min: 60,
        max: 432000,
        default: 7200,
      }),
      spot: boolean({ description: "Managed spot training (with checkpoints).", default: true }),
      hyperparameters: keyValues({
        description: "Extra training hyperparameters passed to model/train.py.",
        name: /^[A-Za-z0-9_-]{1,256}$/,
        value: /^.{0,2500}$/,
        expects: "name=value",
        default: [],
      }),
      promotionTolerance: decimal({
        description:
          "Metric gate: a candidate is promoted when its backtest WAPE ≤ the serving model's WAPE × (1 + tolerance).",
        min: 0,
        max: 1,
        default: "0.02",
      }),
      frequency: oneOf(["D", "W"], {
        description: "Forecast frequency: D (daily) or W (weekly).",
        default: "D",
      }),
      horizon: integer({
        description: "Forecast horizon in periods of `frequency`.",
        min: 1,
        max: 366,
        default: 28,
      }),
    },
  },
  tuning: {
    namespace: "warecast",
    prefix: "tuning",
    title: "Hyperparameter tuning (SageMaker)",
    settings: {
      scheduleEnabled: boolean({
        description:
          "Start a SageMaker tuning job on `tuningSchedule`; off leaves only `warecast model tune`. Trials use the model section's instance type and spot setting.",
        default: false,
      }),
      schedule: text({
        description: "EventBridge schedule of tuning jobs (when `tuningScheduleEnabled`).",
        pattern: SCHEDULE,
        expects: "an EventBridge schedule expression: rate(N unit) or cron(6 fields)",
        default: "cron(0 4 1 * ? *)",
      }),
      maxJobs: integer({
        description: "Trials (training jobs) per tuning job.",
        min: 1,
        max: 100,
        default: 10,
      }),
      maxParallelJobs: integer({
        description: "Trials that run at once (≤ `tuningMaxJobs`).",
        min: 1,
        max: 10,
        default: 2,
      }),
      trialMaxRuntimeSeconds: integer({
        description: "One trial's stopping condition: maximum run time.",
        min: 60,
        max: 86400,
        default: 1800,
      }),
      trialMaxWaitSeconds: integer({
        description:
          "One trial's maximum wait including spot interruptions (≥ `tuningTrialMaxRuntimeSeconds`).",
        min: 60,
        max: 172800,
        default: 3600,
      }),
      maxRuntimeSeconds: integer({
        description: "The whole tuning job's run-time limit.",
        min: 120,
        max: 2592000,
        default: 28800,
      }),
      origins: integer({
        description:
          "Windows each trial scores, ending before the evaluation windows the promotion gate scores.",
        min: 1,
        max: 12,
        default: 2,
      }),
      strategy: oneOf(["Bayesian", "Random"], {
        description: "SageMaker's search strategy over model/search_space.json.",
        default: "Bayesian",
      }),
    },
  },
  endpoint: {
    namespace: "warecast",
    prefix: "endpoint",
    title: "Endpoint (SageMaker inference)",
    settings: {
      mode: oneOf(["serverless", "instance"], {
        description:
          "serverless (scales to zero; cannot attach to the VPC) or instance (VPC-attached, autoscaled between min and max).",
        default: "serverless",
      }),
      instanceType: text({
        description: "Instance type in instance mode.",
        pattern: /^ml\.[a-z0-9]+\.[a-z0-9]+$/,
        expects: "a SageMaker instance type (e.g. ml.m5.large)",
        default: "ml.m5.large",
      }),
      minInstances: integer({
        description: "Instance mode: minimum instances (autoscaling floor).",
        min: 1,
        max: 20,
        default: 1,
      }),
      maxInstances: integer({
        description: "Instance mode: maximum instances (autoscaling ceiling).",
        min: 1,
        max: 20,
        default: 2,
      }),
      modelServerWorkers: integer({
        description:
          "Model server worker processes per endpoint container (SAGEMAKER_MODEL_SERVER_WORKERS; each serves one request at a time): the container's vCPUs, e.g. 2 for ml.m5.large; 1 for serverless.",
        min: 1,
        max: 64,
        default: 1,
      }),
      serverlessMemoryMiB: integer({
        description: "Serverless mode: memory per worker.",
        min: 1024,
        max: 6144,
        allowed: [1024, 2048, 3072, 4096, 5120, 6144],
        default: 2048,
      }),
      serverlessMaxConcurrency: integer({
        description: "Serverless mode: maximum concurrent invocations.",
        min: 1,
        max: 200,
        default: 5,
      }),
      targetInvocationsPerInstance: integer({
        description: "Instance mode: autoscaling target of invocations per instance per minute.",
        min: 1,
        max: 100000,
        default: 100,
      }),
      blueGreen: boolean({
        description:
          "Instance mode: promotions deploy blue/green (canary, bake, then all traffic) and roll back automatically when the endpoint's error or latency alarm fires.",
        default: false,
      }),
      canaryPercent: integer({
        description:
          "Blue/green: share of capacity that takes traffic first, in percent: at most 50 (SageMaker's canary limit), or 100 for all at once.",
        min: 1,
        max: 100,
        default: 25,
      }),
      bakeSeconds: integer({
        description:
          "Blue/green: seconds the canary (then the full fleet) is watched by the rollback alarms.",
        min: 0,
        max: 3600,
        default: 600,
      }),
    },
  },
  api: {
    namespace: "warecast",
    prefix: "api",
    title: "API (API Gateway + predict function)",
    settings: {
      rateLimit: integer({
        description: "Steady-state requests per second per API key.",
        min: 1,
        max: 10000,
        default: 20,
      }),
      burstLimit: integer({
        description: "Burst requests per API key (≥ rateLimit).",
        min: 1,
        max: 5000,
        default: 40,
      }),
      dailyQuota: integer({
        description: "Requests per day per API key.",
        min: 1,
        max: 100000000,
        default: 10000,
      }),
      maxSeriesPerRequest: integer({
        description: "Largest number of series one forecast request may ask for.",
        min: 1,
        max: 1000,
        default: 100,
      }),
      reservedConcurrency: integer({
        description: "Reserved concurrency of the predict function; -1 leaves it unreserved.",
        min: -1,
        max: 10000,
        default: -1,
      }),
    },
  },
  observability: {
    namespace: "warecast",
    prefix: "observability",
    title: "Observability",
    settings: {
      alarmEmails: list({
        description: "E-mail addresses subscribed to the alarm SNS topic.",
        pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
        expects: "e-mail addresses",
        default: [],
        max: 20,
      }),
      wapeThreshold: decimal({
        description: "Accuracy alarm: fires when the measured WAPE against actuals exceeds this.",
        min: 0,
        max: 10,
        default: "0.5",
      }),
      monthlyBudgetUsd: integer({
        description:
          "AWS Budgets monthly cost limit for the stack's cost-allocation tags; at least twice the network's fixed cost (docs/capacity.md).",
        min: 1,
        max: 1000000,
        default: 100,
      }),
      biasThreshold: decimal({
        description:
          "Accuracy alarm: fires when the absolute bias against actuals (Σ(forecast − actual) / Σ actual) exceeds this.",
        min: 0,
        max: 10,
        default: "0.25",
      }),
      cloudTrailS3DataEvents: boolean({
        description: "CloudTrail S3 data events (object-level reads/writes) on the data buckets.",
        default: false,
      }),
      auditRetentionDays: integer({
        description: "Days CloudTrail log files are kept in the audit bucket before they expire.",
        min: 1,
        max: 3650,
        default: 365,
      }),
      logRetentionDays: integer({
        description:
          "Retention of every CloudWatch log group (functions, Glue, SageMaker, API stages, flow logs).",
        min: 1,
        max: 3653,
        allowed: LOG_RETENTION_DAYS,
        default: 14,
      }),
    },
  },
  lambda: {
    namespace: "warecast",
    prefix: "lambda",
    title: "Lambda functions",
    settings: {
      reservedConcurrency: integer({
        description:
          "Reserved concurrency of each internal function (trigger, retrain, promote); -1 leaves it unreserved.",
        min: -1,
        max: 1000,
        default: -1,
      }),
      memoryMiB: integer({ description: "Memory of each function.", min: 128, max: 10240, default: 512 }),
      timeoutSeconds: integer({
        description: "Timeout of each internal function.",
        min: 1,
        max: 900,
        default: 60,
      }),
    },
  },
} as const satisfies Record<
  string,
  { namespace: string; prefix: string; title: string; settings: Record<string, Setting> }
>;

export type Sections = typeof sections;
export type SectionName = keyof Sections;

/** The full config key of a setting, e.g. `warecast:networkAzCount` or `aws:region`. */
export function configKey(section: SectionName, field: string): string {
  const { namespace, prefix } = sections[section];
  const name = prefix ? prefix + field[0].toUpperCase() + field.slice(1) : field;
  return `${namespace}:${name}`;
}

/** Every setting with its section, field and full key, in declaration order. */
export function allSettings(): { section: SectionName; field: string; key: string; setting: Setting }[] {
  const out: { section: SectionName; field: string; key: string; setting: Setting }[] = [];
  for (const section of Object.keys(sections) as SectionName[]) {
    for (const [field, setting] of Object.entries(sections[section].settings)) {
      out.push({ section, field, key: configKey(section, field), setting: setting as Setting });
    }
  }
  return out;
}
