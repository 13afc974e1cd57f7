import type { StackConfig } from "../../config";
import type { EndpointOptions, ForecastModelArgs, TrainingOptions } from "../forecast-model";
import type { Foundation } from "../foundation";
import type { TuningOptions } from "./tuning";
import type { Gate } from "../../functions/model/settings";

/** ForecastModel's arguments: the Foundation's key, network, buckets and function settings, plus the options below. */
export function forecastModelArgs(
  cfg: StackConfig,
  namePrefix: string,
  foundation: Foundation,
): ForecastModelArgs {
  return {
    region: cfg.aws.region,
    namePrefix,
    key: foundation.encryption,
    network: foundation.network,
    artifactsBucket: foundation.artifactsBucket,
    processedBucket: foundation.processedBucket,
    functions: foundation.functions,
    logs: foundation.logs,
    sharedTrainingLogGroup: { enabled: cfg.account.sharedResources },
    protect: cfg.storage.protect,
    ...forecastModelOptions(cfg),
  };
}

/**
 * ForecastModel's options from the stack config (the model and endpoint sections). Stacks differ by these
 * values only: dev is serverless without blue/green, prod runs autoscaled instances with blue/green.
 */
export function forecastModelOptions(cfg: Pick<StackConfig, "model" | "endpoint" | "tuning">): {
  training: TrainingOptions;
  tuning: TuningOptions;
  gate: Gate;
  endpoint: EndpointOptions;
} {
  const m = cfg.model;
  const e = cfg.endpoint;
  const t = cfg.tuning;
  return {
    tuning: {
      schedule: { enabled: t.scheduleEnabled, expression: t.schedule },
      maxJobs: t.maxJobs,
      maxParallelJobs: t.maxParallelJobs,
      trialMaxRuntimeSeconds: t.trialMaxRuntimeSeconds,
      trialMaxWaitSeconds: t.trialMaxWaitSeconds,
      maxRuntimeSeconds: t.maxRuntimeSeconds,
      tuningOrigins: t.origins,
      strategy: t.strategy,
    },
    training: {
      schedule: m.retrainSchedule,
      instanceType: m.trainingInstanceType,
      spot: m.spot,
      maxRuntimeSeconds: m.maxRuntimeSeconds,
      maxWaitSeconds: m.maxWaitSeconds,
      hyperparameters: { freq: m.frequency, horizon: String(m.horizon), ...m.hyperparameters },
    },
    gate: { metric: "wape", tolerance: m.promotionTolerance },
    endpoint:
      e.mode === "serverless"
        ? {
            kind: "serverless",
            memorySizeMb: e.serverlessMemoryMiB,
            maxConcurrency: e.serverlessMaxConcurrency,
            modelServerWorkers: e.modelServerWorkers,
          }
        : {
            kind: "instance",
            modelServerWorkers: e.modelServerWorkers,
            instanceType: e.instanceType,
            minInstances: e.minInstances,
            maxInstances: e.maxInstances,
            targetInvocationsPerInstance: e.targetInvocationsPerInstance,
            blueGreen: { enabled: e.blueGreen, canaryPercent: e.canaryPercent, bakeSeconds: e.bakeSeconds },
          },
  };
}
