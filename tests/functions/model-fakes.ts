/**
 * In-memory fakes of the S3 and SageMaker slices the retrain/promote functions use (functions/model/ports.ts),
 * with just enough behaviour to be honest: missing objects are NoSuchKey, If-None-Match "*" is enforced,
 * duplicate model/config names are ValidationExceptions, and every call is recorded for assertions.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import type { S3Api, SageMakerApi } from "../../functions/model/ports";
import { METRICS_NAMESPACE, type Observability } from "../../functions/powertools";
import { recordEmf, type EmittedMetric } from "../support/metric-contract";
import type { PromoteSettings, RetrainSettings } from "../../functions/model/settings";
import type { TuneSettings } from "../../functions/model/tuning-settings";
import { tuneSettings, type TuningOptions } from "../../components/forecast-model/tuning-plan";

type Input = Record<string, unknown>;

function awsError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

export class FakeS3 {
  readonly objects = new Map<string, { body: Buffer; lastModified: Date }>();
  readonly calls: { op: string; input: Input }[] = [];
  clock = new Date("2026-11-01T00:00:00Z");

  put(bucket: string, key: string, body: string | Uint8Array, lastModified?: Date): void {
    this.objects.set(`${bucket}/${key}`, {
      body: Buffer.from(body),
      lastModified: lastModified ?? this.clock,
    });
  }
  text(bucket: string, key: string): string | undefined {
    return this.objects.get(`${bucket}/${key}`)?.body.toString("utf8");
  }

  api(): S3Api {
    const impl = {
      listObjectsV2: async (input: Input) => {
        this.calls.push({ op: "listObjectsV2", input });
        const prefix = `${input.Bucket as string}/${(input.Prefix as string) ?? ""}`;
        const Contents = [...this.objects.entries()]
          .filter(([k]) => k.startsWith(prefix))
          .map(([k, v]) => ({
            Key: k.slice((input.Bucket as string).length + 1),
            LastModified: v.lastModified,
          }));
        return { Contents, IsTruncated: false, $metadata: {} };
      },
      getObject: async (input: Input) => {
        this.calls.push({ op: "getObject", input });
        const o = this.objects.get(`${input.Bucket as string}/${input.Key as string}`);
        if (!o) throw awsError("NoSuchKey", "The specified key does not exist.", 404);
        return { Body: { transformToByteArray: async () => new Uint8Array(o.body) }, $metadata: {} };
      },
      putObject: async (input: Input) => {
        this.calls.push({ op: "putObject", input });
        const k = `${input.Bucket as string}/${input.Key as string}`;
        if (input.IfNoneMatch === "*" && this.objects.has(k)) {
          throw awsError(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
          );
        }
        this.objects.set(k, { body: Buffer.from(input.Body as string), lastModified: this.clock });
        return { $metadata: {} };
      },
      deleteObject: async (input: Input) => {
        this.calls.push({ op: "deleteObject", input });
        this.objects.delete(`${input.Bucket as string}/${input.Key as string}`);
        return { $metadata: {} };
      },
    };
    return impl as unknown as S3Api;
  }
}

interface Job {
  name: string;
  arn: string;
  status: string;
  created: Date;
  request: Input;
  tags: { Key: string; Value: string }[];
}

export class FakeSageMaker {
  readonly calls: { op: string; input: Input }[] = [];
  readonly jobs = new Map<string, Job>();
  readonly models = new Map<string, Input>();
  readonly configs = new Map<string, Input>();
  readonly packages: (Input & { arn: string; version: number; status: string })[] = [];
  endpoint = {
    name: "ep",
    config: "bootstrap-config",
    status: "InService",
    pending: undefined as string | undefined,
    instances: undefined as number | undefined,
  };

  /** Seeds the endpoint as Pulumi would create it: bootstrap model + config. */
  seedEndpoint(
    name: string,
    model = "bootstrap-model",
    artifact = "s3://artifacts/bootstrap/model.tar.gz",
  ): void {
    this.endpoint.name = name;
    this.models.set(model, { ModelName: model, PrimaryContainer: { ModelDataUrl: artifact } });
    this.configs.set("bootstrap-config", {
      ProductionVariants: [{ VariantName: "AllTraffic", ModelName: model }],
    });
  }

  addJob(
    name: string,
    status: string,
    created: Date,
    tags: { Key: string; Value: string }[] = [],
    request: Input = {},
  ): void {
    this.jobs.set(name, {
      name,
      arn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${name}`,
      status,
      created,
      request,
      tags,
    });
  }

  count(op: string): number {
    return this.calls.filter((c) => c.op === op).length;
  }
  last(op: string): Input {
    const hits = this.calls.filter((c) => c.op === op);
    if (hits.length === 0) throw new Error(`no ${op} call`);
    return hits[hits.length - 1].input;
  }

  api(): SageMakerApi {
    const rec = (op: string, input: Input) => this.calls.push({ op, input });
    const impl = {
      createTrainingJob: async (input: Input) => {
        rec("createTrainingJob", input);
        const name = input.TrainingJobName as string;
        this.addJob(name, "InProgress", new Date(), (input.Tags as Job["tags"]) ?? [], input);
        return { TrainingJobArn: this.jobs.get(name)?.arn, $metadata: {} };
      },
      describeTrainingJob: async (input: Input) => {
        rec("describeTrainingJob", input);
        const j = this.jobs.get(input.TrainingJobName as string);
        if (!j) throw awsError("ValidationException", "Requested resource not found.", 400);
        const out = (j.request.OutputDataConfig as { S3OutputPath?: string } | undefined)?.S3OutputPath;
        return {
          TrainingJobName: j.name,
          TrainingJobArn: j.arn,
          TrainingJobStatus: j.status,
          HyperParameters: j.request.HyperParameters,
          ModelArtifacts: {
            S3ModelArtifacts: `${out ?? "s3://artifacts/training/"}${j.name}/output/model.tar.gz`,
          },
          $metadata: {},
        };
      },
      listTrainingJobs: async (input: Input) => {
        rec("listTrainingJobs", input);
        const contains = (input.NameContains as string) ?? "";
        const TrainingJobSummaries = [...this.jobs.values()]
          .filter((j) => j.name.includes(contains))
          .sort((a, b) => b.created.getTime() - a.created.getTime())
          .map((j) => ({
            TrainingJobName: j.name,
            TrainingJobArn: j.arn,
            TrainingJobStatus: j.status,
            CreationTime: j.created,
          }));
        return { TrainingJobSummaries, $metadata: {} };
      },
      listTags: async (input: Input) => {
        rec("listTags", input);
        const j = [...this.jobs.values()].find((x) => x.arn === input.ResourceArn);
        return { Tags: j?.tags ?? [], $metadata: {} };
      },
      describeEndpoint: async (input: Input) => {
        rec("describeEndpoint", input);
        if (input.EndpointName !== this.endpoint.name) {
          throw awsError(
            "ValidationException",
            `Could not find endpoint "${input.EndpointName as string}".`,
            400,
          );
        }
        return {
          EndpointName: this.endpoint.name,
          EndpointConfigName: this.endpoint.config,
          EndpointStatus: this.endpoint.status,
          PendingDeploymentSummary: this.endpoint.pending
            ? { EndpointConfigName: this.endpoint.pending }
            : undefined,
          ProductionVariants: [{ VariantName: "AllTraffic", CurrentInstanceCount: this.endpoint.instances }],
          $metadata: {},
        };
      },
      describeEndpointConfig: async (input: Input) => {
        rec("describeEndpointConfig", input);
        const c = this.configs.get(input.EndpointConfigName as string);
        if (!c) throw awsError("ValidationException", "Could not find endpoint configuration.", 400);
        return { ...c, $metadata: {} };
      },
      describeModel: async (input: Input) => {
        rec("describeModel", input);
        const m = this.models.get(input.ModelName as string);
        if (!m) throw awsError("ValidationException", "Could not find model.", 400);
        return { ...m, $metadata: {} };
      },
      createModel: async (input: Input) => {
        rec("createModel", input);
        const name = input.ModelName as string;
        if (this.models.has(name))
          throw awsError("ValidationException", `Cannot create already existing model "${name}".`, 400);
        this.models.set(name, input);
        return { $metadata: {} };
      },
      createEndpointConfig: async (input: Input) => {
        rec("createEndpointConfig", input);
        const name = input.EndpointConfigName as string;
        if (this.configs.has(name)) {
          throw awsError(
            "ValidationException",
            `Cannot create already existing endpoint configuration "${name}".`,
            400,
          );
        }
        this.configs.set(name, input);
        return { $metadata: {} };
      },
      updateEndpoint: async (input: Input) => {
        rec("updateEndpoint", input);
        if (this.endpoint.status === "Updating")
          throw awsError("ValidationException", "Endpoint is updating.", 400);
        // The update completes at once here; in AWS the endpoint is Updating for minutes.
        this.endpoint.config = input.EndpointConfigName as string;
        return { $metadata: {} };
      },
      createModelPackage: async (input: Input) => {
        rec("createModelPackage", input);
        const existing = this.packages.find((p) => p.ClientToken === input.ClientToken);
        if (existing) return { ModelPackageArn: existing.arn, $metadata: {} };
        const version = this.packages.length + 1;
        const arn = `arn:aws:sagemaker:eu-west-1:123456789012:model-package/${input.ModelPackageGroupName as string}/${version}`;
        this.packages.push({ ...input, arn, version, status: input.ModelApprovalStatus as string });
        return { ModelPackageArn: arn, $metadata: {} };
      },
      describeModelPackage: async (input: Input) => {
        rec("describeModelPackage", input);
        const p = this.packages.find((x) => x.arn === input.ModelPackageName);
        if (!p) throw awsError("ValidationException", "Model package not found", 400);
        return {
          ...p,
          ModelPackageArn: p.arn,
          ModelPackageVersion: p.version,
          ModelApprovalStatus: p.status,
          $metadata: {},
        };
      },
      listModelPackages: async (input: Input) => {
        rec("listModelPackages", input);
        const ModelPackageSummaryList = this.packages
          .filter((p) => p.ModelPackageGroupName === input.ModelPackageGroupName)
          .map((p) => ({
            ModelPackageArn: p.arn,
            ModelPackageVersion: p.version,
            ModelApprovalStatus: p.status,
          }))
          .reverse();
        return { ModelPackageSummaryList, $metadata: {} };
      },
      updateModelPackage: async (input: Input) => {
        rec("updateModelPackage", input);
        const p = this.packages.find((x) => x.arn === input.ModelPackageArn);
        if (!p) throw awsError("ValidationException", "Model package not found", 400);
        p.status = input.ModelApprovalStatus as string;
        return { ModelPackageArn: p.arn, $metadata: {} };
      },
    };
    return impl as unknown as SageMakerApi;
  }
}

/** Every metric the handlers of the importing test file published through quietObservability (its EMF). */
export const EMITTED: EmittedMetric[] = [];

/** Real Powertools objects, silenced: the handlers' log lines and EMF output are captured, not printed. */
export function quietObservability(): Observability & { logs: { message: string; extra: Input }[] } {
  const logs: { message: string; extra: Input }[] = [];
  const logger = new Logger({ serviceName: "test", logLevel: "SILENT" });
  for (const level of ["info", "warn", "error"] as const) {
    const original = logger[level].bind(logger);
    (logger as unknown as Record<string, unknown>)[level] = (message: string, extra: Input = {}) => {
      logs.push({ message, extra });
      original(message, extra);
    };
  }
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "test" });
  // Flushing goes through Powertools' real publish path; only the EMF line is captured instead of printed.
  recordEmf(metrics, EMITTED);
  return { logger, metrics, tracer: new Tracer({ serviceName: "test", enabled: false }), logs };
}

export const KMS = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
export const ROLE = "arn:aws:iam::123456789012:role/warecast-dev-sagemaker";

export function retrainSettings(over: Partial<RetrainSettings> = {}): RetrainSettings {
  return {
    jobNamePrefix: "warecast-dev-forecast",
    roleArn: ROLE,
    trainingImage: "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
    sourceDirUri: "s3://artifacts/code/sourcedir-abc.tar.gz",
    entryPoint: "warecast_train.py",
    hyperparameters: { learning_rate: "0.05" },
    instanceType: "ml.m5.large",
    instanceCount: 1,
    volumeSizeGb: 30,
    spot: true,
    maxRuntimeSeconds: 1800,
    maxWaitSeconds: 3600,
    processedBucket: "processed",
    trainPrefix: "demand_daily/",
    runsPrefix: "runs/",
    artifactsBucket: "artifacts",
    outputPrefix: "training/",
    checkpointPrefix: "checkpoints/",
    tunedParamsKey: "tuning/best.json",
    kmsKeyArn: KMS,
    subnetIds: ["subnet-a", "subnet-b"],
    securityGroupIds: ["sg-train"],
    endpointName: "warecast-dev-forecast",
    region: "eu-west-1",
    metricDefinitions: [{ Name: "backtest:wape", Regex: "backtest wape=([0-9.eE+-]+)" }],
    ...over,
  };
}

export const TUNING_OPTIONS: TuningOptions = {
  schedule: { enabled: true, expression: "cron(0 4 1 * ? *)" },
  maxJobs: 20,
  maxParallelJobs: 4,
  trialMaxRuntimeSeconds: 3600,
  trialMaxWaitSeconds: 7200,
  maxRuntimeSeconds: 43200,
  tuningOrigins: 2,
  strategy: "Bayesian",
};

/** The tune function's settings as the component derives them from retrainSettings() and prod-like bounds. */
export function tunerSettings(over: Partial<TuneSettings> = {}): TuneSettings {
  return { ...tuneSettings("warecast-dev-tune", retrainSettings(), TUNING_OPTIONS), ...over };
}

export function promoteSettings(over: Partial<PromoteSettings> = {}): PromoteSettings {
  return {
    jobNamePrefix: "warecast-dev-forecast",
    artifactsBucket: "artifacts",
    decisionsPrefix: "decisions/",
    modelsPrefix: "models/",
    pinKey: "control/pin.json",
    endpointName: "warecast-dev-forecast",
    modelPackageGroup: "warecast-dev-forecast",
    roleArn: ROLE,
    inferenceImage: "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
    inferenceEntryPoint: "inference.py",
    inferenceCodeDir: "/opt/ml/model/code",
    modelServerWorkers: 2,
    kmsKeyArn: KMS,
    region: "eu-west-1",
    gate: { metric: "wape", tolerance: 0.02 },
    serving: { kind: "serverless", memorySizeMb: 2048, maxConcurrency: 2 },
    deployment: {
      blueGreen: false,
      canaryPercent: 50,
      waitSeconds: 300,
      terminationWaitSeconds: 300,
      rollbackAlarms: [],
    },
    ...over,
  };
}

/**
 * metrics.json of a real training run (tests/fixtures/training-metrics.json, written by
 * scripts/training_metrics_fixture.py and kept in shape by tests/python/model/test_training_metrics.py), with
 * the gate metric (wape) of the challenger and the champion set; `champion: null` = trained without one.
 */
export function metricsJson(challenger: number, champion: number | null): string {
  const m = JSON.parse(fs.readFileSync(TRAINING_METRICS, "utf8")) as {
    metrics: Record<string, Record<string, number | null>>;
    champion_model: unknown;
  };
  m.metrics.model.wape = challenger;
  if (champion === null) {
    delete m.metrics.champion;
    m.champion_model = null;
  } else m.metrics.champion.wape = champion;
  return JSON.stringify(m);
}

const TRAINING_METRICS = path.join(__dirname, "..", "fixtures", "training-metrics.json");

/** A served model's metrics.json for the API's /v1/model routes: two named series with per-series scores. */
const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

export function apiModelMetricsJson(
  challenger: number,
  champion: number | null,
  origins = ["2018-10-01", "2018-10-29"],
): string {
  const row = (wape: number) => ({ wape, rmsse: 0.8, mase: 0.9, coverage_80: 0.8, points: 100 });
  return JSON.stringify({
    model_version: "2026-11-28T05-00-00Z-gbm",
    setup: {
      freq: "D",
      horizon: 28,
      origins: origins.length,
      // As model/backtest.py writes them: the origin, then the first and last scored dates.
      windows: origins.map((origin) => ({ origin, first: addDays(origin, 1), last: addDays(origin, 28) })),
    },
    metrics: {
      model: row(challenger),
      ...(champion === null ? {} : { champion: row(champion) }),
      seasonal_naive: row(0.6),
    },
    // Per-series columns as model/backtest.py writes them (GET /v1/model/series/...).
    series_metrics: {
      ids: ["WH1/SKU-1", "WH2/SKU-1"],
      method: ["global-gbm", "intermittent"],
      metrics: {
        model: {
          mase: [0.8, 1.0],
          rmsse: [0.7, 0.9],
          wape: [challenger, 0.5],
          bias: [0.01, null],
          points: [56, 56],
        },
        seasonal_naive: {
          mase: [1.1, 1.2],
          rmsse: [1.0, 1.1],
          wape: [0.6, 0.7],
          bias: [0.1, 0.2],
          points: [56, 56],
        },
      },
    },
  });
}
