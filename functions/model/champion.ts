import { errorName, type SageMakerApi } from "./ports";

/** The model an endpoint serves right now: the champion that every challenger is scored against. */
export interface Champion {
  readonly endpointConfigName: string;
  readonly modelName: string;
  /** S3 URI of its model.tar.gz. */
  readonly modelDataUrl: string;
  /** The endpoint's status, as DescribeEndpoint reports it. */
  readonly status: string;
  /** The endpoint cannot take an UpdateEndpoint now (a promotion, a pin or maintenance is under way). */
  readonly updating: boolean;
  /** The endpoint config a running update is moving to, if any. */
  readonly pendingEndpointConfigName?: string;
  /** Instances the first variant runs now (instance endpoints; undefined for serverless). */
  readonly currentInstanceCount?: number;
}

/**
 * Statuses in which SageMaker rejects UpdateEndpoint; each ends in InService (or Failed) with an event. An array:
 * a captured Set does not survive the Lambda closure serializer (docs/foundation.md).
 */
const BUSY: readonly string[] = ["Creating", "Updating", "SystemUpdating", "RollingBack"];

/** Follows endpoint → endpoint config → first production variant's model → its artifact. */
export async function currentChampion(sagemaker: SageMakerApi, endpointName: string): Promise<Champion> {
  let endpoint;
  try {
    endpoint = await sagemaker.describeEndpoint({ EndpointName: endpointName });
  } catch (err) {
    if (errorName(err) === "ValidationException") {
      throw new Error(`endpoint "${endpointName}" does not exist: deploy the stack (pulumi up) first`);
    }
    throw err;
  }
  const configName = endpoint.EndpointConfigName;
  if (!configName) throw new Error(`endpoint "${endpointName}" reports no endpoint config`);
  const config = await sagemaker.describeEndpointConfig({ EndpointConfigName: configName });
  const modelName = config.ProductionVariants?.[0]?.ModelName;
  if (!modelName) throw new Error(`endpoint config "${configName}" has no production variant with a model`);
  const model = await sagemaker.describeModel({ ModelName: modelName });
  const modelDataUrl = model.PrimaryContainer?.ModelDataUrl ?? model.Containers?.[0]?.ModelDataUrl;
  if (!modelDataUrl) throw new Error(`model "${modelName}" has no ModelDataUrl`);
  return {
    endpointConfigName: configName,
    modelName,
    modelDataUrl,
    status: endpoint.EndpointStatus ?? "Unknown",
    updating: BUSY.includes(endpoint.EndpointStatus ?? ""),
    pendingEndpointConfigName: endpoint.PendingDeploymentSummary?.EndpointConfigName,
    currentInstanceCount: endpoint.ProductionVariants?.[0]?.CurrentInstanceCount,
  };
}
