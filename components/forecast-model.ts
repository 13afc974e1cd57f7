/**
 * ForecastModel: storage, identity, retraining, promotion and the lifecycle of the stack's SageMaker endpoint.
 *
 * - Identity: a least-privilege SageMaker execution role, a security group for training and instance endpoints,
 *   the model registry (a model package group). Artifacts live in the foundation's artifacts bucket.
 * - Retraining: an EventBridge schedule → the retrain function (functions/retrain.ts), which starts a managed-spot
 *   training job with checkpoints, VPC and KMS only when the ETL wrote data the last training did not see.
 * - Promotion: "SageMaker Training Job State Change" (Completed) → the promote function (functions/promote.ts):
 *   metric gate, registry, blue/green UpdateEndpoint, decision record. A winner that finds the endpoint busy is
 *   deferred, and the endpoint's next "SageMaker Endpoint State Change" event decides it again.
 * - Lifecycle: Pulumi owns the endpoint under a fixed name and creates it serving a bootstrap baseline built here
 *   from model/ (no Python at deploy time). Promotions swap its endpoint config and `pulumi up` ignores that.
 * See docs/model-operations.md.
 */
import * as os from "node:os";
import * as path from "node:path";
import { S3 } from "@aws-sdk/client-s3";
import { SageMaker } from "@aws-sdk/client-sagemaker";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { SETTINGS_KEY } from "../functions/model/operator";
import { inferenceEnvironment } from "../functions/model/deploy";
import { VARIANT_NAME } from "../functions/model/endpoint-config";
import { MAX_PREFIX_LENGTH } from "../functions/model/names";
import type { ModelHandlerDeps } from "../functions/model/ports";
import {
  parseSettings,
  promoteSettingsSchema,
  retrainSettingsSchema,
  type Deployment,
  type Gate,
  type PromoteSettings,
  type RetrainSettings,
  type Serving,
} from "../functions/model/settings";
import { createObservability } from "../functions/powertools";
import { handlePromote } from "../functions/promote";
import { handleRetrain } from "../functions/retrain";
import { accountContext } from "./account";
import type { Encryption } from "./encryption";
import {
  ARTIFACT_PREFIXES,
  TUNING_KEYS,
  executionRoleStatements,
  promoteStatements,
  retrainStatements,
} from "./forecast-model/iam";
import {
  bootstrapArtifactEntries,
  bootstrapVersion,
  modelCodeHash,
  sourceDirEntries,
} from "./forecast-model/packaging";
import {
  bootstrapEndpointConfig,
  bootstrapModelSpec,
  endpointDeploymentConfig,
  rollbackAlarmSpecs,
  scalableResourceId,
} from "./forecast-model/serving";
import { writeContentAddressedTarGz } from "./forecast-model/tarball";
import { ModelTuning, type TuningOptions } from "./forecast-model/tuning";
import {
  FRAMEWORK_IMAGE,
  INFERENCE_CODE_DIR,
  INFERENCE_ENTRY_POINT,
  TRAINING_ENTRY_POINT,
  TRAINING_MODULE,
  metricDefinitions,
} from "./forecast-model/training";
import { createLogGroup, type LogSettings } from "./log-group";
import type { Network } from "./network";
import { HTTPS_TO_AWS_EGRESS } from "./network-plan";
import { assumeRolePolicy, policyDocument } from "./policy-documents";
import type { FunctionSettings } from "./private-function";
import { PrivateFunction } from "./private-function";
import type { SecureBucket } from "./secure-bucket";

export interface TrainingOptions {
  /** EventBridge schedule expression of the retrain check. Required. */
  readonly schedule: string;
  /** Training instance type. Required. */
  readonly instanceType: string;
  /** Training instances. Default 1. */
  readonly instanceCount?: number;
  /** ML storage volume per instance, GB. Default 30. */
  readonly volumeSizeGb?: number;
  /** Managed spot training (checkpoints are always configured). Required. */
  readonly spot: boolean;
  /** Stopping condition: maximum run time. Required. */
  readonly maxRuntimeSeconds: number;
  /** Stopping condition with spot: maximum wait including interruptions (≥ maxRuntimeSeconds). Required. */
  readonly maxWaitSeconds: number;
  /** Hyperparameters passed to model/train.py. Default none. */
  readonly hyperparameters?: Readonly<Record<string, string>>;
}

