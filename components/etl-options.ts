import type { StackConfig } from "../config";
import type { EtlPipelineArgs } from "./etl-pipeline";

/** The EtlPipeline's settings from the stack config's etl section (index.ts spreads them into the args). */
export function etlPipelineOptions(
  cfg: StackConfig,
): Pick<EtlPipelineArgs, "job" | "timeZones" | "closedDays" | "stateWindowDays" | "safetyNetSchedule"> {
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
  };
}
