/** IngestionPipeline arguments from the stack config and the Foundation: the same for every stream of a stack. */
import type { StackConfig } from "../config";
import type { Foundation } from "./foundation";
import type { IngestionPipelineArgs } from "./ingestion-pipeline";

export function ingestionPipelineArgs(cfg: StackConfig, foundation: Foundation): IngestionPipelineArgs {
  return {
    bucket: foundation.rawBucket,
    key: foundation.encryption,
    region: cfg.aws.region,
    logs: foundation.logs,
    buffering: { intervalSeconds: cfg.ingestion.bufferSeconds, sizeMiB: cfg.ingestion.bufferMiB },
  };
}

/** The served-forecast stream: forecasts/ in the raw bucket, without the bucket notifications the events stream owns. */
export function forecastLogArgs(cfg: StackConfig, foundation: Foundation): IngestionPipelineArgs {
  return {
    ...ingestionPipelineArgs(cfg, foundation),
    purpose: "forecasts",
    bucketNotifications: { enabled: false },
  };
}
