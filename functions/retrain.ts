import { currentChampion } from "./model/champion";
import {
  decideNewData,
  listManifests,
  readRowsWritten,
  watermarkFromTags,
  type Watermark,
} from "./model/data-watermark";
import { trainingJobName } from "./model/names";
import { getObjectBytes, type ModelHandlerDeps, type SageMakerApi } from "./model/ports";
import type { RetrainSettings } from "./model/settings";
import { buildTrainingJobRequest } from "./model/training-job";
import { addMetric } from "./metric-catalogue";
import { parseTunedParams, type TunedParams } from "./model/tuned-params";

/**
 * The retrain function: on its schedule, start one SageMaker training job when the ETL has written demand rows
 * that the last completed training did not see, and no training of ours is already running.
 */

export type RetrainDeps = ModelHandlerDeps<RetrainSettings>;

export type RetrainResult =
  | {
      readonly started: true;
      readonly trainingJobName: string;
      readonly reason: string;
      readonly champion: string;
      /** The tuning job whose best hyperparameters the job uses, or why there are none. */
      readonly tuned: string;
    }
  | { readonly started: false; readonly reason: string };

/** An array: a captured Set does not survive the Lambda closure serializer (docs/foundation.md). */
const RUNNING: readonly string[] = ["InProgress", "Stopping"];

interface LastTraining {
  readonly running?: string;
  readonly completed?: { readonly name: string; readonly watermark?: Watermark };
}

/** Newest first, over our jobs only; stops paging once a completed job is found. */
async function lastTraining(sagemaker: SageMakerApi, prefix: string): Promise<LastTraining> {
  const ours: { name: string; arn: string; status: string; created: number }[] = [];
  let token: string | undefined;
  do {
    const page = await sagemaker.listTrainingJobs({
      NameContains: `${prefix}-`,
      SortBy: "CreationTime",
      SortOrder: "Descending",
      MaxResults: 100,
      NextToken: token,
    });
    for (const j of page.TrainingJobSummaries ?? []) {
      // NameContains is a substring match: keep only names that start with our prefix.
      if (!j.TrainingJobName?.startsWith(`${prefix}-`) || !j.TrainingJobArn) continue;
      ours.push({
        name: j.TrainingJobName,
        arn: j.TrainingJobArn,
        status: j.TrainingJobStatus ?? "",
        created: j.CreationTime ? new Date(j.CreationTime).getTime() : 0,
      });
    }
    token = ours.some((j) => j.status === "Completed") ? undefined : page.NextToken;
  } while (token);
  ours.sort((a, b) => b.created - a.created || b.name.localeCompare(a.name));
  const running = ours.find((j) => RUNNING.includes(j.status));
  const done = ours.find((j) => j.status === "Completed");
  if (!done) return { running: running?.name };
  const tags = await sagemaker.listTags({ ResourceArn: done.arn });
  return {
    running: running?.name,
    completed: { name: done.name, watermark: watermarkFromTags(tags.Tags ?? []) },
  };
}

/**
 * The newest tuning job's best hyperparameters, if any. A document that cannot be read is logged as an error and
 * retraining goes ahead with the defaults: a broken file must not stop the model from seeing new data.
 */
async function readTunedParams(deps: RetrainDeps): Promise<{ params?: TunedParams; note: string }> {
  const { s3, settings, obs } = deps;
  const where = `s3://${settings.artifactsBucket}/${settings.tunedParamsKey}`;
  const bytes = await getObjectBytes(s3, settings.artifactsBucket, settings.tunedParamsKey);
  if (!bytes) return { note: "none (no tuning job has completed)" };
  try {
    const params = parseTunedParams(Buffer.from(bytes).toString("utf8"), where);
    return { params, note: params.tuningJobName ?? `${params.source} tuning` };
  } catch (err) {
    obs.logger.error("tuned hyperparameters ignored", { error: (err as Error).message });
    addMetric(obs.metrics, "TunedParamsIgnored", 1);
    return { note: `ignored: ${(err as Error).message}` };
  }
}

async function retrain(deps: RetrainDeps): Promise<RetrainResult> {
  const { sagemaker, s3, settings, obs } = deps;
  const now = deps.now ?? (() => new Date());
  const { logger, metrics } = obs;

  const last = await lastTraining(sagemaker, settings.jobNamePrefix);
  if (last.running) {
    const result = { started: false as const, reason: `training job ${last.running} is still running` };
    logger.info("retrain skipped", { ...result });
    addMetric(metrics, "RetrainSkipped", 1);
    return result;
  }

  const manifests = await listManifests(s3, settings.processedBucket, settings.runsPrefix);
  const verdict = await decideNewData(manifests, last.completed?.watermark, (ref) =>
    readRowsWritten(s3, settings.processedBucket, ref),
  );
  if (!verdict.due) {
    const result = { started: false as const, reason: verdict.reason };
    logger.info("retrain skipped", {
      ...result,
      lastTraining: last.completed?.name,
      manifests: manifests.length,
    });
    addMetric(metrics, "RetrainSkipped", 1);
    return result;
  }

  const champion = await currentChampion(sagemaker, settings.endpointName);
  const tuned = await readTunedParams(deps);
  const jobName = trainingJobName(settings.jobNamePrefix, now());
  const request = buildTrainingJobRequest(settings, {
    jobName,
    data: verdict.latest,
    champion,
    tuned: tuned.params,
  });
  await sagemaker.createTrainingJob(request);

  const result = {
    started: true as const,
    trainingJobName: jobName,
    reason: verdict.reason,
    champion: champion.modelName,
    tuned: tuned.note,
  };
  logger.info("retrain started", {
    ...result,
    dataRun: verdict.latest.key,
    newRuns: verdict.newRuns,
    lastTraining: last.completed?.name,
    spot: settings.spot,
  });
  addMetric(metrics, "RetrainStarted", 1);
  return result;
}

/** Runs one scheduled check; buffered metrics are flushed whatever happens. */
export async function handleRetrain(deps: RetrainDeps): Promise<RetrainResult> {
  try {
    return await retrain(deps);
  } finally {
    deps.obs.metrics.publishStoredMetrics();
  }
}
