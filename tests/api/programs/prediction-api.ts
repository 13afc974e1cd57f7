/** A test program: the foundation, the served-forecast stream and the PredictionApi, as index.ts wires them. */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../../config";
import { IngestionPipeline } from "../../../components/ingestion-pipeline";
import { forecastLogArgs } from "../../../components/ingestion-options";
import { PredictionApi } from "../../../components/prediction-api";
import { predictionApiArgs } from "../../../components/prediction-api-options";
import { createStackBase } from "../../../components/stack-base";

const cfg = loadStackConfig();
const { namePrefix: prefix, opts, foundation } = createStackBase(cfg);
const forecastLog = new IngestionPipeline(`${prefix}-forecast-log`, forecastLogArgs(cfg, foundation), opts);
// The ForecastModel's endpoint, as typed outputs (its component is tested on its own).
const endpointName = `${prefix}-forecast`;
const endpoint = {
  name: endpointName,
  arn: pulumi.output(`arn:aws:sagemaker:${cfg.aws.region}:123456789012:endpoint/${endpointName}`),
};
const api = new PredictionApi(
  `${prefix}-api`,
  predictionApiArgs(cfg, foundation, endpoint, forecastLog),
  opts,
);

export const apiUrl = api.url;
