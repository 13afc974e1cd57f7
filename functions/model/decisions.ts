import { z } from "zod";
import { errorName, getObjectBytes, httpStatus, type S3Api } from "./ports";

/**
 * Promotion decision records: one JSON object per training job at `<decisionsPrefix><job>.json` in the artifacts
 * bucket, written once (If-None-Match: *). Its existence is what makes a duplicated EventBridge event a no-op.
 * Operator actions (pin, rollback) are recorded the same way under `<decisionsPrefix>operator/`.
 */

export const DECISION_SCHEMA_VERSION = 1;

export type DecisionOutcome = "promoted" | "rejected" | "held-pinned" | "stale-champion" | "invalid-artifact";

export interface DecisionRecord {
  readonly schema_version: typeof DECISION_SCHEMA_VERSION;
  readonly decided_at: string;
  readonly training_job: string;
  readonly outcome: DecisionOutcome;
  readonly reason: string;
  readonly model_artifact?: string;
  readonly model_version?: string;
  readonly gate?: {
    readonly metric: string;
    readonly tolerance: number;
    readonly challenger?: number;
    readonly champion?: number;
    readonly threshold?: number;
  };
  readonly evaluation?: unknown;
  /** The model the endpoint served when the challenger was scored, and when the decision was made. */
  readonly champion_model?: string;
  readonly serving_model?: string;
  readonly model_package_arn?: string;
  readonly model_name?: string;
  readonly endpoint_config?: string;
  readonly endpoint?: string;
}

export function decisionKey(prefix: string, trainingJob: string): string {
  return `${prefix}${trainingJob}.json`;
}

/** The record already written for a job, if any. */
export async function readDecision(
  s3: S3Api,
  bucket: string,
  prefix: string,
  trainingJob: string,
): Promise<DecisionRecord | undefined> {
  const bytes = await getObjectBytes(s3, bucket, decisionKey(prefix, trainingJob));
  return bytes ? (JSON.parse(Buffer.from(bytes).toString("utf8")) as DecisionRecord) : undefined;
}

/**
 * Writes a record unless one exists. Returns false when another invocation got there first (HTTP 412), which
 * is the duplicate-event case: the first writer's record stands.
 */
export async function writeOnce(s3: S3Api, bucket: string, key: string, body: unknown): Promise<boolean> {
  try {
    await s3.putObject({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(body, null, 2)}\n`,
      ContentType: "application/json",
      IfNoneMatch: "*",
    });
    return true;
  } catch (err) {
    if (httpStatus(err) === 412 || errorName(err) === "PreconditionFailed") return false;
    throw err;
  }
}

/** The operator's pin: while present, promotions are recorded as held and the endpoint keeps this version. */
export const pinSchema = () =>
  z.object({
    model_package_arn: z.string().min(1),
    version: z.number().int().min(1),
    pinned_at: z.string(),
    pinned_by: z.string(),
    reason: z.string(),
  });
export type Pin = z.infer<ReturnType<typeof pinSchema>>;

export async function readPin(s3: S3Api, bucket: string, key: string): Promise<Pin | undefined> {
  const bytes = await getObjectBytes(s3, bucket, key);
  if (!bytes) return undefined;
  const parsed = pinSchema().safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
  if (!parsed.success)
    throw new Error(`pin file s3://${bucket}/${key} is malformed: ${parsed.error.message}`);
  return parsed.data;
}
