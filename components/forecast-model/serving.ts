import { createHash } from "node:crypto";
import {
  buildEndpointConfig,
  buildUpdateEndpoint,
  VARIANT_NAME,
} from "../../functions/model/endpoint-config";
import { buildCreateModel } from "../../functions/model/deploy";
import { stableJson } from "../../functions/model/names";
import type { Deployment, Serving } from "../../functions/model/settings";

/**
 * The endpoint as Pulumi declares it, from the same builders the promote function uses
 * (functions/model/endpoint-config.ts): the bootstrap config Pulumi creates and every config a promotion creates
 * have one shape. SDK requests are PascalCase; Pulumi inputs are the same fields in camelCase.
 */

/** `MemorySizeInMB` → `memorySizeInMb`, `VariantName` → `variantName`, recursively. */
export function toPulumiShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPulumiShape);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        (k[0].toLowerCase() + k.slice(1)).replace(/MB$/, "Mb"),
        toPulumiShape(v),
      ]),
    );
  }
  return value;
}

export interface EndpointConfigInputs {
  readonly name: string;
  readonly productionVariants: Record<string, unknown>[];
  readonly kmsKeyArn?: string;
}

/** The bootstrap endpoint config (name, variants, key), exactly as a promotion of `model` would build it. */
export function bootstrapEndpointConfig(
  serving: Serving,
  kmsKeyArn: string,
  model: string,
): EndpointConfigInputs {
  const req = buildEndpointConfig(serving, kmsKeyArn, model);
  return {
    name: req.EndpointConfigName as string,
    productionVariants: toPulumiShape(req.ProductionVariants) as Record<string, unknown>[],
    ...(req.KmsKeyId ? { kmsKeyArn: req.KmsKeyId } : {}),
  };
}

export interface BootstrapModelInputs {
  readonly name: string;
  readonly primaryContainer: { image: string; modelDataUrl: string; environment: Record<string, string> };
  readonly vpcConfig?: { subnets: string[]; securityGroupIds: string[] };
}

/**
 * The bootstrap Model as Pulumi declares it, from the CreateModel builder promotions use. Its name ends in a hash
 * of everything CreateModel sends, so any change makes a new model beside the old one (never a replacement that
 * must delete a model the live endpoint may still serve).
 */
export function bootstrapModelSpec(
  prefix: string,
  m: {
    roleArn: string;
    image: string;
    modelDataUrl: string;
    environment: Record<string, string>;
    serving: Serving;
  },
): BootstrapModelInputs {
  const spec = { modelName: "", image: m.image, modelDataUrl: m.modelDataUrl, environment: m.environment };
  const request = buildCreateModel(spec, { roleArn: m.roleArn, serving: m.serving });
  const hash = createHash("sha256")
    .update(stableJson({ ...request, ModelName: undefined }))
    .digest("hex");
  const vpc = request.VpcConfig;
  return {
    name: `${prefix}-bootstrap-${hash.slice(0, 8)}`,
    primaryContainer: { image: m.image, modelDataUrl: m.modelDataUrl, environment: { ...m.environment } },
    ...(vpc
      ? {
          vpcConfig: {
            subnets: [...(vpc.Subnets ?? [])],
            securityGroupIds: [...(vpc.SecurityGroupIds ?? [])],
          },
        }
      : {}),
  };
}

/** The endpoint's deploymentConfig, or undefined when updates are not blue/green (serverless, or switched off). */
export function endpointDeploymentConfig(
  serving: Serving,
  deployment: Deployment,
): Record<string, unknown> | undefined {
  const update = buildUpdateEndpoint("-", "-", serving, deployment);
  return update.DeploymentConfig
    ? (toPulumiShape(update.DeploymentConfig) as Record<string, unknown>)
    : undefined;
}

/** Application Auto Scaling's id of the endpoint's variant. */
export function scalableResourceId(endpointName: string): string {
  return `endpoint/${endpointName}/variant/${VARIANT_NAME}`;
}

export interface RollbackAlarmSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly metricName: string;
  readonly statistic?: string;
  readonly extendedStatistic?: string;
  readonly threshold: number;
}

/**
 * Deployment guardrails: alarms SageMaker watches during a blue/green update (canary and bake). They react within
 * minutes, unlike the paging alarms of the Observability component, and have no actions: rolling back is theirs.
 */
export function rollbackAlarmSpecs(
  endpointName: string,
  t: { readonly errorsPerMinute: number; readonly latencyP99Ms: number },
): RollbackAlarmSpec[] {
  return [
    {
      id: "5xx",
      name: `${endpointName}-rollback-5xx`,
      description: `Blue/green guardrail: ${t.errorsPerMinute}+ model 5xx errors a minute on ${endpointName} roll the update back.`,
      metricName: "Invocation5XXErrors",
      statistic: "Sum",
      threshold: t.errorsPerMinute,
    },
    {
      id: "latency",
      name: `${endpointName}-rollback-latency`,
      description: `Blue/green guardrail: model latency p99 above ${t.latencyP99Ms} ms on ${endpointName} rolls the update back.`,
      metricName: "ModelLatency",
      extendedStatistic: "p99",
      // ModelLatency is in microseconds.
      threshold: t.latencyP99Ms * 1000,
    },
  ];
}
