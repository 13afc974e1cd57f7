/** PredictionApi arguments from the stack config and the Foundation, for the model endpoint and forecast stream given. */
import type { StackConfig } from "../config";
import { ARTIFACT_PREFIXES } from "./forecast-model/iam";
import type { Foundation } from "./foundation";
import type { IngestionPipeline } from "./ingestion-pipeline";
import type { PredictionApiArgs } from "./prediction-api";

export function predictionApiArgs(
  cfg: StackConfig,
  foundation: Foundation,
  endpoint: PredictionApiArgs["endpoint"],
  forecastLog: IngestionPipeline,
): PredictionApiArgs {
  return {
    functions: foundation.functions,
    logs: foundation.logs,
    buckets: foundation.buckets,
    key: foundation.encryption,
    region: cfg.aws.region,
    endpoint,
    processedBucket: foundation.processedBucket,
    modelMetrics: { bucket: foundation.artifactsBucket, prefix: ARTIFACT_PREFIXES.models },
    forecastLog,
    usage: { rateLimit: cfg.api.rateLimit, burstLimit: cfg.api.burstLimit, dailyQuota: cfg.api.dailyQuota },
    maxSeriesPerRequest: cfg.api.maxSeriesPerRequest,
    reservedConcurrency: cfg.api.reservedConcurrency,
    accountLogging: { owner: cfg.account.sharedResources },
  };
}
