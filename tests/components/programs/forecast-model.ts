/** A test program: the foundation plus the ForecastModel, wired as index.ts wires them. */
import { loadStackConfig } from "../../../config";
import { ForecastModel } from "../../../components/forecast-model";
import { forecastModelArgs } from "../../../components/forecast-model/options";
import { createStackBase } from "../../../components/stack-base";

const cfg = loadStackConfig();
const { namePrefix: prefix, opts, foundation } = createStackBase(cfg);
const model = new ForecastModel(`${prefix}-model`, forecastModelArgs(cfg, prefix, foundation), opts);

export const forecastEndpointName = model.endpointName;
export const modelPackageGroupName = model.modelPackageGroupName;
export const artifactsBucketName = model.artifactsBucketName;
export const processedBucketName = foundation.processedBucket.name;
export const kmsKeyArn = foundation.encryption.keyArn;
export const bootstrapVersion = model.bootstrapVersion;
