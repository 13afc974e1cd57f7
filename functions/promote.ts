import type { ModelApprovalStatus } from "@aws-sdk/client-sagemaker";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { z } from "zod";
import { parseEvent, recordRejected } from "./lambda-wiring";
import { readTarMembers } from "./model/artifact";
import { currentChampion } from "./model/champion";
import { DEFERRAL_SCHEMA_VERSION, clearDeferral, listDeferred, writeDeferral } from "./model/deferrals";
import { TAG_CHAMPION_MODEL, TAG_DATA_RUN } from "./model/data-watermark";
import {
  DECISION_SCHEMA_VERSION,
  decisionKey,
  readDecision,
  readPin,
  writeOnce,
  type DecisionOutcome,
  type DecisionRecord,
} from "./model/decisions";
import { deployModel, inferenceEnvironment, type DeployTarget, type ModelSpec } from "./model/deploy";
import {
  decideGate,
  evaluationWindows,
  parseGateMetrics,
  type GateMetrics,
  type GateVerdict,
} from "./model/gate";
import { modelMetricsKey, modelName, parseS3Uri } from "./model/names";
import { getObjectBytes, type ModelHandlerDeps, type S3Api } from "./model/ports";
import { settleOutcome } from "./model/outcome";
import { buildModelPackage } from "./model/registry";
import type { PromoteSettings } from "./model/settings";

/**
 * The promote function: on "SageMaker Training Job State Change" (Completed) for one of our jobs, read
 * metrics.json from the new artifact, apply the metric gate against the champion scored on the same windows,
 * register the model, deploy it when it wins, and record the decision. A repeated event finds the record and
 * does nothing. A winner that finds the endpoint busy with another update is deferred (model/deferrals.ts)
 * and decided again on the endpoint's next "SageMaker Endpoint State Change" event.
 */

export const trainingJobEventSchema = () =>
  z.object({
    source: z.literal("aws.sagemaker"),
    "detail-type": z.literal("SageMaker Training Job State Change"),
    detail: z.object({ TrainingJobName: z.string().min(1), TrainingJobStatus: z.string() }),
  });
export type TrainingJobEvent = z.infer<ReturnType<typeof trainingJobEventSchema>>;

export const endpointEventSchema = () =>
  z.object({
    source: z.literal("aws.sagemaker"),
    "detail-type": z.literal("SageMaker Endpoint State Change"),
    detail: z.object({ EndpointName: z.string().min(1) }),
  });

export type PromoteDeps = ModelHandlerDeps<PromoteSettings>;

export type DecisionResult =
  | { readonly handled: true; readonly duplicate: boolean; readonly record: DecisionRecord }
  | {
      readonly handled: true;
      readonly deferred: true;
      readonly trainingJob: string;
      readonly reason: string;
    };

export type PromoteResult =
  | { readonly handled: false; readonly reason: string }
  | DecisionResult
  | {
      readonly handled: true;
      readonly redriven: readonly DecisionResult[];
      /** Deferred jobs left waiting because the endpoint is still busy. */
      readonly waiting: number;
    };

const APPROVAL: Record<DecisionOutcome, ModelApprovalStatus> = {
  promoted: "Approved",
  rejected: "Rejected",
  "held-pinned": "PendingManualApproval",
  "stale-champion": "Rejected",
  "invalid-artifact": "Rejected",
};

interface Evaluated {
  readonly outcome: DecisionOutcome;
  readonly reason: string;
  readonly verdict?: GateVerdict;
  readonly metrics?: GateMetrics;
  /** metrics.json as the artifact has it, published for the API. */
  readonly metricsText?: string;
  readonly modelVersion?: string;
}

async function evaluate(s3: S3Api, artifactUri: string, settings: PromoteSettings): Promise<Evaluated> {
  const { bucket, key } = parseS3Uri(artifactUri);
  const archive = await getObjectBytes(s3, bucket, key);
  if (!archive)
    return { outcome: "invalid-artifact", reason: `model artifact ${artifactUri} does not exist` };
  let metrics: GateMetrics;
  let metricsText: string;
  let modelVersion: string | undefined;
  try {
    const members = await readTarMembers(archive, ["metrics.json", "model_version"]);
    const text = members.get("metrics.json");
    if (!text) return { outcome: "invalid-artifact", reason: `${artifactUri} has no metrics.json` };
    metricsText = text.toString("utf8");
    metrics = parseGateMetrics(metricsText);
    modelVersion = members.get("model_version")?.toString("utf8").trim() || metrics.model_version;
  } catch (err) {
    return { outcome: "invalid-artifact", reason: (err as Error).message };
  }
  const verdict = decideGate(metrics, settings.gate);
  return {
    outcome: verdict.promote ? "promoted" : "rejected",
    reason: verdict.reason,
    verdict,
    metrics,
    metricsText,
    modelVersion,
  };
}

