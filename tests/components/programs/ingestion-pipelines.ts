/** A test program: the foundation plus the two IngestionPipelines a stack has (events, served forecasts). */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../../config";
import { Foundation } from "../../../components/foundation";
import { IngestionPipeline } from "../../../components/ingestion-pipeline";
import { createAwsProvider } from "../../../components/provider";

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
const shared = {
  bucket: foundation.rawBucket,
  key: foundation.encryption,
  region: cfg.aws.region,
  logs: foundation.logs,
  buffering: { intervalSeconds: cfg.ingestion.bufferSeconds, sizeMiB: cfg.ingestion.bufferMiB },
};
const events = new IngestionPipeline(`${prefix}-ingest`, shared, opts);
const forecasts = new IngestionPipeline(
  `${prefix}-forecast-log`,
  { ...shared, purpose: "forecasts", bucketNotifications: { enabled: false } },
  opts,
);

export const eventsStream = events.streamName;
export const eventsStreamArn = events.streamArn;
export const eventsProducerPolicyArn = events.producerPolicyArn;
export const forecastsStream = forecasts.streamName;
export const rawBucketName = foundation.rawBucket.name;