export type EndpointOptions = {
  /**
   * Model server worker processes per container (SAGEMAKER_MODEL_SERVER_WORKERS): the framework container runs
   * gunicorn with this many, each forecasting one request at a time. Default 1; set the instance's vCPUs.
   */
  readonly modelServerWorkers?: number;
} & (
  | {
      readonly kind: "serverless";
      /** Memory per worker, MiB. */
      readonly memorySizeMb: number;
      readonly maxConcurrency: number;
    }
  | {
      readonly kind: "instance";
      readonly instanceType: string;
      /** Autoscaling floor (and the initial fleet). */
      readonly minInstances: number;
      /** Autoscaling ceiling. */
      readonly maxInstances: number;
      /** Autoscaling target: invocations per instance per minute. */
      readonly targetInvocationsPerInstance: number;
      /** Blue/green promotions with rollback on the guardrail alarms; `enabled: false` switches it off. */
      readonly blueGreen: {
        readonly enabled: boolean;
        readonly canaryPercent: number;
        readonly bakeSeconds: number;
      };
      /** Guardrail alarm thresholds. Default { errorsPerMinute: 1, latencyP99Ms: 2000 }. */
      readonly rollbackAlarms?: { readonly errorsPerMinute: number; readonly latencyP99Ms: number };
    }
);

export interface ForecastModelArgs {
  /** Region of the stack. Required. */
  readonly region: string;
  /** Stack name prefix (e.g. `warecast-dev`); the endpoint, registry and jobs are `<prefix>-forecast…`. Required. */
  readonly namePrefix: string;
  /** Stack key: training output and volumes, instance endpoint volumes, uploads. Required. */
  readonly key: Encryption;
  /** Private subnets of training jobs, instance endpoints and the functions. Required. */
  readonly network: Network;
  /** Models, checkpoints, code, decision records (Foundation.artifactsBucket). Required. */
  readonly artifactsBucket: SecureBucket;
  /** The ETL's tables: demand_daily/ (training data) and runs/ (new-data check) (Foundation.processedBucket). Required. */
  readonly processedBucket: SecureBucket;
  /** Shared function settings (Foundation.functions). Required. */
  readonly functions: FunctionSettings;
  /** Retraining. Required. */
  readonly training: TrainingOptions;
  /** Hyperparameter tuning whose best values retraining uses (components/forecast-model/tuning.ts). Required. */
  readonly tuning: TuningOptions;
  /** Metric gate. Default { metric: "wape", tolerance: 0.02 }. */
  readonly gate?: Gate;
  /** Serving: serverless (no VPC) or autoscaled instances in the VPC. Required. */
  readonly endpoint: EndpointOptions;
  /** The Python model package to train and serve. Default `<repo>/model`. */
  readonly modelSourceDir?: string;
  /** Log settings (Foundation.logs): SageMaker's own log groups get the stack's retention and key. Required. */
  readonly logs: LogSettings;
  /**
   * /aws/sagemaker/TrainingJobs is one log group per account and region, shared by every stack's training jobs:
   * `enabled: true` creates it here (the stack that owns the account's shared resources). Required.
   */
  readonly sharedTrainingLogGroup: { readonly enabled: boolean };
  /** Protect the model registry from deletion (Pulumi protect + retainOnDelete). Default false. */
  readonly protect?: boolean;
}

const PREFIX = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

/**
 * Runs once per Lambda container (inside a callbackFactory): settings from the environment, traced clients,
 * Powertools. The schema is passed as its builder because a zod instance cannot be serialized into the Lambda.
 */
function handlerDeps<S>(
  service: string,
  variable: string,
  schema: () => Pick<z.ZodType<S>, "safeParse">,
): ModelHandlerDeps<S> {
  const settings = parseSettings(schema(), variable, process.env[variable]);
  const obs = createObservability(service);
  return {
    sagemaker: obs.tracer.captureAWSv3Client(new SageMaker({})),
    s3: obs.tracer.captureAWSv3Client(new S3({})),
    settings,
    obs,
  };
}

