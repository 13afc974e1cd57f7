/**
 * Retraining: an EventBridge schedule → the retrain function (functions/retrain.ts), which starts a managed-spot
 * training job with checkpoints, VPC and KMS only when the ETL wrote data the last training did not see.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { retrainSettingsSchema, type RetrainSettings } from "../../functions/model/settings";
import { handleRetrain } from "../../functions/retrain";
import type { Encryption } from "../encryption";
import type { Network } from "../network";
import type { PolicyStatement } from "../policy-documents";
import { PrivateFunction, type FunctionSettings } from "../private-function";
import type { SecureBucket } from "../secure-bucket";
import { invokeOnEvent } from "./event-invoke";
import { modelHandlerDeps } from "./handler-deps";
import { ARTIFACT_PREFIXES, TUNING_KEYS } from "./iam";
import { movedChild } from "./moved";
import { TRAINING_ENTRY_POINT, metricDefinitions } from "./training";

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

export interface RetrainingArgs {
  /** Region of the stack. Required. */
  readonly region: string;
  /** Training jobs are `<jobNamePrefix>-<yyyymmddhhmmss>`. Required. */
  readonly jobNamePrefix: string;
  /** The endpoint whose model is the champion each training starts from. Required. */
  readonly endpointName: string;
  /** When and how to train. Required. */
  readonly training: TrainingOptions;
  /** Shared function settings (Foundation.functions). Required. */
  readonly functions: FunctionSettings;
  /** The role training jobs run as. Required. */
  readonly executionRoleArn: pulumi.Input<string>;
  /** The framework image (registry path) training runs in. Required. */
  readonly image: pulumi.Input<string>;
  /** The uploaded sourcedir.tar.gz (model/ packaged at deploy time). Required. */
  readonly sourceDir: aws.s3.BucketObjectv2;
  /** The ETL's tables: demand_daily/ (training data) and runs/ (new-data check). Required. */
  readonly processedBucket: SecureBucket;
  /** Training output and spot checkpoints. Required. */
  readonly artifactsBucket: SecureBucket;
  /** Stack key: training output and volumes. Required. */
  readonly key: Encryption;
  /** Private subnets of training jobs. Required. */
  readonly network: Network;
  /** Security group of training jobs. Required. */
  readonly securityGroupId: pulumi.Input<string>;
  /** What the retrain function may call (components/forecast-model/iam.ts). Required. */
  readonly policyStatements: pulumi.Input<pulumi.Input<PolicyStatement>[]>;
  /** SageMaker's log groups: no training job starts before they exist. Required. */
  readonly logGroups: readonly aws.cloudwatch.LogGroup[];
}

export class Retraining extends pulumi.ComponentResource {
  public readonly function: PrivateFunction;
  /** The retrain function's settings: tuning trials run exactly this training job (forecast-model/tuning.ts). */
  public readonly settings: pulumi.Output<RetrainSettings>;

  /** `name` is the ForecastModel's, for the reason ModelEndpoint gives. */
  constructor(name: string, args: RetrainingArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:model:Retraining", name, {}, opts);
    const t = args.training;
    if (t.spot && t.maxWaitSeconds < t.maxRuntimeSeconds) {
      throw new Error(
        `Retraining ${name}: training.maxWaitSeconds (${t.maxWaitSeconds}) must be ≥ maxRuntimeSeconds (${t.maxRuntimeSeconds}) with spot`,
      );
    }
    const instanceCount = t.instanceCount ?? 1;
    const volumeSizeGb = t.volumeSizeGb ?? 30;
    const hyperparameters = { ...(t.hyperparameters ?? {}) };
    const prefix = args.jobNamePrefix;
    const child = movedChild(this, opts.parent);

    this.settings = pulumi
      .all([
        args.executionRoleArn,
        args.image,
        pulumi.interpolate`s3://${args.sourceDir.bucket}/${args.sourceDir.key}`,
        args.processedBucket.name,
        args.artifactsBucket.name,
        args.key.keyArn,
        args.network.privateSubnetIds,
        args.securityGroupId,
      ])
      .apply(([roleArn, trainingImage, sourceDirUri, processed, artifacts, keyArn, subnetIds, sgId]) => ({
        jobNamePrefix: prefix,
        roleArn,
        trainingImage,
        sourceDirUri,
        entryPoint: TRAINING_ENTRY_POINT,
        hyperparameters,
        instanceType: t.instanceType,
        instanceCount,
        volumeSizeGb,
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
        endpointName: args.endpointName,
        region: args.region,
        metricDefinitions: metricDefinitions(),
      }));
    this.function = new PrivateFunction(
      `${name}-retrain`,
      {
        ...args.functions,
        description: `${prefix}: starts a spot training job when the ETL has new data (functions/retrain.ts)`,
        environment: { WARECAST_RETRAIN_SETTINGS: this.settings.apply((s) => JSON.stringify(s)) },
        policyStatements: args.policyStatements,
        packages: ["@aws-sdk/client-sagemaker", "@aws-sdk/client-s3", "zod"],
        callbackFactory: () => {
          const deps = modelHandlerDeps("retrain", "WARECAST_RETRAIN_SETTINGS", retrainSettingsSchema);
          return () => handleRetrain(deps);
        },
      },
      { ...child, dependsOn: [args.sourceDir, ...args.logGroups] },
    );
    const schedule = new aws.cloudwatch.EventRule(
      `${name}-retrain-schedule`,
      { description: `${prefix}: retrain check`, scheduleExpression: t.schedule },
      child,
    );
    invokeOnEvent(`${name}-retrain`, schedule, this.function, child);
    this.registerOutputs({ functionName: this.function.functionName });
  }
}
