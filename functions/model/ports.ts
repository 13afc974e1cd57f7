import type {
  CreateHyperParameterTuningJobCommandInput,
  CreateHyperParameterTuningJobCommandOutput,
  DescribeHyperParameterTuningJobCommandInput,
  DescribeHyperParameterTuningJobCommandOutput,
  ListHyperParameterTuningJobsCommandInput,
  ListHyperParameterTuningJobsCommandOutput,
  CreateEndpointConfigCommandInput,
  CreateEndpointConfigCommandOutput,
  CreateModelCommandInput,
  CreateModelCommandOutput,
  CreateModelPackageCommandInput,
  CreateModelPackageCommandOutput,
  CreateTrainingJobCommandInput,
  CreateTrainingJobCommandOutput,
  DescribeEndpointCommandInput,
  DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommandInput,
  DescribeEndpointConfigCommandOutput,
  DescribeModelCommandInput,
  DescribeModelCommandOutput,
  DescribeModelPackageCommandInput,
  DescribeModelPackageCommandOutput,
  DescribeTrainingJobCommandInput,
  DescribeTrainingJobCommandOutput,
  ListModelPackagesCommandInput,
  ListModelPackagesCommandOutput,
  ListTagsCommandInput,
  ListTagsCommandOutput,
  ListTrainingJobsCommandInput,
  ListTrainingJobsCommandOutput,
  UpdateEndpointCommandInput,
  UpdateEndpointCommandOutput,
  UpdateModelPackageCommandInput,
  UpdateModelPackageCommandOutput,
} from "@aws-sdk/client-sagemaker";
import type {
  DeleteObjectCommandInput,
  DeleteObjectCommandOutput,
  GetObjectCommandInput,
  GetObjectCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
} from "@aws-sdk/client-s3";

import type { Observability } from "../powertools";

/**
 * The slices of the AWS SDK v3 aggregated clients (`new SageMaker()`, `new S3()`) that the model functions use.
 * The real clients satisfy these structurally; tests pass fakes that implement only these methods.
 */
export interface SageMakerApi {
  createTrainingJob(input: CreateTrainingJobCommandInput): Promise<CreateTrainingJobCommandOutput>;
  describeTrainingJob(input: DescribeTrainingJobCommandInput): Promise<DescribeTrainingJobCommandOutput>;
  listTrainingJobs(input: ListTrainingJobsCommandInput): Promise<ListTrainingJobsCommandOutput>;
  listTags(input: ListTagsCommandInput): Promise<ListTagsCommandOutput>;
  describeEndpoint(input: DescribeEndpointCommandInput): Promise<DescribeEndpointCommandOutput>;
  describeEndpointConfig(
    input: DescribeEndpointConfigCommandInput,
  ): Promise<DescribeEndpointConfigCommandOutput>;
  describeModel(input: DescribeModelCommandInput): Promise<DescribeModelCommandOutput>;
  createModel(input: CreateModelCommandInput): Promise<CreateModelCommandOutput>;
  createEndpointConfig(input: CreateEndpointConfigCommandInput): Promise<CreateEndpointConfigCommandOutput>;
  updateEndpoint(input: UpdateEndpointCommandInput): Promise<UpdateEndpointCommandOutput>;
  createModelPackage(input: CreateModelPackageCommandInput): Promise<CreateModelPackageCommandOutput>;
  describeModelPackage(input: DescribeModelPackageCommandInput): Promise<DescribeModelPackageCommandOutput>;
  listModelPackages(input: ListModelPackagesCommandInput): Promise<ListModelPackagesCommandOutput>;
  updateModelPackage(input: UpdateModelPackageCommandInput): Promise<UpdateModelPackageCommandOutput>;
}

/** The tuning calls of the tune function and `warecast model tune` (a separate slice: retrain and promote never tune). */
export interface SageMakerTuningApi {
  createHyperParameterTuningJob(
    input: CreateHyperParameterTuningJobCommandInput,
  ): Promise<CreateHyperParameterTuningJobCommandOutput>;
  describeHyperParameterTuningJob(
    input: DescribeHyperParameterTuningJobCommandInput,
  ): Promise<DescribeHyperParameterTuningJobCommandOutput>;
  listHyperParameterTuningJobs(
    input: ListHyperParameterTuningJobsCommandInput,
  ): Promise<ListHyperParameterTuningJobsCommandOutput>;
}

export interface S3Api {
  listObjectsV2(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput>;
  getObject(input: GetObjectCommandInput): Promise<GetObjectCommandOutput>;
  putObject(input: PutObjectCommandInput): Promise<PutObjectCommandOutput>;
  deleteObject(input: DeleteObjectCommandInput): Promise<DeleteObjectCommandOutput>;
}

/** What the retrain and promote handlers receive: their clients, settings and Powertools, injected. */
export interface ModelHandlerDeps<S> {
  readonly sagemaker: SageMakerApi;
  readonly s3: S3Api;
  readonly settings: S;
  readonly obs: Observability;
  /** The clock (tests pin it). Default: the system clock. */
  readonly now?: () => Date;
}

/** The error name AWS SDK v3 gives a service exception (e.g. `ValidationException`, `NoSuchKey`). */
export function errorName(err: unknown): string {
  return err && typeof err === "object" && "name" in err ? String((err as { name: unknown }).name) : "";
}

/** HTTP status of a service exception, when the SDK recorded one. */
export function httpStatus(err: unknown): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

/** Reads a whole S3 object as bytes, or `undefined` when it does not exist. */
export async function getObjectBytes(
  s3: S3Api,
  bucket: string,
  key: string,
): Promise<Uint8Array | undefined> {
  try {
    const res = await s3.getObject({ Bucket: bucket, Key: key });
    if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
    return await res.Body.transformToByteArray();
  } catch (err) {
    if (errorName(err) === "NoSuchKey" || httpStatus(err) === 404) return undefined;
    throw err;
  }
}

/** An S3 object's key and last-modified time. */
export interface ObjectRef {
  readonly key: string;
  readonly lastModified: Date;
}

/** Every `.json` object under a prefix, across pages, oldest first (ties by key). */
export async function listJsonObjects(s3: S3Api, bucket: string, prefix: string): Promise<ObjectRef[]> {
  const out: ObjectRef[] = [];
  let token: string | undefined;
  do {
    const page = await s3.listObjectsV2({ Bucket: bucket, Prefix: prefix, ContinuationToken: token });
    for (const obj of page.Contents ?? []) {
      if (obj.Key?.endsWith(".json") && obj.LastModified)
        out.push({ key: obj.Key, lastModified: obj.LastModified });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort(byAge);
}

/** Oldest first, ties broken by key, so a listing's order does not depend on S3's. */
export function byAge(a: ObjectRef, b: ObjectRef): number {
  return a.lastModified.getTime() - b.lastModified.getTime() || a.key.localeCompare(b.key);
}