export class ForecastModel extends pulumi.ComponentResource {
  /** Fixed per stack: IAM, policies and the predict function name it. */
  public readonly endpointName: string;
  public readonly endpoint: aws.sagemaker.Endpoint;
  public readonly modelPackageGroupName: pulumi.Output<string>;
  public readonly artifactsBucketName: pulumi.Output<string>;
  /** Training jobs are `<jobNamePrefix>-<yyyymmddhhmmss>`. */
  public readonly jobNamePrefix: string;
  public readonly executionRole: aws.iam.Role;
  public readonly retrain: PrivateFunction;
  public readonly tuning: ModelTuning;
  /** Logs one `promotion decision` line per completed training (Observability reads the gate scores from it). */
  public readonly promote: PrivateFunction;
  /** The bootstrap model's version label (every response of the bootstrap model carries it). */
  public readonly bootstrapVersion: string;

  constructor(name: string, args: ForecastModelArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:model:ForecastModel", name, {}, opts);
    const child = { parent: this };
    if (!PREFIX.test(args.namePrefix)) {
      throw new Error(
        `ForecastModel ${name}: namePrefix must be 3-30 of [a-z0-9-]; got "${args.namePrefix}"`,
      );
    }
    const t = args.training;
    if (t.spot && t.maxWaitSeconds < t.maxRuntimeSeconds) {
      throw new Error(
        `ForecastModel ${name}: training.maxWaitSeconds (${t.maxWaitSeconds}) must be ≥ maxRuntimeSeconds (${t.maxRuntimeSeconds}) with spot`,
      );
    }
    const ep = args.endpoint;
    const modelServerWorkers = ep.modelServerWorkers ?? 1;
    if (!Number.isInteger(modelServerWorkers) || modelServerWorkers < 1 || modelServerWorkers > 64) {
      throw new Error(
        `ForecastModel ${name}: endpoint.modelServerWorkers must be an integer from 1 to 64, got ${modelServerWorkers}`,
      );
    }
    if (ep.kind === "instance" && ep.minInstances > ep.maxInstances) {
      throw new Error(
        `ForecastModel ${name}: endpoint.minInstances (${ep.minInstances}) must be ≤ maxInstances`,
      );
    }
    const gate: Gate = args.gate ?? { metric: "wape", tolerance: 0.02 };
    const modelDir = args.modelSourceDir ?? path.join(__dirname, "..", "model");
    const prefix = `${args.namePrefix}-forecast`;
    if (prefix.length > MAX_PREFIX_LENGTH) throw new Error(`ForecastModel ${name}: "${prefix}" is too long`);
    this.endpointName = prefix;
    this.jobNamePrefix = prefix;
    const ctx = accountContext(this, args.region);
    const image = aws.sagemaker.getPrebuiltEcrImageOutput(
      { repositoryName: FRAMEWORK_IMAGE.repository, imageTag: FRAMEWORK_IMAGE.tag, region: args.region },
      { parent: this },
    );

    // Identity.
    this.executionRole = new aws.iam.Role(
      `${name}-sagemaker`,
      {
        description: `SageMaker execution role of ${prefix}: training jobs and the endpoint's containers`,
        assumeRolePolicy: ctx.apply((c) =>
          JSON.stringify(assumeRolePolicy("sagemaker.amazonaws.com", c.accountId)),
        ),
      },
      child,
    );
    // SageMaker cannot delete a group that holds model packages: a protected registry is retained instead
    // (docs/deploy.md, "Tearing a stack down").
    const protect = args.protect ?? false;
    const registry = new aws.sagemaker.ModelPackageGroup(
      `${name}-registry`,
      { modelPackageGroupName: prefix, modelPackageGroupDescription: `Trained forecast models of ${prefix}` },
      { parent: this, protect, retainOnDelete: protect },
    );
    // SageMaker's own log groups, made before any job or endpoint writes to them, so they get the stack's
    // retention and key instead of SageMaker's defaults (kept forever, unencrypted).
    const sageMakerLogs = [
      createLogGroup(
        `${name}-endpoint-logs`,
        { ...args.logs, logGroupName: `/aws/sagemaker/Endpoints/${prefix}` },
        child,
      ),
      ...(args.sharedTrainingLogGroup.enabled
        ? [
            createLogGroup(
              `${name}-training-logs`,
              { ...args.logs, logGroupName: "/aws/sagemaker/TrainingJobs" },
              child,
            ),
          ]
        : []),
    ];
    const iamContext = pulumi
      .all([
        ctx,
        args.key.keyArn,
        args.artifactsBucket.arn,
        args.processedBucket.arn,
        this.executionRole.arn,
        image,
      ])
      .apply(([c, keyArn, artifactsArn, processedArn, roleArn, img]) => ({
        ...c,
        keyArn,
        artifactsBucketArn: artifactsArn,
        processedBucketArn: processedArn,
        prefix,
        endpointName: prefix,
        modelPackageGroup: prefix,
        executionRoleArn: roleArn,
        imageRepositoryArn: `arn:${c.partition}:ecr:${c.region}:${img.registryId}:repository/${img.repositoryName}`,
      }));
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-sagemaker`,
      {
        role: this.executionRole.id,
        policy: iamContext.apply((c) => JSON.stringify(policyDocument(executionRoleStatements(c)))),
      },
      child,
    );
    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sagemaker`,
      {
        vpcId: args.network.vpcId,
        description: `${prefix}: training jobs and endpoint instances; HTTPS out, traffic between its own members`,
        ingress: [
          { description: "Between training instances", protocol: "-1", fromPort: 0, toPort: 0, self: true },
        ],
        egress: [
          HTTPS_TO_AWS_EGRESS,
          { description: "Between training instances", protocol: "-1", fromPort: 0, toPort: 0, self: true },
        ],
      },
      child,
    );

