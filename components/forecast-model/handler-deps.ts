import { S3 } from "@aws-sdk/client-s3";
import { SageMaker } from "@aws-sdk/client-sagemaker";
import { settingsFromEnv, type SchemaOf } from "../../functions/lambda-wiring";
import type { ModelHandlerDeps } from "../../functions/model/ports";
import { createObservability } from "../../functions/powertools";

/**
 * Runs once per Lambda container (inside a callbackFactory): settings from the environment (functions/
 * lambda-wiring.ts), traced clients, Powertools. The whole SageMaker client: it serves each handler's slice
 * (SageMakerApi, SageMakerTuningApi).
 */
export function modelHandlerDeps<S>(
  service: string,
  variable: string,
  schema: SchemaOf<S>,
): Omit<ModelHandlerDeps<S>, "sagemaker"> & { readonly sagemaker: SageMaker } {
  const settings = settingsFromEnv(schema, variable);
  const obs = createObservability(service);
  return {
    sagemaker: obs.tracer.captureAWSv3Client(new SageMaker({})),
    s3: obs.tracer.captureAWSv3Client(new S3({})),
    settings,
    obs,
  };
}
