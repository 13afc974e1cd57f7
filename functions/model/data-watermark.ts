import { z } from "zod";
import { byAge, getObjectBytes, listJsonObjects, type ObjectRef, type S3Api } from "./ports";

/**
 * "Is there processed data the last training has not seen?"
 *
 * Every ETL run writes one manifest, `runs/<run_id>.json`, in the processed bucket (docs/architecture.md). A
 * training job is tagged with the newest manifest that existed when it started (its key and S3 LastModified):
 * that is its data watermark. Retraining is due when a manifest newer than the last completed training's
 * watermark reports demand rows written. Manifests are ordered by (LastModified, key), not by run id, because
 * the run id format belongs to the ETL and a clock-ordered listing does not depend on it.
 */

/** Tag keys on training jobs (tags survive in DescribeTrainingJob-independent ListTags). */
export const TAG_DATA_RUN = "warecast:data-run";
export const TAG_DATA_AS_OF = "warecast:data-as-of";
export const TAG_CHAMPION_MODEL = "warecast:champion-model";

export type ManifestRef = ObjectRef;

/** The newest manifest a training job saw. */
export interface Watermark {
  readonly key: string;
  readonly asOf: Date;
}

/** The part of a run manifest this decision reads; the rest of the manifest is the ETL's business. */
const manifestSchema = () =>
  z.object({
    run_id: z.string().optional(),
    demand_rows_written: z.number().int().min(0),
  });

export type NewDataVerdict =
  | { readonly due: true; readonly reason: string; readonly latest: ManifestRef; readonly newRuns: number }
  | { readonly due: false; readonly reason: string; readonly latest?: ManifestRef; readonly newRuns: number };

function newer(a: ManifestRef, than: Watermark): boolean {
  const dt = a.lastModified.getTime() - than.asOf.getTime();
  return dt > 0 || (dt === 0 && a.key > than.key);
}

/** Lists every run manifest (`<runsPrefix>*.json`), oldest first. */
export async function listManifests(s3: S3Api, bucket: string, runsPrefix: string): Promise<ManifestRef[]> {
  return listJsonObjects(s3, bucket, runsPrefix);
}

/**
 * Decides whether retraining is due. `readRowsWritten` returns a manifest's `demand_rows_written`, or undefined
 * when the manifest cannot be read as one; such a manifest counts as new data, because training once too often
 * costs a spot job while never training again costs the forecast.
 */
export async function decideNewData(
  manifests: readonly ManifestRef[],
  last: Watermark | undefined,
  readRowsWritten: (ref: ManifestRef) => Promise<number | undefined>,
): Promise<NewDataVerdict> {
  if (manifests.length === 0) return { due: false, reason: "no ETL run manifest yet", newRuns: 0 };
  const sorted = [...manifests].sort(byAge);
  const latest = sorted[sorted.length - 1];
  const fresh = last ? sorted.filter((m) => newer(m, last)) : sorted;
  if (fresh.length === 0) {
    return { due: false, reason: `no ETL run since ${last?.key ?? "?"}`, latest, newRuns: 0 };
  }
  // Newest first: the common case decides on the first manifest read.
  for (const ref of [...fresh].reverse()) {
    const rows = await readRowsWritten(ref);
    if (rows === undefined) {
      return {
        due: true,
        reason: `run manifest ${ref.key} is unreadable; treated as new data`,
        latest,
        newRuns: fresh.length,
      };
    }
    if (rows > 0) {
      return { due: true, reason: `${ref.key} wrote ${rows} demand rows`, latest, newRuns: fresh.length };
    }
  }
  return {
    due: false,
    reason: `${fresh.length} new ETL run(s) wrote no demand rows`,
    latest,
    newRuns: fresh.length,
  };
}

/** Reads `demand_rows_written` from a manifest object, or undefined when it is not a valid manifest. */
export async function readRowsWritten(
  s3: S3Api,
  bucket: string,
  ref: ManifestRef,
): Promise<number | undefined> {
  const bytes = await getObjectBytes(s3, bucket, ref.key);
  if (!bytes) return undefined;
  try {
    const parsed = manifestSchema().safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
    return parsed.success ? parsed.data.demand_rows_written : undefined;
  } catch {
    return undefined;
  }
}

/** The watermark stored in a training job's tags, if both tags are present and well-formed. */
export function watermarkFromTags(tags: readonly { Key?: string; Value?: string }[]): Watermark | undefined {
  const get = (k: string) => tags.find((t) => t.Key === k)?.Value;
  const key = get(TAG_DATA_RUN);
  const asOf = get(TAG_DATA_AS_OF);
  if (!key || !asOf) return undefined;
  const date = new Date(asOf);
  return Number.isNaN(date.getTime()) ? undefined : { key, asOf: date };
}
