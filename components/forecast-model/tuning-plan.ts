import { createHash } from "node:crypto";
import type { RetrainSettings } from "../../functions/model/settings";
import { MAX_TUNING_PREFIX_LENGTH, type TuneSettings } from "../../functions/model/tuning-settings";
import { TUNING_KEYS } from "./iam";
import { SEARCH_SPACE, TUNING_OBJECTIVE, tuningMetricDefinitions } from "./training";

/** ModelTuning's options (from the stack's tuning* config) and the tune function's settings derived from them. */

export interface TuningOptions {
  /** Start a tuning job on a schedule; `enabled: false` leaves only `warecast model tune`. Required. */
  readonly schedule: { readonly enabled: boolean; readonly expression: string };
  /** Trials in all. Required. */
  readonly maxJobs: number;
  /** Trials at once. Required. */
  readonly maxParallelJobs: number;
  /** One trial's stopping condition: maximum run time. Required. */
  readonly trialMaxRuntimeSeconds: number;
  /** One trial's maximum wait including spot interruptions (≥ trialMaxRuntimeSeconds). Required. */
  readonly trialMaxWaitSeconds: number;
  /** The whole tuning job's run-time limit. Required. */
  readonly maxRuntimeSeconds: number;
  /** Windows each trial scores, before the evaluation windows. Required. */
  readonly tuningOrigins: number;
  /** SageMaker's search strategy. Required. */
  readonly strategy: "Bayesian" | "Random";
}

/**
 * Tuning jobs' name prefix: `<namePrefix>-tune`, or, when that is too long for SageMaker's 32-character tuning job
 * names, the first 15 characters of namePrefix and a hash of all of it (stable per stack, distinct between stacks).
 * Never `<namePrefix>-forecast…`: trials must not look like retrained challengers to the promote rule.
 */
export function tuningJobPrefix(namePrefix: string): string {
  const plain = `${namePrefix}-tune`;
  if (plain.length <= MAX_TUNING_PREFIX_LENGTH) return plain;
  const hash = createHash("sha256").update(namePrefix).digest("hex").slice(0, 5);
  return `${namePrefix.slice(0, 15).replace(/-+$/, "")}-${hash}`;
}

/** Pure: the tune function's settings from retraining's and the tuning options. */
export function tuneSettings(prefix: string, t: RetrainSettings, o: TuningOptions): TuneSettings {
  return {
    tuningJobPrefix: prefix,
    roleArn: t.roleArn,
    trainingImage: t.trainingImage,
    sourceDirUri: t.sourceDirUri,
    entryPoint: t.entryPoint,
    hyperparameters: t.hyperparameters,
    instanceType: t.instanceType,
    instanceCount: t.instanceCount,
    volumeSizeGb: t.volumeSizeGb,
    spot: t.spot,
    maxRuntimeSeconds: o.trialMaxRuntimeSeconds,
    maxWaitSeconds: o.trialMaxWaitSeconds,
    processedBucket: t.processedBucket,
    trainPrefix: t.trainPrefix,
    artifactsBucket: t.artifactsBucket,
    outputPrefix: TUNING_KEYS.trialOutput,
    checkpointPrefix: t.checkpointPrefix,
    tunedParamsKey: t.tunedParamsKey,
    resultsPrefix: TUNING_KEYS.results,
    kmsKeyArn: t.kmsKeyArn,
    subnetIds: t.subnetIds,
    securityGroupIds: t.securityGroupIds,
    region: t.region,
    metricDefinitions: tuningMetricDefinitions(),
    searchSpace: { ...SEARCH_SPACE } as Record<string, number[]>,
    objective: TUNING_OBJECTIVE,
    tuningOrigins: o.tuningOrigins,
    strategy: o.strategy,
    maxJobs: o.maxJobs,
    maxParallelJobs: o.maxParallelJobs,
    maxTuningRuntimeSeconds: o.maxRuntimeSeconds,
  };
}
