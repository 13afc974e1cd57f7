/** A test program: the foundation plus the ForecastModel, wired as index.ts wires them. */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../../config";
import { ForecastModel } from "../../../components/forecast-model";
import { forecastModelOptions } from "../../../components/forecast-model/options";
import { Foundation } from "../../../components/foundation";
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
const model = new ForecastModel(
  `${prefix}-model`,
  {
    region: cfg.aws.region,
    namePrefix: prefix,
    key: foundation.encryption,
    network: foundation.network,
    artifactsBucket: foundation.artifactsBucket,
    processedBucket: foundation.processedBucket,
    functions: foundation.functions,
    ...forecastModelOptions(cfg),
  },
  opts,
);

export const forecastEndpointName = model.endpointName;
export const modelPackageGroupName = model.modelPackageGroupName;
export const artifactsBucketName = model.artifactsBucketName;
export const processedBucketName = foundation.processedBucket.name;
export const kmsKeyArn = foundation.encryption.keyArn;
export const bootstrapVersion = model.bootstrapVersion;