    // Code and the bootstrap model, written at deploy time; content-addressed keys.
    const codeHash = modelCodeHash(modelDir);
    const build = path.join(os.tmpdir(), "warecast-build", prefix);
    const { file: sourceFile, hash: sourceHash } = writeContentAddressedTarGz(
      build,
      "sourcedir",
      sourceDirEntries(modelDir, TRAINING_ENTRY_POINT, TRAINING_MODULE),
    );
    this.bootstrapVersion = bootstrapVersion(codeHash);
    const { file: bootstrapFile, hash: bootstrapHash } = writeContentAddressedTarGz(
      build,
      "bootstrap-model",
      bootstrapArtifactEntries(modelDir, this.bootstrapVersion),
    );
    const upload = (id: string, key: string, file: string) =>
      new aws.s3.BucketObjectv2(
        `${name}-${id}`,
        {
          bucket: args.artifactsBucket.name,
          key,
          source: new pulumi.asset.FileAsset(file),
          contentType: "application/gzip",
          serverSideEncryption: "aws:kms",
          kmsKeyId: args.key.keyArn,
        },
        child,
      );
    const sourceKey = `${ARTIFACT_PREFIXES.code}sourcedir-${sourceHash.slice(0, 16)}.tar.gz`;
    // Named model.tar.gz, like a training job's output: train.py finds the champion channel's file by that name.
    const bootstrapKey = `${ARTIFACT_PREFIXES.bootstrap}${bootstrapHash.slice(0, 16)}/model.tar.gz`;
    const sourceObject = upload("sourcedir", sourceKey, sourceFile);
    const bootstrapObject = upload("bootstrap-artifact", bootstrapKey, bootstrapFile);
    const s3Uri = (key: string) => pulumi.interpolate`s3://${args.artifactsBucket.name}/${key}`;

