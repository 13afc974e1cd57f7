/** A test program: the foundation, the events IngestionPipeline and the EtlPipeline, from the stack config. */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../../config";
import { EtlPipeline } from "../../../components/etl-pipeline";
import { Foundation } from "../../../components/foundation";
import { IngestionPipeline } from "../../../components/ingestion-pipeline";
import { createAwsProvider } from "../../../components/provider";
import { etlPipelineOptions } from "../../../components/etl-options";

const cfg = loadStackConfig();
const provider = createAwsProvider("warecast-aws", cfg);
const opts: pulumi.ComponentResourceOptions = { providers: { aws: provider } };
const prefix = `warecast-${cfg.tags.environment}`;
const foundation = new Foundation(
  prefix,
  {
    region: cfg.aws.region,
    namePrefix: prefix,
    network: cfg.network,
    storage: cfg.storage,
    logRetentionDays: cfg.observability.logRetentionDays,
    functions: cfg.lambda,
  },
  opts,
);
const ingestion = new IngestionPipeline(
  `${prefix}-ingest`,
  {
    bucket: foundation.rawBucket,
    key: foundation.encryption,
    region: cfg.aws.region,
    logs: foundation.logs,
    buffering: { intervalSeconds: cfg.ingestion.bufferSeconds, sizeMiB: cfg.ingestion.bufferMiB },
  },
  opts,
);
const etl = new EtlPipeline(
  `${prefix}-etl`,
  {
    namePrefix: prefix,
    region: cfg.aws.region,
    key: foundation.encryption,
    rawBucket: foundation.rawBucket,
    ingestion,
    processedBucket: foundation.processedBucket,
    codeBucket: foundation.artifactsBucket,
    functions: foundation.functions,
    ...etlPipelineOptions(cfg),
  },
  opts,
);

export const etlJobName = etl.jobName;
export const etlDatabaseName = etl.databaseName;
