import { getObjectBytes, listJsonObjects, type S3Api } from "./ports";

/**
 * Promotions waiting for the endpoint. SageMaker refuses an UpdateEndpoint while another update runs, and a
 * blue/green rollout with its bake time outlasts Lambda's two asynchronous retries (about three minutes), so a
 * winner that finds the endpoint busy is parked here instead: one marker per training job at
 * `<decisionsPrefix>deferred/<job>.json`. The next "SageMaker Endpoint State Change" event of the stack's
 * endpoint re-runs the decision for every marker; the marker goes once a decision record exists.
 */

export const DEFERRAL_SCHEMA_VERSION = 1;

export interface Deferral {
  readonly schema_version: typeof DEFERRAL_SCHEMA_VERSION;
  readonly training_job: string;
  readonly deferred_at: string;
  readonly reason: string;
  /** The endpoint config the running update was moving to, when SageMaker said. */
  readonly pending_endpoint_config?: string;
}

export function deferralPrefix(decisionsPrefix: string): string {
  return `${decisionsPrefix}deferred/`;
}

export function deferralKey(decisionsPrefix: string, trainingJob: string): string {
  return `${deferralPrefix(decisionsPrefix)}${trainingJob}.json`;
}

/** Parks a job; a repeated deferral of the same job keeps its first marker's time. */
export async function writeDeferral(
  s3: S3Api,
  bucket: string,
  decisionsPrefix: string,
  deferral: Deferral,
): Promise<Deferral> {
  const key = deferralKey(decisionsPrefix, deferral.training_job);
  const earlier = await getObjectBytes(s3, bucket, key);
  const first = earlier
    ? {
        ...deferral,
        deferred_at: (JSON.parse(Buffer.from(earlier).toString("utf8")) as Deferral).deferred_at,
      }
    : deferral;
  await s3.putObject({
    Bucket: bucket,
    Key: key,
    Body: `${JSON.stringify(first, null, 2)}\n`,
    ContentType: "application/json",
  });
  return first;
}

/**
 * The parked jobs, newest first: when several wait, the newest was trained on the most data, and once one of
 * them is promoted the others were scored against a model that no longer serves.
 */
export async function listDeferred(s3: S3Api, bucket: string, decisionsPrefix: string): Promise<string[]> {
  const prefix = deferralPrefix(decisionsPrefix);
  const refs = await listJsonObjects(s3, bucket, prefix);
  return refs.reverse().map((r) => r.key.slice(prefix.length, -".json".length));
}

/** The parked jobs' markers, newest first (what `warecast model status` shows). */
export async function readDeferrals(s3: S3Api, bucket: string, decisionsPrefix: string): Promise<Deferral[]> {
  const jobs = await listDeferred(s3, bucket, decisionsPrefix);
  const out: Deferral[] = [];
  for (const job of jobs) {
    const bytes = await getObjectBytes(s3, bucket, deferralKey(decisionsPrefix, job));
    if (bytes) out.push(JSON.parse(Buffer.from(bytes).toString("utf8")) as Deferral);
  }
  return out;
}

export async function clearDeferral(
  s3: S3Api,
  bucket: string,
  decisionsPrefix: string,
  trainingJob: string,
): Promise<void> {
  await s3.deleteObject({ Bucket: bucket, Key: deferralKey(decisionsPrefix, trainingJob) });
}
