import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type {
  GetJobRunsCommandInput,
  GetJobRunsCommandOutput,
  JobRun,
  StartJobRunCommandInput,
  StartJobRunCommandOutput,
} from "@aws-sdk/client-glue";
import type { ListObjectsV2CommandInput, ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { z } from "zod";
import { parseEvent, recordRejected } from "./lambda-wiring";
import type { Observability } from "./powertools";

/**
 * The glue-trigger function: starts the ETL job when raw events land, without ever running it twice at once.
 *
 * It receives these EventBridge events (triggerEventSchema; any other is rejected, logged whole and counted):
 * - S3 "Object Created" under the raw bucket's `events/` prefix: start the job unless a run is in progress. Data
 *   that lands during a run is not lost: the run's completion (below) picks it up.
 * - Glue "Glue Job State Change" of our job to SUCCEEDED: start again at once when raw objects arrived after that
 *   run started (it may not have seen them), so late-landing data is processed without waiting for more data.
 *   Failed runs are not retried in a loop; the safety-net schedule and the next object retry them.
 * - the safety-net schedule ("Scheduled Event"): start the job unless a run is in progress.
 * - with `minIntervalMinutes` > 0, a catch-up tick every that many minutes ("ETL Catch-up", sent by the
 *   EtlPipeline's own rule): start when raw objects landed since the newest run started.
 *
 * `minIntervalMinutes` batches landing data: the object and run-completion paths (and the catch-up tick) do not
 * start a run while the newest one started less than that long ago. Data that lands meanwhile is taken by the
 * first trigger after the interval, at worst the catch-up tick, so it waits at most about twice the interval. Each
 * Glue run has a fixed cost (start-up, minimum billing), so at a steady trickle of Firehose objects this trades
 * freshness for Glue minutes (docs/capacity.md). The safety-net schedule ignores it.
 *
 * Duplicated events are harmless: a second delivery finds the run in progress (or Glue refuses a second one with
 * ConcurrentRunsExceededException: the job's max concurrency is 1), and a run with nothing new to read commits
 * an empty manifest (the job keeps its own record of processed objects).
 */

export interface GlueApi {
  getJobRuns(input: GetJobRunsCommandInput): Promise<GetJobRunsCommandOutput>;
  startJobRun(input: StartJobRunCommandInput): Promise<StartJobRunCommandOutput>;
}

export interface S3ListApi {
  listObjectsV2(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput>;
}

/**
 * What the EtlPipeline hands the function (WARECAST_GLUE_TRIGGER_SETTINGS), parsed at cold start
 * (functions/lambda-wiring.ts).
 */
export const glueTriggerSettingsSchema = () =>
  z.object({
    /** The ETL job's name. */
    jobName: z.string().min(1),
    /** The raw bucket. */
    rawBucket: z.string().min(3),
    /** Prefix of raw events, `events/`. */
    eventsPrefix: z.string().min(1),
    /** Least minutes between the starts of runs that landing data triggers; 0 or absent: start at once. */
    minIntervalMinutes: z.number().int().min(0).max(1440).optional(),
  });
export type GlueTriggerSettings = Readonly<z.infer<ReturnType<typeof glueTriggerSettingsSchema>>>;
export const GLUE_TRIGGER_SETTINGS_VARIABLE = "WARECAST_GLUE_TRIGGER_SETTINGS";

export interface GlueTriggerDeps {
  readonly glue: GlueApi;
  readonly s3: S3ListApi;
  readonly settings: GlueTriggerSettings;
  readonly obs: Observability;
  /** The clock (tests pin it). Default: the system clock. */
  readonly now?: () => Date;
}

/** The event the EtlPipeline's catch-up rule sends (its target's fixed input) when batching is on. */
export const CATCH_UP_SOURCE = "warecast.etl";
export const CATCH_UP_DETAIL_TYPE = "ETL Catch-up";

/**
 * The EventBridge events the function's rules deliver, with the fields it reads: S3 "Object Created", the job's
 * "Glue Job State Change", the safety-net schedule and the catch-up tick. Anything else is rejected.
 */
export const triggerEventSchema = () => {
  const envelope = { id: z.string().optional(), source: z.string(), time: z.string().optional() };
  return z.discriminatedUnion("detail-type", [
    z.object({
      ...envelope,
      "detail-type": z.literal("Object Created"),
      detail: z.object({
        bucket: z.object({ name: z.string().min(1) }),
        object: z.object({ key: z.string().min(1) }),
      }),
    }),
    z.object({
      ...envelope,
      "detail-type": z.literal("Glue Job State Change"),
      detail: z.object({ jobName: z.string().min(1), jobRunId: z.string().min(1), state: z.string().min(1) }),
    }),
    z.object({ ...envelope, "detail-type": z.literal("Scheduled Event") }),
    z.object({
      ...envelope,
      source: z.literal(CATCH_UP_SOURCE),
      "detail-type": z.literal(CATCH_UP_DETAIL_TYPE),
    }),
  ]);
};
export type TriggerEvent = z.infer<ReturnType<typeof triggerEventSchema>>;

export type TriggerResult =
  | { readonly action: "started"; readonly jobRunId: string; readonly reason: string }
  | { readonly action: "skipped" | "rejected"; readonly reason: string };

/** Glue run states in which a new run must not start. (An array: a captured Set does not survive serialization.) */
const ACTIVE: readonly string[] = ["STARTING", "RUNNING", "STOPPING", "WAITING"];

/** When the newest run started less than the interval ago, why the trigger waits; else undefined. */
function batching(deps: GlueTriggerDeps, newest: JobRun | undefined): string | undefined {
  const minutes = deps.settings.minIntervalMinutes ?? 0;
  if (minutes <= 0 || !newest?.StartedOn) return undefined;
  const ago = ((deps.now ?? (() => new Date()))().getTime() - new Date(newest.StartedOn).getTime()) / 60_000;
  if (ago >= minutes) return undefined;
  return `run ${newest.Id} started ${ago.toFixed(1)} min ago; runs start at most every ${minutes} min (etlMinIntervalMinutes), and the next trigger after that takes this data`;
}

function newestRun(runs: readonly JobRun[]): JobRun | undefined {
  return runs
    .filter((r) => r.StartedOn)
    .reduce<JobRun | undefined>(
      (a, r) => (!a || new Date(r.StartedOn!) > new Date(a.StartedOn!) ? r : a),
      undefined,
    );
}

/**
 * Starts the job unless one of its runs is active (or, for triggers by landing data, unless the newest run started
 * within the batching interval, or nothing landed since). Glue's own concurrency limit settles any race.
 */
async function startUnlessRunning(
  deps: GlueTriggerDeps,
  reason: string,
  when: { readonly batched?: boolean; readonly onlyNewData?: boolean } = {},
): Promise<TriggerResult> {
  const { glue, settings } = deps;
  const runs = (await glue.getJobRuns({ JobName: settings.jobName, MaxResults: 10 })).JobRuns ?? [];
  const active = runs.find((r) => r.JobRunState && ACTIVE.includes(r.JobRunState));
  if (active) {
    return {
      action: "skipped",
      reason: `run ${active.Id} is ${active.JobRunState}; its completion re-checks`,
    };
  }
  const newest = newestRun(runs);
  const wait = when.batched ? batching(deps, newest) : undefined;
  if (wait) return { action: "skipped", reason: wait };
  if (when.onlyNewData && newest?.StartedOn && !(await newerObjectExists(deps, new Date(newest.StartedOn)))) {
    return { action: "skipped", reason: `no raw object arrived after run ${newest.Id} started` };
  }
  try {
    const started = await glue.startJobRun({ JobName: settings.jobName });
    return { action: "started", jobRunId: started.JobRunId ?? "", reason };
  } catch (err) {
    if (errorName(err) === "ConcurrentRunsExceededException") {
      return {
        action: "skipped",
        reason: "another trigger started a run first (ConcurrentRunsExceededException)",
      };
    }
    throw err;
  }
}

/** True when a raw event object was written after `since` (keys sort by their dt= arrival date). */
async function newerObjectExists(deps: GlueTriggerDeps, since: Date): Promise<boolean> {
  const { s3, settings } = deps;
  const day = since.toISOString().slice(0, 10);
  let token: string | undefined;
  do {
    const page = await s3.listObjectsV2({
      Bucket: settings.rawBucket,
      Prefix: settings.eventsPrefix,
      // Objects that arrived since the run started sit in partitions dated that day or later.
      StartAfter: `${settings.eventsPrefix}dt=${day}`,
      ContinuationToken: token,
    });
    if ((page.Contents ?? []).some((o) => o.LastModified && new Date(o.LastModified) > since)) return true;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return false;
}

type JobStateEvent = Extract<TriggerEvent, { "detail-type": "Glue Job State Change" }>;

async function afterRun(deps: GlueTriggerDeps, event: JobStateEvent): Promise<TriggerResult> {
  const { jobName, jobRunId, state } = event.detail;
  if (jobName !== deps.settings.jobName) return { action: "skipped", reason: `not our job (${jobName})` };
  if (state !== "SUCCEEDED")
    return { action: "skipped", reason: `run ${jobRunId} ended ${state}; not retried here` };
  const runs = await deps.glue.getJobRuns({ JobName: jobName, MaxResults: 10 });
  const run = (runs.JobRuns ?? []).find((r) => r.Id === jobRunId);
  const since = run?.StartedOn ? new Date(run.StartedOn) : event.time ? new Date(event.time) : undefined;
  if (!since) return { action: "skipped", reason: `run ${jobRunId} has no start time to compare with` };
  if (!(await newerObjectExists(deps, since))) {
    return { action: "skipped", reason: `no raw object arrived after run ${jobRunId} started` };
  }
  return startUnlessRunning(deps, `raw objects arrived during run ${jobRunId}`, { batched: true });
}

async function route(deps: GlueTriggerDeps, event: TriggerEvent): Promise<TriggerResult> {
  switch (event["detail-type"]) {
    case "Object Created": {
      const { bucket, object } = event.detail;
      // EventBridge spells keys URL-encoded (spaces as +).
      const decoded = decodeURIComponent(object.key.replace(/\+/g, " "));
      if (bucket.name !== deps.settings.rawBucket || !decoded.startsWith(deps.settings.eventsPrefix)) {
        return { action: "skipped", reason: `not a raw event object: ${bucket.name}/${decoded}` };
      }
      return startUnlessRunning(deps, `object created: ${decoded}`, { batched: true });
    }
    case "Glue Job State Change":
      return afterRun(deps, event);
    case "Scheduled Event":
      return startUnlessRunning(deps, "safety-net schedule");
    case CATCH_UP_DETAIL_TYPE:
      return startUnlessRunning(deps, "catch-up: raw objects landed since the newest run started", {
        batched: true,
        onlyNewData: true,
      });
  }
}

/**
 * Handles one EventBridge event. Throttling and other transient errors are rethrown after the SDK's own retries,
 * so Lambda's asynchronous retry (and the next event or schedule) tries again; nothing is swallowed silently.
 */
export async function handleGlueTrigger(event: unknown, deps: GlueTriggerDeps): Promise<TriggerResult> {
  const { logger, metrics } = deps.obs;
  const parsed = parseEvent(triggerEventSchema, event, "an event of the ETL trigger's rules");
  if (!parsed.ok) {
    recordRejected(deps.obs, parsed.reason, event);
    metrics.publishStoredMetrics();
    return { action: "rejected", reason: parsed.reason };
  }
  const { id: eventId, "detail-type": detailType } = parsed.value;
  try {
    const result = await route(deps, parsed.value);
    logger.info(`glue trigger ${result.action}`, { ...result, eventId, detailType });
    metrics.addMetric(
      result.action === "started" ? "EtlRunsStarted" : "EtlTriggersSkipped",
      MetricUnit.Count,
      1,
    );
    return result;
  } catch (err) {
    logger.error("glue trigger failed", { eventId, error: err as Error, throttled: isThrottling(err) });
    metrics.addMetric("EtlTriggerErrors", MetricUnit.Count, 1);
    throw err;
  } finally {
    metrics.publishStoredMetrics();
  }
}

function errorName(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "name" in err
    ? String((err as { name: unknown }).name)
    : undefined;
}

/** Glue and S3 throttling errors (the SDK already retried them with backoff). */
export function isThrottling(err: unknown): boolean {
  const name = errorName(err) ?? "";
  return ["ThrottlingException", "TooManyRequestsException", "SlowDown", "RequestLimitExceeded"].includes(
    name,
  );
}
