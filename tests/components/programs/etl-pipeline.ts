/** A test program: the foundation, the events IngestionPipeline and the EtlPipeline, from the stack config. */
import { loadStackConfig } from "../../../config";
import { EtlPipeline } from "../../../components/etl-pipeline";
import { IngestionPipeline } from "../../../components/ingestion-pipeline";
import { ingestionPipelineArgs } from "../../../components/ingestion-options";
import { createStackBase } from "../../../components/stack-base";
import { etlPipelineArgs } from "../../../components/etl-options";

const cfg = loadStackConfig();
const { namePrefix: prefix, opts, foundation } = createStackBase(cfg);
const ingestion = new IngestionPipeline(`${prefix}-ingest`, ingestionPipelineArgs(cfg, foundation), opts);
const etl = new EtlPipeline(`${prefix}-etl`, etlPipelineArgs(cfg, prefix, foundation, ingestion), opts);

export const etlJobName = etl.jobName;
export const etlDatabaseName = etl.databaseName;
