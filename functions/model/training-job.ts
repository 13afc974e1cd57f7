import type { CreateTrainingJobCommandInput, TrainingInstanceType } from "@aws-sdk/client-sagemaker";
import { TAG_CHAMPION_MODEL, TAG_DATA_AS_OF, TAG_DATA_RUN, type ManifestRef } from "./data-watermark";
import type { Champion } from "./champion";
import type { RetrainSettings } from "./settings";
import { hyperParameterStrings, type TunedParams } from "./tuned-params";

/** Where SageMaker syncs checkpoints inside the container; train.py resumes from here after a spot interruption. */
export const CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints";

/** Input channel names train.py reads (SM_CHANNEL_TRAIN, SM_CHANNEL_CHAMPION). */
export const TRAIN_CHANNEL = "train";
export const CHAMPION_CHANNEL = "champion";

export interface TrainingJobInputs {
  readonly jobName: string;
  /** The newest ETL run manifest when the job starts: recorded as the job's data watermark. */
  readonly data: ManifestRef;
  /** The serving model the challenger is scored against (on the same windows): its artifact and its name. */
  readonly champion: Pick<Champion, "modelName" | "modelDataUrl">;
  /** The newest tuning job's best hyperparameters, when there are any (the gate judges the result as any other). */
  readonly tuned?: TunedParams;
}

/** Tag of a training job that used a tuning job's best hyperparameters: that tuning job's name. */
export const TAG_TUNING_JOB = "warecast:tuning-job";

/** An S3-prefix input channel in File mode. */
export function s3Channel(name: string, uri: string, contentType?: string) {
  return {
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
  };
}

/** The settings every job of ours runs with: where, on what, for how long, encrypted how. */
export type ComputeSettings = Pick<
  RetrainSettings,
  | "instanceType"
  | "instanceCount"
  | "volumeSizeGb"
  | "kmsKeyArn"
  | "subnetIds"
  | "securityGroupIds"
  | "spot"
  | "maxRuntimeSeconds"
  | "maxWaitSeconds"
  | "artifactsBucket"
  | "checkpointPrefix"
>;

/**
 * How every training job of ours runs, retrained or a tuning trial: the stack key on the volume, the private
 * subnets, managed spot with a max wait, and checkpoints under `<checkpointPrefix><job>/`.
 */
export function guardedCompute(s: ComputeSettings, jobName: string) {
  return {
    ResourceConfig: {
      InstanceType: s.instanceType as TrainingInstanceType,
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
    CheckpointConfig: {
      S3Uri: `s3://${s.artifactsBucket}/${s.checkpointPrefix}${jobName}/`,
      LocalPath: CHECKPOINT_LOCAL_PATH,
    },
    EnableInterContainerTrafficEncryption: s.instanceCount > 1,
  };
}

/**
 * Script mode: the framework container's training toolkit downloads sagemaker_submit_directory and runs
 * sagemaker_program with the other hyperparameters as --name value arguments. Its own values are JSON, as the
 * SageMaker Python SDK writes them.
 */
export function scriptModeHyperparameters(
  s: Pick<RetrainSettings, "entryPoint" | "sourceDirUri" | "region">,
  jobName: string,
  hyperparameters: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    ...hyperparameters,
    sagemaker_program: JSON.stringify(s.entryPoint),
    sagemaker_submit_directory: JSON.stringify(s.sourceDirUri),
    sagemaker_region: JSON.stringify(s.region),
    sagemaker_container_log_level: "20",
    sagemaker_job_name: JSON.stringify(jobName),
  };
}

/** Managed spot needs a max wait at least the max runtime (SageMaker refuses the job otherwise). */
export function checkSpotWait(s: { spot: boolean; maxWaitSeconds: number; maxRuntimeSeconds: number }): void {
  if (s.spot && s.maxWaitSeconds < s.maxRuntimeSeconds) {
    throw new Error(
      `maxWaitSeconds (${s.maxWaitSeconds}) must be at least maxRuntimeSeconds (${s.maxRuntimeSeconds}) for spot training`,
    );
  }
}

/**
 * The CreateTrainingJob request: script mode in the framework container, managed spot with checkpoints and a
 * max wait, private subnets, KMS on the output and the volume, and metric definitions for train.py's log lines.
 */
export function buildTrainingJobRequest(
  s: RetrainSettings,
  inputs: TrainingJobInputs,
): CreateTrainingJobCommandInput {
  checkSpotWait(s);
  const { jobName } = inputs;
  return {
    TrainingJobName: jobName,
    RoleArn: s.roleArn,
    AlgorithmSpecification: {
      TrainingImage: s.trainingImage,
      TrainingInputMode: "File",
      MetricDefinitions: s.metricDefinitions.map((m) => ({ Name: m.Name, Regex: m.Regex })),
      EnableSageMakerMetricsTimeSeries: true,
    },
    // Tuned values first: a value fixed in config wins (the tuning job never searches those).
    HyperParameters: scriptModeHyperparameters(s, jobName, {
      ...(inputs.tuned ? hyperParameterStrings(inputs.tuned) : {}),
      ...s.hyperparameters,
    }),
    InputDataConfig: [
      s3Channel(TRAIN_CHANNEL, `s3://${s.processedBucket}/${s.trainPrefix}`, "application/x-parquet"),
      s3Channel(CHAMPION_CHANNEL, inputs.champion.modelDataUrl, "application/x-gzip"),
    ],
    OutputDataConfig: { S3OutputPath: `s3://${s.artifactsBucket}/${s.outputPrefix}`, KmsKeyId: s.kmsKeyArn },
    // Per job: a spot restart of this job resumes from its own checkpoints, never from another job's.
    ...guardedCompute(s, jobName),
    Tags: [
      { Key: TAG_DATA_RUN, Value: inputs.data.key },
      { Key: TAG_DATA_AS_OF, Value: inputs.data.lastModified.toISOString() },
      { Key: TAG_CHAMPION_MODEL, Value: inputs.champion.modelName },
      ...(inputs.tuned?.tuningJobName ? [{ Key: TAG_TUNING_JOB, Value: inputs.tuned.tuningJobName }] : []),
    ],
  };
}
