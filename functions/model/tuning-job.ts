import type { CreateHyperParameterTuningJobCommandInput } from "@aws-sdk/client-sagemaker";
import { compactTimestamp } from "./names";
import {
  TRAIN_CHANNEL,
  checkSpotWait,
  guardedCompute,
  s3Channel,
  scriptModeHyperparameters,
} from "./training-job";
import { MAX_TUNING_PREFIX_LENGTH, type TuneSettings } from "./tuning-settings";

/** SageMaker's limit on a tuning job's name. */
const MAX_TUNING_JOB_NAME = 32;

/** `<prefix>-<yymmddhhmm>` (UTC, minute resolution): sorts by start time and fits SageMaker's 32 characters. */
export function tuningJobName(prefix: string, at: Date): string {
  if (prefix.length > MAX_TUNING_PREFIX_LENGTH) {
    throw new Error(`tuning job prefix "${prefix}" is longer than ${MAX_TUNING_PREFIX_LENGTH} characters`);
  }
  const name = `${prefix}-${compactTimestamp(at).slice(2, 12)}`;
  if (name.length > MAX_TUNING_JOB_NAME) throw new Error(`tuning job name "${name}" is too long`);
  return name;
}

/** The searched hyperparameters as SageMaker's categorical ranges (every value a string). */
export function parameterRanges(space: TuneSettings["searchSpace"]) {
  return {
    CategoricalParameterRanges: Object.entries(space).map(([name, values]) => ({
      Name: name,
      Values: values.map(String),
    })),
  };
}

/**
 * The CreateHyperParameterTuningJob request: trials run exactly as retraining's training job does (image, code,
 * data, private subnets, the stack key, managed spot with checkpoints and a max wait), with `tuning_origins` so
 * each trial scores only the tuning windows, and the search space and objective of model/search_space.json.
 * Config's fixed hyperparameters are static; a searched name that config fixes is not searched.
 */
export function buildTuningJobRequest(
  s: TuneSettings,
  jobName: string,
): CreateHyperParameterTuningJobCommandInput {
  checkSpotWait(s);
  if (s.maxParallelJobs > s.maxJobs) {
    throw new Error(`maxParallelJobs (${s.maxParallelJobs}) must be at most maxJobs (${s.maxJobs})`);
  }
  if (!s.metricDefinitions.some((m) => m.Name === s.objective.metric)) {
    throw new Error(`the objective metric "${s.objective.metric}" has no metric definition`);
  }
  const searched = Object.fromEntries(
    Object.entries(s.searchSpace).filter(([name]) => !(name in s.hyperparameters)),
  );
  if (Object.keys(searched).length === 0) {
    throw new Error("nothing to search: config fixes every hyperparameter of the search space");
  }
  return {
    HyperParameterTuningJobName: jobName,
    HyperParameterTuningJobConfig: {
      Strategy: s.strategy,
      HyperParameterTuningJobObjective: { Type: s.objective.type, MetricName: s.objective.metric },
      ResourceLimits: {
        MaxNumberOfTrainingJobs: s.maxJobs,
        MaxParallelTrainingJobs: s.maxParallelJobs,
        MaxRuntimeInSeconds: s.maxTuningRuntimeSeconds,
      },
      ParameterRanges: parameterRanges(searched),
      TrainingJobEarlyStoppingType: "Off",
    },
    TrainingJobDefinition: {
      StaticHyperParameters: scriptModeHyperparameters(s, jobName, {
        ...s.hyperparameters,
        tuning_origins: String(s.tuningOrigins),
      }),
      AlgorithmSpecification: {
        TrainingImage: s.trainingImage,
        TrainingInputMode: "File",
        MetricDefinitions: s.metricDefinitions.map((m) => ({ Name: m.Name, Regex: m.Regex })),
      },
      RoleArn: s.roleArn,
      InputDataConfig: [
        s3Channel(TRAIN_CHANNEL, `s3://${s.processedBucket}/${s.trainPrefix}`, "application/x-parquet"),
      ],
      OutputDataConfig: {
        S3OutputPath: `s3://${s.artifactsBucket}/${s.outputPrefix}${jobName}/`,
        KmsKeyId: s.kmsKeyArn,
      },
      // Trials may share this location: train.py names a trial's checkpoint by the fingerprint of its data and
      // hyperparameters, so a restarted trial reads only its own.
      ...guardedCompute(s, jobName),
    },
  };
}
