import type {
  CreateModelPackageCommandInput,
  DescribeModelPackageCommandOutput,
  ModelApprovalStatus,
} from "@aws-sdk/client-sagemaker";
import type { ModelSpec } from "./deploy";
import { modelName } from "./names";
import type { SageMakerApi } from "./ports";

/**
 * The model registry (a SageMaker model package group). Every trained model is registered once, with the
 * gate's outcome as its approval status: Approved (promoted), Rejected (lost the gate or was rolled back), or
 * PendingManualApproval (won the gate while an operator pin held the endpoint). Pin and rollback deploy from it.
 */

export const META_TRAINING_JOB = "training_job";

export interface Registration {
  readonly group: string;
  readonly trainingJob: string;
  readonly spec: ModelSpec;
  readonly status: ModelApprovalStatus;
  readonly description: string;
  /** Flat string properties shown in the registry (metric values, outcome, data run). */
  readonly properties: Record<string, string>;
}

export function buildModelPackage(r: Registration): CreateModelPackageCommandInput {
  return {
    ModelPackageGroupName: r.group,
    ModelPackageDescription: r.description.slice(0, 1000),
    ModelApprovalStatus: r.status,
    // The same job never registers twice, even when its completion event is delivered twice.
    ClientToken: r.trainingJob,
    InferenceSpecification: {
      Containers: [
        { Image: r.spec.image, ModelDataUrl: r.spec.modelDataUrl, Environment: { ...r.spec.environment } },
      ],
      SupportedContentTypes: ["application/json"],
      SupportedResponseMIMETypes: ["application/json"],
    },
    CustomerMetadataProperties: { ...r.properties, [META_TRAINING_JOB]: r.trainingJob },
  };
}

export interface RegisteredVersion {
  readonly arn: string;
  readonly version: number;
  readonly status: string;
  readonly trainingJob?: string;
  readonly spec: ModelSpec;
  readonly created?: Date;
}

/** A described package as something deployable; throws when it lacks a container. */
export function versionFromPackage(pkg: DescribeModelPackageCommandOutput): RegisteredVersion {
  const container = pkg.InferenceSpecification?.Containers?.[0];
  const trainingJob = pkg.CustomerMetadataProperties?.[META_TRAINING_JOB];
  if (!pkg.ModelPackageArn || !container?.Image || !container.ModelDataUrl || !trainingJob) {
    throw new Error(`model package ${pkg.ModelPackageArn ?? "?"} has no container, artifact or training job`);
  }
  return {
    arn: pkg.ModelPackageArn,
    version: pkg.ModelPackageVersion ?? 0,
    status: pkg.ModelApprovalStatus ?? "",
    trainingJob,
    created: pkg.CreationTime,
    spec: {
      modelName: modelName(trainingJob),
      image: container.Image,
      modelDataUrl: container.ModelDataUrl,
      environment: { ...(container.Environment ?? {}) },
    },
  };
}

/** Every version in the group, newest first. */
export async function listVersions(
  sagemaker: SageMakerApi,
  group: string,
): Promise<{ arn: string; version: number; status: string; created?: Date }[]> {
  const out: { arn: string; version: number; status: string; created?: Date }[] = [];
  let token: string | undefined;
  do {
    const page = await sagemaker.listModelPackages({
      ModelPackageGroupName: group,
      SortBy: "CreationTime",
      SortOrder: "Descending",
      MaxResults: 100,
      NextToken: token,
    });
    for (const p of page.ModelPackageSummaryList ?? []) {
      if (!p.ModelPackageArn) continue;
      out.push({
        arn: p.ModelPackageArn,
        version: p.ModelPackageVersion ?? 0,
        status: p.ModelApprovalStatus ?? "",
        created: p.CreationTime,
      });
    }
    token = page.NextToken || undefined;
  } while (token);
  return out.sort((a, b) => b.version - a.version);
}

/** Describes one version by number. */
export async function getVersion(
  sagemaker: SageMakerApi,
  group: string,
  version: number,
): Promise<RegisteredVersion> {
  const all = await listVersions(sagemaker, group);
  const hit = all.find((v) => v.version === version);
  if (!hit) {
    const known = all.map((v) => v.version).join(", ") || "none";
    throw new Error(`model package group ${group} has no version ${version} (versions: ${known})`);
  }
  return versionFromPackage(await sagemaker.describeModelPackage({ ModelPackageName: hit.arn }));
}
