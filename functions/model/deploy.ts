import type { CreateModelCommandInput } from "@aws-sdk/client-sagemaker";
import { currentChampion } from "./champion";
import { buildEndpointConfig, buildUpdateEndpoint } from "./endpoint-config";
import { errorName, type SageMakerApi } from "./ports";
import type { Deployment, Serving } from "./settings";

/**
 * Deploying a model version to the stack's endpoint: create the Model, create an EndpointConfig, UpdateEndpoint.
 * Promotion and the operator's pin/rollback share this, and every step is safe to repeat.
 */

export interface ModelSpec {
  readonly modelName: string;
  readonly image: string;
  readonly modelDataUrl: string;
  /** Container environment: SAGEMAKER_PROGRAM / SAGEMAKER_SUBMIT_DIRECTORY point at the artifact's own code. */
  readonly environment: Record<string, string>;
}

export interface DeployTarget {
  readonly endpointName: string;
  readonly roleArn: string;
  readonly kmsKeyArn: string;
  readonly serving: Serving;
  readonly deployment: Deployment;
}

export type DeployResult =
  | { readonly action: "updating"; readonly endpointConfig: string; readonly blueGreen: boolean }
  | { readonly action: "already-serving" | "already-rolling-out"; readonly endpointConfig: string };

/**
 * Script-mode inference environment of the framework container. Its model server is gunicorn with
 * `SAGEMAKER_MODEL_SERVER_WORKERS` worker processes (one request at a time each), the worker model the local
 * endpoint (model/local_endpoint.py) runs too.
 */
export function inferenceEnvironment(
  entryPoint: string,
  sourceDirUri: string,
  region: string,
  modelServerWorkers: number,
): Record<string, string> {
  return {
    SAGEMAKER_PROGRAM: entryPoint,
    SAGEMAKER_SUBMIT_DIRECTORY: sourceDirUri,
    SAGEMAKER_REGION: region,
    SAGEMAKER_CONTAINER_LOG_LEVEL: "20",
    SAGEMAKER_MODEL_SERVER_WORKERS: String(modelServerWorkers),
  };
}

export function buildCreateModel(
  spec: ModelSpec,
  target: Pick<DeployTarget, "roleArn" | "serving">,
): CreateModelCommandInput {
  return {
    ModelName: spec.modelName,
    ExecutionRoleArn: target.roleArn,
    PrimaryContainer: {
      Image: spec.image,
      ModelDataUrl: spec.modelDataUrl,
      Environment: { ...spec.environment },
    },
    // Serverless endpoints cannot attach to a VPC, so only instance-served models get one.
    ...(target.serving.kind === "instance"
      ? {
          VpcConfig: {
            Subnets: [...target.serving.subnetIds],
            SecurityGroupIds: [...target.serving.securityGroupIds],
          },
        }
      : {}),
  };
}

function alreadyExists(err: unknown): boolean {
  return errorName(err) === "ValidationException" && /already exist/i.test((err as Error).message ?? "");
}

/** CreateModel, treating "already exists" as done (a repeated event or a re-deploy of the same version). */
export async function ensureModel(
  sagemaker: SageMakerApi,
  spec: ModelSpec,
  target: DeployTarget,
): Promise<void> {
  try {
    await sagemaker.createModel(buildCreateModel(spec, target));
  } catch (err) {
    if (!alreadyExists(err)) throw err;
  }
}

/** Creates the model's endpoint config (if new) and moves the endpoint to it (if not already there). */
export async function deployModel(
  sagemaker: SageMakerApi,
  spec: ModelSpec,
  target: DeployTarget,
): Promise<DeployResult> {
  await ensureModel(sagemaker, spec, target);
  const now = await currentChampion(sagemaker, target.endpointName);
  const config = buildEndpointConfig(
    target.serving,
    target.kmsKeyArn,
    spec.modelName,
    now.currentInstanceCount,
  );
  const name = config.EndpointConfigName as string;
  if (now.endpointConfigName === name && !now.updating)
    return { action: "already-serving", endpointConfig: name };
  if (now.updating && now.pendingEndpointConfigName === name) {
    return { action: "already-rolling-out", endpointConfig: name };
  }
  if (now.updating) {
    // One deployment at a time: SageMaker rejects an update while another runs. Failing lets the caller retry.
    throw new Error(
      `endpoint ${target.endpointName} is already updating to ${now.pendingEndpointConfigName ?? "another config"}; retry when it is InService`,
    );
  }
  try {
    await sagemaker.createEndpointConfig(config);
  } catch (err) {
    if (!alreadyExists(err)) throw err;
  }
  const update = buildUpdateEndpoint(target.endpointName, name, target.serving, target.deployment);
  await sagemaker.updateEndpoint(update);
  return { action: "updating", endpointConfig: name, blueGreen: update.DeploymentConfig !== undefined };
}
