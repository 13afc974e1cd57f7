/**
 * ModelTuning: SageMaker hyperparameter tuning for the ForecastModel, feeding the same promotion gate.
 *
 * - The tune function (functions/tune.ts) starts a tuning job on its optional schedule (config switch; or when an
 *   operator runs `warecast model tune`): the trials are retraining's training job, unchanged (image, code, data,
 *   private subnets, the stack key, managed spot with checkpoints), scoring only the tuning windows.
 * - "SageMaker HyperParameter Tuning Job State Change" (Completed) → the same function writes the best trial's
 *   hyperparameters to the artifacts bucket, where the next retraining reads them; its challenger goes through
 *   the metric gate like any other. See docs/model-operations.md, "Tuning".
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RetrainSettings } from "../../functions/model/settings";
import { TUNE_SETTINGS_VARIABLE, tuneSettingsSchema } from "../../functions/model/tuning-settings";
import { handleTune, TUNING_STATE_CHANGE } from "../../functions/tune";
import type { Encryption } from "../encryption";
import type { FunctionSettings } from "../private-function";
import { PrivateFunction } from "../private-function";
import type { SecureBucket } from "../secure-bucket";
import { invokeOnEvent } from "./event-invoke";
import { modelHandlerDeps } from "./handler-deps";
import { tuneStatements, TUNING_KEYS, type ModelIamContext } from "./iam";
import { tuneSettings, tuningJobPrefix, type TuningOptions } from "./tuning-plan";

export type { TuningOptions } from "./tuning-plan";

export interface ModelTuningArgs {
  /** Stack name prefix (e.g. `warecast-prod`); tuning jobs are `<namePrefix>-tune-<yymmddhhmm>` (tuning-plan.ts). Required. */
  readonly namePrefix: string;
  /** Retraining's settings: the trials run exactly this training job. Required. */
  readonly training: pulumi.Output<RetrainSettings>;
  /** The model's IAM context (account, key, buckets, execution role). Required. */
  readonly iam: pulumi.Output<ModelIamContext>;
  /** Where results and the CLI's copy of the settings go (Foundation.artifactsBucket). Required. */
  readonly artifactsBucket: SecureBucket;
  /** Stack key for the settings object. Required. */
  readonly key: Encryption;
  /** Shared function settings (Foundation.functions). Required. */
  readonly functions: FunctionSettings;
  /** Search bounds and schedule. Required. */
  readonly options: TuningOptions;
}

export class ModelTuning extends pulumi.ComponentResource {
  /** Tuning jobs are `<tuningJobPrefix>-<yymmddhhmm>`. */
  public readonly tuningJobPrefix: string;
  public readonly tune: PrivateFunction;

  constructor(name: string, args: ModelTuningArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:model:ModelTuning", name, {}, opts);
    const child = { parent: this };
    const o = args.options;
    const prefix = tuningJobPrefix(args.namePrefix);
    if (o.maxParallelJobs > o.maxJobs) {
      throw new Error(
        `ModelTuning ${name}: maxParallelJobs (${o.maxParallelJobs}) must be ≤ maxJobs (${o.maxJobs})`,
      );
    }
    if (o.trialMaxWaitSeconds < o.trialMaxRuntimeSeconds) {
      throw new Error(
        `ModelTuning ${name}: trialMaxWaitSeconds (${o.trialMaxWaitSeconds}) must be ≥ trialMaxRuntimeSeconds (${o.trialMaxRuntimeSeconds})`,
      );
    }
    this.tuningJobPrefix = prefix;

    const settingsJson = args.training.apply((t) => JSON.stringify(tuneSettings(prefix, t, o)));
    // `warecast model tune` starts a job with exactly these settings.
    new aws.s3.BucketObjectv2(
      `${name}-settings`,
      {
        bucket: args.artifactsBucket.name,
        key: TUNING_KEYS.settings,
        content: settingsJson,
        contentType: "application/json",
        serverSideEncryption: "aws:kms",
        kmsKeyId: args.key.keyArn,
      },
      child,
    );
    this.tune = new PrivateFunction(
      `${name}-tune`,
      {
        ...args.functions,
        description: `${prefix}: starts SageMaker tuning jobs and records their best hyperparameters (functions/tune.ts)`,
        environment: { [TUNE_SETTINGS_VARIABLE]: settingsJson },
        policyStatements: args.iam.apply((c) => tuneStatements({ ...c, tuningPrefix: prefix })),
        packages: ["@aws-sdk/client-sagemaker", "@aws-sdk/client-s3", "zod"],
        callbackFactory: () => {
          const deps = modelHandlerDeps("tune", TUNE_SETTINGS_VARIABLE, tuneSettingsSchema);
          return (event: unknown) => handleTune(event, deps);
        },
      },
      child,
    );
    const completed = new aws.cloudwatch.EventRule(
      `${name}-completed`,
      {
        description: `${prefix}: a tuning job of this stack completed`,
        eventPattern: JSON.stringify({
          source: ["aws.sagemaker"],
          "detail-type": [TUNING_STATE_CHANGE],
          detail: {
            HyperParameterTuningJobStatus: ["Completed"],
            HyperParameterTuningJobName: [{ prefix: `${prefix}-` }],
          },
        }),
      },
      child,
    );
    invokeOnEvent(`${name}-completed`, completed, this.tune, child);
    if (o.schedule.enabled) {
      const schedule = new aws.cloudwatch.EventRule(
        `${name}-schedule`,
        { description: `${prefix}: scheduled tuning`, scheduleExpression: o.schedule.expression },
        child,
      );
      invokeOnEvent(`${name}-schedule`, schedule, this.tune, child);
    }
    this.registerOutputs({ tuningJobPrefix: this.tuningJobPrefix, tuneFunction: this.tune.functionName });
  }
}
