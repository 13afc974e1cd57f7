/**
 * Warecast stack: reads the stack config (validated before any resource is declared), creates the tagged AWS
 * provider, composes the components and exports the stack outputs.
 *
 * Every component gets `opts` (the tagged provider): its children inherit it, so every resource carries the
 * default tags. Components take what they need from `foundation` (key, network, buckets, log and function
 * settings) and from their own config section.
 */
import { loadStackConfig } from "./config";
import { AuditTrail } from "./components/audit-trail";
import { etlPipelineArgs } from "./components/etl-options";
import { EtlPipeline } from "./components/etl-pipeline";
import { ForecastModel } from "./components/forecast-model";
import { forecastModelArgs } from "./components/forecast-model/options";
import { IngestionPipeline } from "./components/ingestion-pipeline";
import { forecastLogArgs, ingestionPipelineArgs } from "./components/ingestion-options";
import { PredictionApi } from "./components/prediction-api";
import { predictionApiArgs } from "./components/prediction-api-options";
import { Observability } from "./components/observability";
import { TAG_KEYS } from "./components/provider";
import { createStackBase } from "./components/stack-base";
import { VARIANT_NAME } from "./functions/model/endpoint-config";

const cfg = loadStackConfig();
// The tagged provider (every resource goes through it via `opts`) and the Foundation: key, network, buckets.
const { namePrefix, opts, foundation } = createStackBase(cfg);

// Warehouse events: Firehose → raw bucket events/dt=…/ (owns the raw bucket's EventBridge notifications).
const ingestion = new IngestionPipeline(`${namePrefix}-ingest`, ingestionPipelineArgs(cfg, foundation), opts);

// ETL: raw events → processed tables on Glue, started by the trigger λ when events land.
const etl = new EtlPipeline(
  `${namePrefix}-etl`,
  etlPipelineArgs(cfg, namePrefix, foundation, ingestion),
  opts,
);

// Audit: a multi-region trail into its own bucket; object-level S3 events on the data buckets when config says so.
const audit = new AuditTrail(
  `${namePrefix}-audit`,
  {
    key: foundation.encryption,
    buckets: foundation.buckets,
    trailName: `${namePrefix}-audit`,
    retentionDays: cfg.observability.auditRetentionDays,
    s3DataEvents: cfg.observability.cloudTrailS3DataEvents
      ? {
          enabled: true,
          buckets: [foundation.rawBucket, foundation.processedBucket, foundation.artifactsBucket],
        }
      : { enabled: false },
  },
  opts,
);

// The model: retraining on SageMaker spot, metric-gated promotion, and the endpoint (bootstrap model on day one).
const model = new ForecastModel(`${namePrefix}-model`, forecastModelArgs(cfg, namePrefix, foundation), opts);

// Served forecasts: a second stream into the raw bucket under forecasts/ (joined with actuals for accuracy).
const forecastLog = new IngestionPipeline(
  `${namePrefix}-forecast-log`,
  forecastLogArgs(cfg, foundation),
  opts,
);

// The public API (api/openapi.yaml): keys and usage plan per stack, predict λ on the model's endpoint.
const api = new PredictionApi(
  `${namePrefix}-api`,
  predictionApiArgs(cfg, foundation, { name: model.endpointName, arn: model.endpoint.arn }, forecastLog),
  opts,
);

// Observability: alarms on every failure mode to one KMS topic, the dashboard, metric filters on the components' own
// log groups (it creates none), and the monthly cost budget. Runbook: docs/operations.md.
const observability = new Observability(
  `${namePrefix}-observability`,
  {
    key: foundation.encryption,
    region: cfg.aws.region,
    namePrefix,
    alarmEmails: cfg.observability.alarmEmails,
    thresholds: { wape: cfg.observability.wapeThreshold, bias: cfg.observability.biasThreshold },
    ingest: { events: ingestion.stream, forecastLog: forecastLog.stream },
    etl: { job: etl.job },
    training: { jobNamePrefix: model.jobNamePrefix, decisionLogGroup: model.promote.logGroup },
    endpoint: { name: model.endpointName, variantName: VARIANT_NAME },
    api: { name: api.restApi.name, stageName: api.stage.stageName },
    functions: {
      "glue-trigger": etl.trigger,
      retrain: model.retrain,
      promote: model.promote,
      tune: model.tuning.tune,
      predict: api.predict,
      "forecast-jobs-worker": api.jobWorker,
    },
    budget: {
      monthlyLimitUsd: cfg.observability.monthlyBudgetUsd,
      costTag: { key: TAG_KEYS.environment, value: cfg.tags.environment },
    },
  },
  opts,
);

export const region = cfg.aws.region;
export const environment = cfg.tags.environment;
export const kmsKeyArn = foundation.encryption.keyArn;
export const vpcId = foundation.network.vpcId;
export const privateSubnetIds = foundation.network.privateSubnetIds;
export const rawBucketName = foundation.rawBucket.name;
export const processedBucketName = foundation.processedBucket.name;
export const artifactsBucketName = foundation.artifactsBucket.name;
export const accessLogBucketName = foundation.accessLogBucket?.name;
export const ingestStreamName = ingestion.streamName;
export const ingestProducerPolicyArn = ingestion.producerPolicyArn;
export const etlJobName = etl.jobName;
export const etlDatabaseName = etl.databaseName;
export const etlTriggerFunctionName = etl.trigger.functionName;
export const auditTrailArn = audit.trailArn;
export const auditBucketName = audit.bucket.name;
export const forecastEndpointName = model.endpointName;
export const modelPackageGroupName = model.modelPackageGroupName;
export const modelBootstrapVersion = model.bootstrapVersion;
export const forecastLogStreamName = forecastLog.streamName;
export const apiUrl = api.url;
export const apiKeyId = api.apiKeyId;
export const alarmTopicArn = observability.topicArn;
export const alarmNames = observability.alarmNames;
export const dashboardName = observability.dashboardName;
