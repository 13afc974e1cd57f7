import type { ModelApprovalStatus } from "@aws-sdk/client-sagemaker";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { z } from "zod";
import { readTarMembers } from "./model/artifact";
import { currentChampion } from "./model/champion";
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
import { modelName, parseS3Uri } from "./model/names";
import { getObjectBytes, type ModelHandlerDeps, type S3Api } from "./model/ports";
import { buildModelPackage } from "./model/registry";
import type { PromoteSettings } from "./model/settings";

/**
 * The promote function: on "SageMaker Training Job State Change" (Completed) for one of our jobs, read
 * metrics.json from the new artifact, apply the metric gate against the champion scored on the same windows,
 * register the model, deploy it when it wins, and record the decision. A repeated event finds the record and
 * does nothing.
 */

export const trainingJobEventSchema = () =>
  z.object({
    source: z.literal("aws.sagemaker"),
    "detail-type": z.literal("SageMaker Training Job State Change"),
    detail: z.object({ TrainingJobName: z.string().min(1), TrainingJobStatus: z.string() }),
  });
export type TrainingJobEvent = z.infer<ReturnType<typeof trainingJobEventSchema>>;

export type PromoteDeps = ModelHandlerDeps<PromoteSettings>;

export type PromoteResult =
  | { readonly handled: false; readonly reason: string }
  | { readonly handled: true; readonly duplicate: boolean; readonly record: DecisionRecord };

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
  readonly modelVersion?: string;
}

async function evaluate(s3: S3Api, artifactUri: string, settings: PromoteSettings): Promise<Evaluated> {
  const { bucket, key } = parseS3Uri(artifactUri);
  const archive = await getObjectBytes(s3, bucket, key);
  if (!archive)
    return { outcome: "invalid-artifact", reason: `model artifact ${artifactUri} does not exist` };
  let metrics: GateMetrics;
  let modelVersion: string | undefined;
  try {
    const members = await readTarMembers(archive, ["metrics.json", "model_version"]);
    const text = members.get("metrics.json");
    if (!text) return { outcome: "invalid-artifact", reason: `${artifactUri} has no metrics.json` };
    metrics = parseGateMetrics(text.toString("utf8"));
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
    modelVersion,
  };
}

async function promote(event: unknown, deps: PromoteDeps): Promise<PromoteResult> {
  const { sagemaker, s3, settings, obs } = deps;
  const { logger, metrics } = obs;
  const now = deps.now ?? (() => new Date());

  const parsed = trainingJobEventSchema().safeParse(event);
  if (!parsed.success) {
    const reason = `not a SageMaker training job state change: ${parsed.error.issues.map((i) => i.path.join(".") + " " + i.message).join("; ")}`;
    logger.warn("promote ignored event", { reason });
    return { handled: false, reason };
  }
  const { TrainingJobName: job, TrainingJobStatus: status } = parsed.data.detail;
  if (!job.startsWith(`${settings.jobNamePrefix}-`))
    return { handled: false, reason: `${job} is not one of ours` };
  if (status !== "Completed") return { handled: false, reason: `${job} is ${status}, not Completed` };

  const key = decisionKey(settings.decisionsPrefix, job);
  const existing = await readDecision(s3, settings.artifactsBucket, settings.decisionsPrefix, job);
  if (existing) {
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

  let evaluated = await evaluate(s3, artifactUri, settings);
  const serving = await currentChampion(sagemaker, settings.endpointName);
  if (evaluated.outcome === "promoted" && scoredAgainst !== serving.modelName) {
    // Another model went live while this one trained: its win was against a model that no longer serves.
    evaluated = {
      ...evaluated,
      outcome: "stale-champion",
      reason: `scored against ${scoredAgainst ?? "an unknown model"}, but the endpoint now serves ${serving.modelName}`,
    };
  }
  if (evaluated.outcome === "promoted") {
    const pin = await readPin(s3, settings.artifactsBucket, settings.pinKey);
    if (pin) {
      evaluated = {
        ...evaluated,
        outcome: "held-pinned",
        reason: `${evaluated.reason}; held: endpoint pinned to version ${pin.version} by ${pin.pinned_by} (${pin.reason})`,
      };
    }
  }

  const spec: ModelSpec = {
    modelName: modelName(job),
    image: settings.inferenceImage,
    modelDataUrl: artifactUri,
    environment: inferenceEnvironment(
      settings.inferenceEntryPoint,
      settings.inferenceCodeDir,
      settings.region,
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
  const first = await writeOnce(s3, settings.artifactsBucket, key, record);
  logger.info("promotion decision", { ...record, recordWritten: first });
  metrics.addMetric(
    evaluated.outcome === "promoted" ? "ModelPromoted" : "ModelNotPromoted",
    MetricUnit.Count,
    1,
  );
  return { handled: true, duplicate: !first, record };
}

/** Handles one event; buffered metrics are flushed whatever happens. */
export async function handlePromote(event: unknown, deps: PromoteDeps): Promise<PromoteResult> {
  try {
    return await promote(event, deps);
  } finally {
    deps.obs.metrics.publishStoredMetrics();
  }
}
