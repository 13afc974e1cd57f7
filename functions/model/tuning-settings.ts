import { z } from "zod";
import { retrainSettingsSchema } from "./settings";

/**
 * The tune function's settings (one JSON environment variable, and the same JSON in the artifacts bucket for
 * `warecast model tune`): how retraining's training job runs, which the tuning job's trials reuse unchanged, plus
 * the search and its bounds. Built by a function, as in settings.ts, because a zod instance cannot be serialized
 * into the Lambda.
 */

/** The tune function's one settings variable (functions/lambda-wiring.ts). */
export const TUNE_SETTINGS_VARIABLE = "WARECAST_TUNE_SETTINGS";

/** Where the stack keeps a copy of the tune function's settings in its artifacts bucket, for `warecast model tune`. */
export const TUNE_SETTINGS_KEY = "control/tune-settings.json";

/** Tuning job names are `<prefix>-<yymmddhhmm>` and SageMaker allows at most 32 characters. */
export const MAX_TUNING_PREFIX_LENGTH = 21;

const tuneSchema = () =>
  retrainSettingsSchema()
    .pick({
      roleArn: true,
      trainingImage: true,
      sourceDirUri: true,
      entryPoint: true,
      hyperparameters: true,
      instanceType: true,
      instanceCount: true,
      volumeSizeGb: true,
      spot: true,
      maxRuntimeSeconds: true,
      maxWaitSeconds: true,
      processedBucket: true,
      trainPrefix: true,
      artifactsBucket: true,
      kmsKeyArn: true,
      subnetIds: true,
      securityGroupIds: true,
      region: true,
      metricDefinitions: true,
    })
    .extend({
      /**
       * Not the training-job prefix: a trial is named `<tuning job>-<nnn>-<hash>` by SageMaker, and the promote rule
       * and retraining's job listing must not take trials for retrained challengers.
       */
      tuningJobPrefix: z
        .string()
        .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, "letters, digits and single hyphens")
        .max(MAX_TUNING_PREFIX_LENGTH),
      /** Trial output goes under `s3://<artifacts>/<outputPrefix>`. */
      outputPrefix: z.string(),
      /** Trial checkpoints go under `s3://<artifacts>/<checkpointPrefix><tuning job>/`. */
      checkpointPrefix: z.string(),
      /** The best hyperparameters of the newest completed tuning job; retraining reads them from here. */
      tunedParamsKey: z.string().min(1),
      /** Every completed tuning job's document: `<resultsPrefix><tuning job>.json`. */
      resultsPrefix: z.string(),
      /** Searched hyperparameters and their values (model/search_space.json). */
      searchSpace: z.record(
        z.string(),
        z
          .array(z.union([z.string(), z.number()]))
          .min(1)
          .max(30),
      ),
      /** The objective: a metric of `metricDefinitions` the trials print on the tuning windows. */
      objective: z.object({ metric: z.string().min(1), type: z.enum(["Minimize", "Maximize"]) }),
      /** Windows each trial scores, before the evaluation windows (train.py's `tuning_origins`). */
      tuningOrigins: z.number().int().min(1).max(12),
      strategy: z.enum(["Bayesian", "Random"]),
      /** Trials in all, and at once. */
      maxJobs: z.number().int().min(1).max(500),
      maxParallelJobs: z.number().int().min(1).max(100),
      /** The whole tuning job's run-time limit (ResourceLimits.MaxRuntimeInSeconds). */
      maxTuningRuntimeSeconds: z.number().int().min(120).max(2592000),
    });
export type TuneSettings = z.infer<ReturnType<typeof tuneSchema>>;

export const tuneSettingsSchema = tuneSchema;
/** `safeParse` of the tune settings (the policy pack checks the function's settings with it). */
export const TuneSettingsSchema = {
  safeParse: (value: unknown) => tuneSchema().safeParse(value),
};
