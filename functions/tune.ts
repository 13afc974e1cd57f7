import { addMetric } from "./metric-catalogue";
import type { DescribeHyperParameterTuningJobCommandOutput } from "@aws-sdk/client-sagemaker";
import { z } from "zod";
import { parseEvent, recordRejected } from "./lambda-wiring";
import { getObjectBytes, type S3Api, type SageMakerTuningApi } from "./model/ports";
import { parseTunedParams, type TunedParams } from "./model/tuned-params";
import { buildTuningJobRequest, tuningJobName } from "./model/tuning-job";
import type { TuneSettings } from "./model/tuning-settings";
import type { Observability } from "./powertools";

/**
 * The tune function. Two events:
 * - its schedule (or `warecast model tune`, which calls {@link startTuning} directly): start a SageMaker tuning
 *   job over the search space, unless one of ours is running or there is no training data;
 * - "SageMaker HyperParameter Tuning Job State Change" (Completed) of one of ours: write the best trial's
 *   hyperparameters (the document of functions/model/tuned-params.ts) to the artifacts bucket, where the next
 *   retraining reads them. The challenger that retraining makes goes through the promotion gate like any other.
 */

export interface TuneDeps {
  readonly sagemaker: SageMakerTuningApi;
  readonly s3: S3Api;
  readonly settings: TuneSettings;
  readonly obs: Observability;
  /** The clock (tests pin it). Default: the system clock. */
  readonly now?: () => Date;
}

export type StartResult =
  | { readonly started: true; readonly tuningJobName: string; readonly maxJobs: number }
  | { readonly started: false; readonly reason: string };

export type RecordResult =
  | { readonly recorded: true; readonly tuningJobName: string; readonly key: string; readonly best: boolean }
  | { readonly recorded: false; readonly tuningJobName: string; readonly reason: string };

export const TUNING_STATE_CHANGE = "SageMaker HyperParameter Tuning Job State Change";

/** Starts a tuning job unless one of ours is running or the ETL has written no training data yet. */
export async function startTuning(deps: TuneDeps): Promise<StartResult> {
  const { sagemaker, s3, settings: s, obs } = deps;
  const now = deps.now ?? (() => new Date());
  const running = await sagemaker.listHyperParameterTuningJobs({
    NameContains: `${s.tuningJobPrefix}-`,
    StatusEquals: "InProgress",
    MaxResults: 100,
  });
  // NameContains is a substring match: only names that start with our prefix are ours.
  const ours = (running.HyperParameterTuningJobSummaries ?? []).find((j) =>
    j.HyperParameterTuningJobName?.startsWith(`${s.tuningJobPrefix}-`),
  );
  if (ours) {
    const result = {
      started: false as const,
      reason: `tuning job ${ours.HyperParameterTuningJobName} is still running`,
    };
    obs.logger.info("tuning skipped", { ...result });
    return result;
  }
  const data = await s3.listObjectsV2({ Bucket: s.processedBucket, Prefix: s.trainPrefix, MaxKeys: 1 });
  if (!data.Contents?.length) {
    const result = {
      started: false as const,
      reason: `no training data under s3://${s.processedBucket}/${s.trainPrefix} yet`,
    };
    obs.logger.info("tuning skipped", { ...result });
    return result;
  }
  const name = tuningJobName(s.tuningJobPrefix, now());
  await sagemaker.createHyperParameterTuningJob(buildTuningJobRequest(s, name));
  obs.logger.info("tuning started", {
    tuningJobName: name,
    maxJobs: s.maxJobs,
    maxParallelJobs: s.maxParallelJobs,
    maxRuntimeSeconds: s.maxRuntimeSeconds,
    instanceType: s.instanceType,
    spot: s.spot,
  });
  addMetric(obs.metrics, "TuningStarted", 1);
  return { started: true, tuningJobName: name, maxJobs: s.maxJobs };
}

/** A tuned value as SageMaker reports it: categorical values may come JSON-quoted ("\"0.06\""). */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "string" ? parsed : value;
  } catch {
    return value;
  }
}

