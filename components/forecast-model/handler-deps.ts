import { S3 } from "@aws-sdk/client-s3";
import { SageMaker } from "@aws-sdk/client-sagemaker";
import type { z } from "zod";
import type { ModelHandlerDeps } from "../../functions/model/ports";
import { parseSettings } from "../../functions/model/settings";
import { createObservability } from "../../functions/powertools";

/**
 * Runs once per Lambda container (inside a callbackFactory): settings from the environment, traced clients,
 * Powertools. The schema is passed as its builder because a zod instance cannot be serialized into the Lambda.
 * The whole SageMaker client: it serves each handler's slice (SageMakerApi, SageMakerTuningApi).
 */
export function modelHandlerDeps<S>(
  service: string,
  variable: string,
  schema: () => Pick<z.ZodType<S>, "safeParse">,
): Omit<ModelHandlerDeps<S>, "sagemaker"> & { readonly sagemaker: SageMaker } {
  const settings = parseSettings(schema(), variable, process.env[variable]);
  const obs = createObservability(service);
  return {
    sagemaker: obs.tracer.captureAWSv3Client(new SageMaker({})),
    s3: obs.tracer.captureAWSv3Client(new S3({})),
    settings,
    obs,
  };
}