async function promote(event: unknown, deps: PromoteDeps): Promise<PromoteResult> {
  const { settings, obs } = deps;
  const ended = endpointEventSchema().safeParse(event);
  if (ended.success) return redrive(ended.data.detail.EndpointName, deps);
  const parsed = parseEvent(
    trainingJobEventSchema,
    event,
    "a SageMaker training job or endpoint state change",
  );
  if (!parsed.ok) {
    recordRejected(obs, parsed.reason, event);
    return { handled: false, reason: parsed.reason };
  }
  const { TrainingJobName: job, TrainingJobStatus: status } = parsed.value.detail;
  if (!job.startsWith(`${settings.jobNamePrefix}-`))
    return { handled: false, reason: `${job} is not one of ours` };
  if (status !== "Completed") return { handled: false, reason: `${job} is ${status}, not Completed` };
  return decide(job, deps);
}

/** The endpoint changed state: decide every deferred job again once it can take an update. */
async function redrive(endpointName: string, deps: PromoteDeps): Promise<PromoteResult> {
  const { s3, sagemaker, settings, obs } = deps;
  if (endpointName !== settings.endpointName)
    return { handled: false, reason: `${endpointName} is not this stack's endpoint` };
  const jobs = await listDeferred(s3, settings.artifactsBucket, settings.decisionsPrefix);
  if (jobs.length === 0) return { handled: false, reason: "no promotion is waiting for the endpoint" };
  const serving = await currentChampion(sagemaker, settings.endpointName);
  if (serving.updating) {
    obs.logger.info("deferred promotions still waiting", { endpointStatus: serving.status, jobs });
    return { handled: true, redriven: [], waiting: jobs.length };
  }
  const redriven: DecisionResult[] = [];
  // One at a time: a promotion among them makes the endpoint busy again, and the rest wait for that.
  for (const job of jobs) redriven.push(await decide(job, deps));
  const waiting = redriven.filter((r) => "deferred" in r).length;
  obs.logger.info("deferred promotions decided again", { jobs, waiting });
  return { handled: true, redriven, waiting };
}

