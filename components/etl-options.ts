import type { StackConfig } from "../config";
import type { EtlPipelineArgs } from "./etl-pipeline";
import type { Foundation } from "./foundation";
import type { IngestionPipeline } from "./ingestion-pipeline";

/** EtlPipeline arguments: the Foundation's key, buckets and function settings, the events stream, and the etl section. */
export function etlPipelineArgs(
  cfg: StackConfig,
  namePrefix: string,
  foundation: Foundation,
  ingestion: IngestionPipeline,
): EtlPipelineArgs {
  return {
    namePrefix,
    region: cfg.aws.region,
    key: foundation.encryption,
    rawBucket: foundation.rawBucket,
    ingestion,
    processedBucket: foundation.processedBucket,
    codeBucket: foundation.artifactsBucket,
    functions: foundation.functions,
    protect: cfg.storage.protect,
    ...etlPipelineOptions(cfg),
  };
}

/** The EtlPipeline's settings from the stack config's etl section. */
export function etlPipelineOptions(
  cfg: StackConfig,
): Pick<
  EtlPipelineArgs,
  "job" | "timeZones" | "closedDays" | "stateWindowDays" | "safetyNetSchedule" | "minIntervalMinutes"
> {
  const etl = cfg.etl;
  return {
    job: {
      workerType: etl.workerType,
      maxWorkers: etl.maxWorkers,
      autoScaling: etl.autoScaling,
      timeoutMinutes: etl.timeoutMinutes,
    },
    timeZones: { default: etl.defaultTimeZone, byWarehouse: etl.warehouseTimeZones },
    closedDays: etl.closedDays,
    stateWindowDays: etl.stateWindowDays,
    safetyNetSchedule: etl.safetyNetSchedule,
    minIntervalMinutes: etl.minIntervalMinutes,
  };
}