    // Serving and deployment settings, shared by Pulumi's bootstrap config and the promote function.
    const serving: pulumi.Output<Serving> = pulumi
      .all([args.network.privateSubnetIds, securityGroup.id])
      .apply(([subnetIds, sgId]): Serving =>
        ep.kind === "serverless"
          ? { kind: "serverless", memorySizeMb: ep.memorySizeMb, maxConcurrency: ep.maxConcurrency }
          : {
              kind: "instance",
              instanceType: ep.instanceType,
              minInstances: ep.minInstances,
              subnetIds,
              securityGroupIds: [sgId],
            },
      );
    const alarmSpecs =
      ep.kind === "instance" && ep.blueGreen.enabled
        ? rollbackAlarmSpecs(prefix, ep.rollbackAlarms ?? { errorsPerMinute: 1, latencyP99Ms: 2000 })
        : [];
    const deployment: Deployment = {
      blueGreen: ep.kind === "instance" && ep.blueGreen.enabled,
      canaryPercent: ep.kind === "instance" ? ep.blueGreen.canaryPercent : 100,
      waitSeconds: ep.kind === "instance" ? ep.blueGreen.bakeSeconds : 0,
      terminationWaitSeconds: ep.kind === "instance" ? ep.blueGreen.bakeSeconds : 0,
      rollbackAlarms: alarmSpecs.map((a) => a.name),
    };
    const alarms = alarmSpecs.map(
      (a) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-rollback-${a.id}`,
          {
            name: a.name,
            alarmDescription: a.description,
            namespace: "AWS/SageMaker",
            metricName: a.metricName,
            dimensions: { EndpointName: prefix, VariantName: VARIANT_NAME },
            ...(a.statistic ? { statistic: a.statistic } : { extendedStatistic: a.extendedStatistic }),
            period: 60,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: a.threshold,
            treatMissingData: "notBreaching",
          },
          child,
        ),
    );

    // The endpoint, first serving the bootstrap baseline. The bootstrap model and its endpoint config are named
    // after their content and retained on delete: a change to model/ or to serving settings makes new ones beside
    // them, and the ones the live endpoint (or a later promotion's record) names stay in SageMaker. Settings reach
    // the endpoint through the promotion path (the next promotion, or `warecast model redeploy`).
    const bootstrapSpec = pulumi
      .all([this.executionRole.arn, image.registryPath, s3Uri(bootstrapKey), serving])
      .apply(([roleArn, registryPath, modelDataUrl, s]) =>
        bootstrapModelSpec(prefix, {
          roleArn,
          image: registryPath,
          modelDataUrl,
          environment: inferenceEnvironment(
            INFERENCE_ENTRY_POINT,
            INFERENCE_CODE_DIR,
            args.region,
            modelServerWorkers,
          ),
          serving: s,
        }),
      );
    const bootstrapModel = new aws.sagemaker.Model(
      `${name}-bootstrap`,
      {
        name: bootstrapSpec.name,
        executionRoleArn: this.executionRole.arn,
        primaryContainer: bootstrapSpec.primaryContainer,
        vpcConfig: bootstrapSpec.vpcConfig,
      },
      { parent: this, dependsOn: [rolePolicy, bootstrapObject], retainOnDelete: true },
    );
    const bootstrapConfig = pulumi
      .all([serving, args.key.keyArn, bootstrapModel.name])
      .apply(([s, keyArn, model]) => bootstrapEndpointConfig(s, keyArn, model));
    const endpointConfig = new aws.sagemaker.EndpointConfiguration(
      `${name}-bootstrap`,
      {
        name: bootstrapConfig.name,
        productionVariants: bootstrapConfig.productionVariants,
        kmsKeyArn: bootstrapConfig.apply((c) => c.kmsKeyArn),
      },
      { parent: this, retainOnDelete: true },
    );
    const deploymentConfig = serving.apply((s) => endpointDeploymentConfig(s, deployment));
    this.endpoint = new aws.sagemaker.Endpoint(
      `${name}-endpoint`,
      {
        name: prefix,
        endpointConfigName: endpointConfig.name,
        deploymentConfig:
          deploymentConfig as pulumi.Output<aws.types.input.sagemaker.EndpointDeploymentConfig>,
      },
      // Promotions and pins swap the endpoint config outside Pulumi; `pulumi up` must never swap it back. The
      // provider's in-place update sends UpdateEndpoint with the config name it has in state (the bootstrap one),
      // so no input that triggers that call may change either: the deployment policy is applied by the promote
      // function on every promotion, and here it is creation-only.
      {
        parent: this,
        dependsOn: [...alarms, ...sageMakerLogs],
        ignoreChanges: ["endpointConfigName", "deploymentConfig"],
      },
    );

    if (ep.kind === "instance") {
      const target = new aws.appautoscaling.Target(
        `${name}-scaling`,
        {
          serviceNamespace: "sagemaker",
          scalableDimension: "sagemaker:variant:DesiredInstanceCount",
          resourceId: scalableResourceId(prefix),
          minCapacity: ep.minInstances,
          maxCapacity: ep.maxInstances,
        },
        { parent: this, dependsOn: [this.endpoint] },
      );
      new aws.appautoscaling.Policy(
        `${name}-scaling`,
        {
          policyType: "TargetTrackingScaling",
          serviceNamespace: target.serviceNamespace,
          scalableDimension: target.scalableDimension,
          resourceId: target.resourceId,
          targetTrackingScalingPolicyConfiguration: {
            targetValue: ep.targetInvocationsPerInstance,
            predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
            scaleInCooldown: 300,
            scaleOutCooldown: 60,
          },
        },
        child,
      );
    }

    // Retraining.
    const retrainSettings: pulumi.Output<RetrainSettings> = pulumi
      .all([
        this.executionRole.arn,
        image.registryPath,
        s3Uri(sourceKey),
        args.processedBucket.name,
        args.artifactsBucket.name,
        args.key.keyArn,
        args.network.privateSubnetIds,
        securityGroup.id,
      ])
      .apply(([roleArn, trainingImage, sourceDirUri, processed, artifacts, keyArn, subnetIds, sgId]) => ({
        jobNamePrefix: prefix,
        roleArn,
        trainingImage,
        sourceDirUri,
        entryPoint: TRAINING_ENTRY_POINT,
        hyperparameters: { ...(t.hyperparameters ?? {}) },
        instanceType: t.instanceType,
        instanceCount: t.instanceCount ?? 1,
        volumeSizeGb: t.volumeSizeGb ?? 30,
        spot: t.spot,
        maxRuntimeSeconds: t.maxRuntimeSeconds,
        maxWaitSeconds: t.maxWaitSeconds,
        processedBucket: processed,
        trainPrefix: "demand_daily/",
        runsPrefix: "runs/",
        artifactsBucket: artifacts,
        outputPrefix: ARTIFACT_PREFIXES.training,
        checkpointPrefix: ARTIFACT_PREFIXES.checkpoints,
        tunedParamsKey: TUNING_KEYS.best,
        kmsKeyArn: keyArn,
        subnetIds,
        securityGroupIds: [sgId],
        endpointName: prefix,
        region: args.region,
        metricDefinitions: metricDefinitions(),
      }));
    this.retrain = new PrivateFunction(
      `${name}-retrain`,
      {
        ...args.functions,
        description: `${prefix}: starts a spot training job when the ETL has new data (functions/retrain.ts)`,
        environment: { WARECAST_RETRAIN_SETTINGS: retrainSettings.apply((s) => JSON.stringify(s)) },
        policyStatements: iamContext.apply(retrainStatements),
        packages: ["@aws-sdk/client-sagemaker", "@aws-sdk/client-s3", "zod"],
        callbackFactory: () => {
          const deps = handlerDeps("retrain", "WARECAST_RETRAIN_SETTINGS", retrainSettingsSchema);
          return () => handleRetrain(deps);
        },
      },
      { parent: this, dependsOn: [sourceObject, ...sageMakerLogs] },
    );
    const schedule = new aws.cloudwatch.EventRule(
      `${name}-retrain-schedule`,
      { description: `${prefix}: retrain check`, scheduleExpression: t.schedule },
      child,
    );
    this.invokeOn(`${name}-retrain`, schedule, this.retrain);
    this.tuning = new ModelTuning(
      `${name}-tuning`,
      {
        namePrefix: args.namePrefix,
        training: retrainSettings,
        iam: iamContext,
        artifactsBucket: args.artifactsBucket,
        key: args.key,
        functions: args.functions,
        options: args.tuning,
      },
      { parent: this, dependsOn: [sourceObject, ...sageMakerLogs] },
    );

    // Promotion.
    const promoteSettings: pulumi.Output<PromoteSettings> = pulumi
      .all([args.artifactsBucket.name, this.executionRole.arn, image.registryPath, args.key.keyArn, serving])
      .apply(([artifacts, roleArn, inferenceImage, keyArn, s]) => ({
        jobNamePrefix: prefix,
        artifactsBucket: artifacts,
        decisionsPrefix: ARTIFACT_PREFIXES.decisions,
        modelsPrefix: ARTIFACT_PREFIXES.models,
        pinKey: `${ARTIFACT_PREFIXES.control}pin.json`,
        endpointName: prefix,
        modelPackageGroup: prefix,
        roleArn,
        inferenceImage,
        inferenceEntryPoint: INFERENCE_ENTRY_POINT,
        inferenceCodeDir: INFERENCE_CODE_DIR,
        modelServerWorkers,
        kmsKeyArn: keyArn,
        region: args.region,
        gate,
        serving: s,
        deployment,
      }));
    const promoteJson = promoteSettings.apply((s) => JSON.stringify(s));
    // The operator's CLI (warecast model pin/rollback) deploys with exactly these settings.
    new aws.s3.BucketObjectv2(
      `${name}-promote-settings`,
      {
        bucket: args.artifactsBucket.name,
        key: SETTINGS_KEY,
        content: promoteJson,
        contentType: "application/json",
        serverSideEncryption: "aws:kms",
        kmsKeyId: args.key.keyArn,
      },
      child,
    );
    this.promote = new PrivateFunction(
      `${name}-promote`,
      {
        ...args.functions,
        description: `${prefix}: metric gate, registry and blue/green deploy of completed training jobs (functions/promote.ts)`,
        environment: { WARECAST_PROMOTE_SETTINGS: promoteJson },
        policyStatements: iamContext.apply(promoteStatements),
        // tar: promote reads metrics.json out of the trained model.tar.gz.
        packages: ["@aws-sdk/client-sagemaker", "@aws-sdk/client-s3", "tar", "zod"],
        callbackFactory: () => {
          const deps = handlerDeps("promote", "WARECAST_PROMOTE_SETTINGS", promoteSettingsSchema);
          return (event: unknown) => handlePromote(event, deps);
        },
      },
      { parent: this, dependsOn: [registry] },
    );
    const completed = new aws.cloudwatch.EventRule(
      `${name}-training-completed`,
      {
        description: `${prefix}: a training job of this stack completed`,
        eventPattern: JSON.stringify({
          source: ["aws.sagemaker"],
          "detail-type": ["SageMaker Training Job State Change"],
          detail: { TrainingJobStatus: ["Completed"], TrainingJobName: [{ prefix: `${prefix}-` }] },
        }),
      },
      child,
    );
    this.invokeOn(`${name}-promote`, completed, this.promote);
    // A promotion that found the endpoint mid-update waits for its next state change (functions/promote.ts).
    const endpointChanged = new aws.cloudwatch.EventRule(
      `${name}-endpoint-changed`,
      {
        description: `${prefix}: the stack's endpoint changed state; deferred promotions are decided again`,
        eventPattern: JSON.stringify({
          source: ["aws.sagemaker"],
          "detail-type": ["SageMaker Endpoint State Change"],
          detail: { EndpointName: [this.endpointName] },
        }),
      },
      child,
    );
    this.invokeOn(`${name}-promote-deferred`, endpointChanged, this.promote);

    this.modelPackageGroupName = registry.modelPackageGroupName;
    this.artifactsBucketName = args.artifactsBucket.name;
    this.registerOutputs({
      endpointName: this.endpointName,
      modelPackageGroupName: this.modelPackageGroupName,
      artifactsBucketName: this.artifactsBucketName,
      jobNamePrefix: this.jobNamePrefix,
      bootstrapVersion: this.bootstrapVersion,
    });
  }

  /** An EventBridge rule → function target, with the permission for this rule only. */
  private invokeOn(name: string, rule: aws.cloudwatch.EventRule, fn: PrivateFunction): void {
    new aws.cloudwatch.EventTarget(name, { rule: rule.name, arn: fn.arn }, { parent: this });
    new aws.lambda.Permission(
      name,
      {
        action: "lambda:InvokeFunction",
        function: fn.functionName,
        principal: "events.amazonaws.com",
        sourceArn: rule.arn,
      },
      { parent: this },
    );
  }
}
