/** A test program: the foundation, the served-forecast stream and the PredictionApi, as index.ts wires them. */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../../config";
import { IngestionPipeline } from "../../../components/ingestion-pipeline";
import { ingestionPipelineArgs } from "../../../components/ingestion-options";
import { PredictionApi } from "../../../components/prediction-api";
import { createStackBase } from "../../../components/stack-base";

const cfg = loadStackConfig();
const { namePrefix: prefix, opts, foundation } = createStackBase(cfg);
const forecastLog = new IngestionPipeline(
  `${prefix}-forecast-log`,
  {
    ...ingestionPipelineArgs(cfg, foundation),
    purpose: "forecasts",
    bucketNotifications: { enabled: false },
  },
  opts,
);
// The ForecastModel's endpoint, as typed outputs (its component is tested on its own).
const endpointName = `${prefix}-forecast`;
const api = new PredictionApi(
  `${prefix}-api`,
  {
    functions: foundation.functions,
    logs: foundation.logs,
    buckets: foundation.buckets,
    key: foundation.encryption,
    region: cfg.aws.region,
    endpoint: {
      name: endpointName,
      arn: pulumi.output(`arn:aws:sagemaker:${cfg.aws.region}:123456789012:endpoint/${endpointName}`),
    },
    processedBucket: foundation.processedBucket,
    forecastLog,
    usage: { rateLimit: cfg.api.rateLimit, burstLimit: cfg.api.burstLimit, dailyQuota: cfg.api.dailyQuota },
    maxSeriesPerRequest: cfg.api.maxSeriesPerRequest,
    reservedConcurrency: cfg.api.reservedConcurrency,
  },
  opts,
);

export const apiUrl = api.url;
