import type { CreateEndpointConfigCommandInput, UpdateEndpointCommandInput } from "@aws-sdk/client-sagemaker";
import { endpointConfigName } from "./names";
import type { Deployment, Serving } from "./settings";

/**
 * Endpoint configs and updates, one builder for Pulumi's bootstrap config and for every promotion or pin, so the
 * endpoint is served the same way whoever deploys to it.
 */

/** One variant with a fixed name: blue/green needs it unchanged, and autoscaling targets it by name. */
export const VARIANT_NAME = "AllTraffic";

type ProductionVariant = NonNullable<CreateEndpointConfigCommandInput["ProductionVariants"]>[number];

/** The single production variant for a model, serverless or on instances. */
export function productionVariant(
  serving: Serving,
  model: string,
  currentInstanceCount?: number,
): ProductionVariant {
  if (serving.kind === "serverless") {
    return {
      VariantName: VARIANT_NAME,
      ModelName: model,
      ServerlessConfig: { MemorySizeInMB: serving.memorySizeMb, MaxConcurrency: serving.maxConcurrency },
    };
  }
  return {
    VariantName: VARIANT_NAME,
    ModelName: model,
    InstanceType: serving.instanceType as ProductionVariant["InstanceType"],
    // Start the new fleet at the size autoscaling has reached, so a promotion under load does not shrink it.
    InitialInstanceCount: Math.max(serving.minInstances, currentInstanceCount ?? 0),
  };
}

/**
 * CreateEndpointConfig for a model. KMS encrypts the ML storage volume of instance endpoints; serverless
 * endpoints have no volume of ours, so no key is passed for them.
 */
export function buildEndpointConfig(
  serving: Serving,
  kmsKeyArn: string,
  model: string,
  currentInstanceCount?: number,
): CreateEndpointConfigCommandInput {
  const variant = productionVariant(serving, model, currentInstanceCount);
  const kms = serving.kind === "instance" ? { KmsKeyId: kmsKeyArn } : {};
  const content = { ProductionVariants: [variant], ...kms };
  return { EndpointConfigName: endpointConfigName(model, content), ...content };
}

/**
 * UpdateEndpoint to a new config. With blue/green on (instance endpoints), SageMaker brings up the green fleet,
 * shifts a canary share of capacity, bakes, shifts the rest, and rolls everything back if one of the alarms
 * fires before the blue fleet is terminated. Serverless updates have no guardrails: they switch at once.
 */
export function buildUpdateEndpoint(
  endpointName: string,
  configName: string,
  serving: Serving,
  deployment: Deployment,
): UpdateEndpointCommandInput {
  const base: UpdateEndpointCommandInput = { EndpointName: endpointName, EndpointConfigName: configName };
  if (serving.kind !== "instance" || !deployment.blueGreen) return base;
  const canary = deployment.canaryPercent < 100;
  return {
    ...base,
    DeploymentConfig: {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: canary
          ? {
              Type: "CANARY",
              CanarySize: { Type: "CAPACITY_PERCENT", Value: deployment.canaryPercent },
              WaitIntervalInSeconds: deployment.waitSeconds,
            }
          : { Type: "ALL_AT_ONCE", WaitIntervalInSeconds: deployment.waitSeconds },
        TerminationWaitInSeconds: deployment.terminationWaitSeconds,
      },
      ...(deployment.rollbackAlarms.length > 0
        ? {
            AutoRollbackConfiguration: {
              Alarms: deployment.rollbackAlarms.map((AlarmName) => ({ AlarmName })),
            },
          }
        : {}),
    },
  };
}