/** The best trial as a tuned-hyperparameters document; throws, naming the problem, when it cannot be one. */
export function bestParamsDocument(
  s: Pick<TuneSettings, "searchSpace" | "objective">,
  job: DescribeHyperParameterTuningJobCommandOutput,
): TunedParams {
  const name = job.HyperParameterTuningJobName ?? "(unnamed)";
  const best = job.BestTrainingJob;
  const metric = best?.FinalHyperParameterTuningJobObjectiveMetric;
  if (!best?.TunedHyperParameters || metric?.Value === undefined || best.ObjectiveStatus !== "Succeeded") {
    throw new Error(`tuning job ${name} has no best training job with a succeeded objective`);
  }
  if (metric.MetricName !== s.objective.metric) {
    throw new Error(
      `tuning job ${name} optimised ${String(metric.MetricName)}, not the objective ${s.objective.metric}`,
    );
  }
  const hyperParameters: Record<string, string> = {};
  for (const [key, raw] of Object.entries(best.TunedHyperParameters)) {
    const value = unquote(raw);
    const allowed = s.searchSpace[key];
    if (!allowed) throw new Error(`tuning job ${name} tuned "${key}", which is not in the search space`);
    // Numbers compare as numbers: the space's 5.0 is sent (and reported back) as "5".
    const same = (a: string | number) =>
      String(a) === value || (typeof a === "number" && value.trim() !== "" && Number(value) === a);
    if (!allowed.some(same)) {
      throw new Error(`tuning job ${name} tuned ${key}=${value}, not one of ${allowed.join(", ")}`);
    }
    hyperParameters[key] = value;
  }
  return {
    tuningJobName: name,
    source: "sagemaker",
    objective: { metric: s.objective.metric, type: s.objective.type },
    score: metric.Value,
    hyperParameters,
    bestTrainingJob: best.TrainingJobName,
    completedAt: job.HyperParameterTuningEndTime
      ? new Date(job.HyperParameterTuningEndTime).toISOString()
      : undefined,
    trainingJobs: job.TrainingJobStatusCounters,
  };
}

/**
 * Records a completed tuning job: its document under resultsPrefix, and as the tuned parameters retraining reads
 * unless a newer tuning job's are already there (names sort by start time). A repeated event rewrites the same
 * bytes.
 */
export async function recordTuningResult(deps: TuneDeps, jobName: string): Promise<RecordResult> {
  const { sagemaker, s3, settings: s, obs } = deps;
  if (!jobName.startsWith(`${s.tuningJobPrefix}-`)) {
    return { recorded: false, tuningJobName: jobName, reason: "not a tuning job of this stack" };
  }
  const job = await sagemaker.describeHyperParameterTuningJob({ HyperParameterTuningJobName: jobName });
  if (job.HyperParameterTuningJobStatus !== "Completed") {
    return {
      recorded: false,
      tuningJobName: jobName,
      reason: `tuning job status is ${String(job.HyperParameterTuningJobStatus)}, not Completed`,
    };
  }
  const document = bestParamsDocument(s, job);
  const body = `${JSON.stringify(document, null, 2)}\n`;
  const put = (key: string) =>
    s3.putObject({
      Bucket: s.artifactsBucket,
      Key: key,
      Body: body,
      ContentType: "application/json",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: s.kmsKeyArn,
    });
  const resultKey = `${s.resultsPrefix}${jobName}.json`;
  await put(resultKey);
  const current = await getObjectBytes(s3, s.artifactsBucket, s.tunedParamsKey);
  let newer: string | undefined;
  if (current) {
    try {
      const name = parseTunedParams(Buffer.from(current).toString("utf8"), s.tunedParamsKey).tuningJobName;
      if (name && name > jobName) newer = name;
    } catch (err) {
      obs.logger.warn("replacing unreadable tuned parameters", { error: (err as Error).message });
    }
  }
  if (!newer) await put(s.tunedParamsKey);
  obs.logger.info("tuning recorded", {
    tuningJobName: jobName,
    score: document.score,
    hyperParameters: document.hyperParameters,
    result: resultKey,
    ...(newer ? { kept: newer } : { tunedParams: s.tunedParamsKey }),
  });
  addMetric(obs.metrics, "TuningRecorded", 1);
  return { recorded: true, tuningJobName: jobName, key: resultKey, best: !newer };
}

export const tuningJobEventSchema = () =>
  z.object({
    source: z.literal("aws.sagemaker"),
    "detail-type": z.literal(TUNING_STATE_CHANGE),
    detail: z.object({
      HyperParameterTuningJobName: z.string().min(1),
      HyperParameterTuningJobStatus: z.string(),
    }),
  });

export const scheduledEventSchema = () =>
  z.object({ source: z.literal("aws.events"), "detail-type": z.literal("Scheduled Event") });

export type RejectedResult = { readonly rejected: true; readonly reason: string };

/**
 * One invocation: the schedule starts a tuning job, a tuning job's state change records its result; any other
 * event is rejected (logged whole and counted), never taken for a reason to start a job.
 */
export async function handleTune(
  event: unknown,
  deps: TuneDeps,
): Promise<StartResult | RecordResult | RejectedResult> {
  try {
    if (scheduledEventSchema().safeParse(event).success) return await startTuning(deps);
    const parsed = parseEvent(tuningJobEventSchema, event, "a schedule tick or a tuning job state change");
    if (!parsed.ok) {
      recordRejected(deps.obs, parsed.reason, event);
      return { rejected: true, reason: parsed.reason };
    }
    return await recordTuningResult(deps, parsed.value.detail.HyperParameterTuningJobName);
  } finally {
    deps.obs.metrics.publishStoredMetrics();
  }
}
