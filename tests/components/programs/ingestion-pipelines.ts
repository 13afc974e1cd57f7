/** A test program: the foundation plus the two IngestionPipelines a stack has (events, served forecasts). */
import { loadStackConfig } from "../../../config";
import { IngestionPipeline } from "../../../components/ingestion-pipeline";
import { forecastLogArgs, ingestionPipelineArgs } from "../../../components/ingestion-options";
import { createStackBase } from "../../../components/stack-base";

const cfg = loadStackConfig();
const { namePrefix: prefix, opts, foundation } = createStackBase(cfg);
const events = new IngestionPipeline(`${prefix}-ingest`, ingestionPipelineArgs(cfg, foundation), opts);
const forecasts = new IngestionPipeline(`${prefix}-forecast-log`, forecastLogArgs(cfg, foundation), opts);

export const eventsStream = events.streamName;
export const eventsStreamArn = events.streamArn;
export const eventsProducerPolicyArn = events.producerPolicyArn;
export const forecastsStream = forecasts.streamName;
export const rawBucketName = foundation.rawBucket.name;
