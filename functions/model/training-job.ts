import type { CreateTrainingJobCommandInput } from "@aws-sdk/client-sagemaker";
import { TAG_CHAMPION_MODEL, TAG_DATA_AS_OF, TAG_DATA_RUN, type ManifestRef } from "./data-watermark";
import type { Champion } from "./champion";
import type { RetrainSettings } from "./settings";

/** Where SageMaker syncs checkpoints inside the container; train.py resumes from here after a spot interruption. */
export const CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints";

/** Input channel names train.py reads (SM_CHANNEL_TRAIN, SM_CHANNEL_CHAMPION). */
export const TRAIN_CHANNEL = "train";
export const CHAMPION_CHANNEL = "champion";

export interface TrainingJobInputs {
  readonly jobName: string;
  /** The newest ETL run manifest when the job starts: recorded as the job's data watermark. */
  readonly data: ManifestRef;
  /** The model the endpoint serves now; train.py scores it on the same windows as the challenger. */
  /** The serving model the challenger is scored against: its artifact and its name. */
  readonly champion: Pick<Champion, "modelName" | "modelDataUrl">;
}

/**
 * The CreateTrainingJob request: script mode in the framework container, managed spot with checkpoints and a
 * max wait, private subnets, KMS on the output and the volume, and metric definitions for train.py's log lines.
 */
export function buildTrainingJobRequest(
  s: RetrainSettings,
  inputs: TrainingJobInputs,
): CreateTrainingJobCommandInput {
  if (s.spot && s.maxWaitSeconds < s.maxRuntimeSeconds) {
    throw new Error(
      `maxWaitSeconds (${s.maxWaitSeconds}) must be at least maxRuntimeSeconds (${s.maxRuntimeSeconds}) for spot training`,
    );
  }
  const { jobName } = inputs;
  const s3Channel = (name: string, uri: string, contentType?: string) => ({
    ChannelName: name,
    InputMode: "File" as const,
    ...(contentType ? { ContentType: contentType } : {}),
    DataSource: {
      S3DataSource: {
        S3DataType: "S3Prefix" as const,
        S3Uri: uri,
        S3DataDistributionType: "FullyReplicated" as const,
      },
    },
  });
  return {
    TrainingJobName: jobName,
    RoleArn: s.roleArn,
    AlgorithmSpecification: {
      TrainingImage: s.trainingImage,
      TrainingInputMode: "File",
      MetricDefinitions: s.metricDefinitions.map((m) => ({ Name: m.Name, Regex: m.Regex })),
      EnableSageMakerMetricsTimeSeries: true,
    },
    // Script mode: the framework container's training toolkit downloads sagemaker_submit_directory and runs
    // sagemaker_program with the other hyperparameters as --name value arguments. Values are JSON, as the
    // SageMaker Python SDK writes them.
    HyperParameters: {
      ...s.hyperparameters,
      sagemaker_program: JSON.stringify(s.entryPoint),
      sagemaker_submit_directory: JSON.stringify(s.sourceDirUri),
      sagemaker_region: JSON.stringify(s.region),
      sagemaker_container_log_level: "20",
      sagemaker_job_name: JSON.stringify(jobName),
    },
    InputDataConfig: [
      s3Channel(TRAIN_CHANNEL, `s3://${s.processedBucket}/${s.trainPrefix}`, "application/x-parquet"),
      s3Channel(CHAMPION_CHANNEL, inputs.champion.modelDataUrl, "application/x-gzip"),
    ],
    OutputDataConfig: { S3OutputPath: `s3://${s.artifactsBucket}/${s.outputPrefix}`, KmsKeyId: s.kmsKeyArn },
    ResourceConfig: {
      InstanceType: s.instanceType as NonNullable<
        CreateTrainingJobCommandInput["ResourceConfig"]
      >["InstanceType"],
      InstanceCount: s.instanceCount,
      VolumeSizeInGB: s.volumeSizeGb,
      VolumeKmsKeyId: s.kmsKeyArn,
    },
    VpcConfig: { Subnets: [...s.subnetIds], SecurityGroupIds: [...s.securityGroupIds] },
    StoppingCondition: {
      MaxRuntimeInSeconds: s.maxRuntimeSeconds,
      ...(s.spot ? { MaxWaitTimeInSeconds: s.maxWaitSeconds } : {}),
    },
    EnableManagedSpotTraining: s.spot,
    // Per job: a spot restart of this job resumes from its own checkpoints, never from another job's.
    CheckpointConfig: {
      S3Uri: `s3://${s.artifactsBucket}/${s.checkpointPrefix}${jobName}/`,
      LocalPath: CHECKPOINT_LOCAL_PATH,
    },
    EnableInterContainerTrafficEncryption: s.instanceCount > 1,
    Tags: [
      { Key: TAG_DATA_RUN, Value: inputs.data.key },
      { Key: TAG_DATA_AS_OF, Value: inputs.data.lastModified.toISOString() },
      { Key: TAG_CHAMPION_MODEL, Value: inputs.champion.modelName },
    ],
  };
}