async function decide(job: string, deps: PromoteDeps): Promise<DecisionResult> {
  const { sagemaker, s3, settings, obs } = deps;
  const { logger, metrics } = obs;
  const now = deps.now ?? (() => new Date());

  const key = decisionKey(settings.decisionsPrefix, job);
  const existing = await readDecision(s3, settings.artifactsBucket, settings.decisionsPrefix, job);
  if (existing) {
    await clearDeferral(s3, settings.artifactsBucket, settings.decisionsPrefix, job);
    logger.info("promotion already decided", { trainingJob: job, outcome: existing.outcome });
    metrics.addMetric("PromotionDuplicateEvent", MetricUnit.Count, 1);
    return { handled: true, duplicate: true, record: existing };
  }

  const described = await sagemaker.describeTrainingJob({ TrainingJobName: job });
  const artifactUri = described.ModelArtifacts?.S3ModelArtifacts;
  if (!artifactUri) throw new Error(`training job ${job} reports no model artifact`);
  const tags = described.TrainingJobArn
    ? ((await sagemaker.listTags({ ResourceArn: described.TrainingJobArn })).Tags ?? [])
    : [];
  const tag = (k: string) => tags.find((t) => t.Key === k)?.Value;
  const scoredAgainst = tag(TAG_CHAMPION_MODEL);

  const gate = await evaluate(s3, artifactUri, settings);
  const serving = await currentChampion(sagemaker, settings.endpointName);
  // The pin matters only to a winner; a loser's decision does not read it.
  const pin =
    gate.outcome === "promoted" ? await readPin(s3, settings.artifactsBucket, settings.pinKey) : undefined;
  const settled = settleOutcome({ gate, scoredAgainst, serving, endpointName: settings.endpointName, pin });
  if (settled.deferred) {
    const { reason } = settled;
    const deferral = await writeDeferral(s3, settings.artifactsBucket, settings.decisionsPrefix, {
      schema_version: DEFERRAL_SCHEMA_VERSION,
      training_job: job,
      deferred_at: now().toISOString(),
      reason,
      pending_endpoint_config: serving.pendingEndpointConfigName,
    });
    logger.info("promotion deferred", { ...deferral });
    metrics.addMetric("PromotionDeferred", MetricUnit.Count, 1);
    return { handled: true, deferred: true, trainingJob: job, reason };
  }

  const evaluated: Evaluated = { ...gate, outcome: settled.outcome, reason: settled.reason };
  const spec: ModelSpec = {
    modelName: modelName(job),
    image: settings.inferenceImage,
    modelDataUrl: artifactUri,
    environment: inferenceEnvironment(
      settings.inferenceEntryPoint,
      settings.inferenceCodeDir,
      settings.region,
      settings.modelServerWorkers,
    ),
  };
  const verdict = evaluated.verdict;
  const properties: Record<string, string> = {
    outcome: evaluated.outcome,
    ...(evaluated.modelVersion ? { model_version: evaluated.modelVersion } : {}),
    ...(tag(TAG_DATA_RUN) ? { data_run: tag(TAG_DATA_RUN) as string } : {}),
    ...(verdict?.challenger !== undefined
      ? { [`challenger_${verdict.metric}`]: String(verdict.challenger) }
      : {}),
    ...(verdict?.champion !== undefined ? { [`champion_${verdict.metric}`]: String(verdict.champion) } : {}),
  };
  const registered = await sagemaker.createModelPackage(
    buildModelPackage({
      group: settings.modelPackageGroup,
      trainingJob: job,
      spec,
      status: APPROVAL[evaluated.outcome],
      description: `${evaluated.outcome}: ${evaluated.reason}`,
      properties,
    }),
  );

  let endpointConfig: string | undefined;
  if (evaluated.outcome === "promoted") {
    const target: DeployTarget = {
      endpointName: settings.endpointName,
      roleArn: settings.roleArn,
      kmsKeyArn: settings.kmsKeyArn,
      serving: settings.serving,
      deployment: settings.deployment,
    };
    const deployed = await deployModel(sagemaker, spec, target);
    endpointConfig = deployed.endpointConfig;
  }

  const record: DecisionRecord = {
    schema_version: DECISION_SCHEMA_VERSION,
    decided_at: now().toISOString(),
    training_job: job,
    outcome: evaluated.outcome,
    reason: evaluated.reason,
    model_artifact: artifactUri,
    model_version: evaluated.modelVersion,
    gate: verdict
      ? {
          metric: verdict.metric,
          tolerance: verdict.tolerance,
          challenger: verdict.challenger,
          champion: verdict.champion,
          threshold: verdict.threshold,
        }
      : undefined,
    evaluation: evaluated.metrics ? evaluationWindows(evaluated.metrics) : undefined,
    champion_model: scoredAgainst,
    serving_model: serving.modelName,
    model_package_arn: registered.ModelPackageArn,
    model_name: evaluated.outcome === "promoted" ? spec.modelName : undefined,
    endpoint_config: endpointConfig,
    endpoint: settings.endpointName,
  };
  // Before the record: a retry after a crash here finds no record and publishes again.
  await publishMetrics(s3, settings, evaluated);
  const first = await writeOnce(s3, settings.artifactsBucket, key, record);
  await clearDeferral(s3, settings.artifactsBucket, settings.decisionsPrefix, job);
  logger.info("promotion decision", { ...record, recordWritten: first });
  metrics.addMetric(
    evaluated.outcome === "promoted" ? "ModelPromoted" : "ModelNotPromoted",
    MetricUnit.Count,
    1,
  );
  return { handled: true, duplicate: !first, record };
}

/** Copies the version's metrics.json where the API reads it (GET /v1/model in AWS); any outcome, a pin may serve it. */
async function publishMetrics(s3: S3Api, settings: PromoteSettings, evaluated: Evaluated): Promise<void> {
  const { metricsText, modelVersion } = evaluated;
  const key = metricsText && modelVersion ? modelMetricsKey(settings.modelsPrefix, modelVersion) : undefined;
  if (!key) return;
  await s3.putObject({
    Bucket: settings.artifactsBucket,
    Key: key,
    Body: metricsText,
    ContentType: "application/json",
  });
}

/** Handles one event; buffered metrics are flushed whatever happens. */
export async function handlePromote(event: unknown, deps: PromoteDeps): Promise<PromoteResult> {
  try {
    return await promote(event, deps);
  } finally {
    deps.obs.metrics.publishStoredMetrics();
  }
}
