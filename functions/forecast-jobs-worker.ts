import type { SQSEvent, SQSBatchResponse } from "aws-lambda";
import {
  jobMessageSchema,
  partName,
  jobKey,
  type ForecastJobs,
  type JobDocument,
  type JobMessage,
} from "./forecast-jobs";
import { parseJsonEvent, recordRejected } from "./lambda-wiring";
import type { PredictDeps } from "./predict/deps";
import { forecast, toSeriesForecasts } from "./predict/forecast-service";
import { ApiProblem } from "./predict/problem";
import { seriesKey } from "./predict/series-state";

export interface JobWorkerDeps {
  readonly predict: PredictDeps;
  readonly jobs: ForecastJobs;
  /** Series per endpoint call (at most the endpoint's 1,000). */
  readonly chunkSize: number;
  /** Time left in this invocation, ms (Lambda's getRemainingTimeInMillis; Infinity locally). */
  readonly remainingMs: () => number;
  /** Below this much time left, the worker hands the rest of the job to a new message. */
  readonly handOverMs: number;
}

function refreshProgress(doc: JobDocument): void {
  const parts = doc.parts.filter(Boolean);
  const failed = parts.reduce((n, p) => n + p.failed.length, 0);
  doc.progress = {
    series_total: doc.progress.series_total,
    series_done: parts.reduce((n, p) => n + p.series_count, 0) + failed,
    series_failed: failed,
  };
}

/**
 * Runs one unit of a job: forecasts chunks from `cursor` on, writing one NDJSON part per chunk, until done or
 * until little time is left, then re-enqueues the rest. Idempotent: a redelivered message rewrites the same
 * parts. An unavailable endpoint throws, so the queue retries later; any other failure fails the job.
 */
export async function processJobMessage(message: JobMessage, deps: JobWorkerDeps): Promise<void> {
  const { logger } = deps.predict.obs;
  const now = () => (deps.predict.now ?? (() => new Date()))();
  const doc = await deps.jobs.load(message.job_id);
  if (!doc) {
    logger.error("job message for an unknown job", { job_id: message.job_id });
    return;
  }
  if (doc.status === "succeeded" || doc.status === "failed") return;
  const { series } = await deps.jobs.request(doc.job_id);
  doc.status = "running";
  let cursor = message.cursor;
  try {
    while (cursor < series.length) {
      if (deps.remainingMs() < deps.handOverMs) {
        await deps.jobs.queue.enqueue({ job_id: doc.job_id, cursor });
        break;
      }
      const index = Math.floor(cursor / deps.chunkSize);
      const chunk = series.slice(cursor, cursor + deps.chunkSize);
      const found = await deps.predict.seriesState.get(chunk);
      const present = chunk.filter((k) => found.has(seriesKey(k.warehouse_id, k.sku)));
      const failed = chunk
        .filter((k) => !found.has(seriesKey(k.warehouse_id, k.sku)))
        .map((k) => ({ ...k, reason: "no data for this series in series_state" }));
      let lines = "";
      if (present.length > 0) {
        const outcome = await forecast(deps.predict, present, {
          horizon: doc.horizon,
          quantiles: doc.quantiles,
        });
        doc.model_version = outcome.response.model_version;
        lines = toSeriesForecasts(outcome)
          .map((f) => JSON.stringify(f) + "\n")
          .join("");
      }
      const key = jobKey(doc.job_id, partName(index));
      await deps.jobs.store.put(key, lines, "application/x-ndjson");
      doc.parts[index] = { key, series_count: present.length, failed };
      refreshProgress(doc);
      doc.updated_at = now().toISOString();
      await deps.jobs.save(doc);
      cursor += deps.chunkSize;
    }
    if (cursor >= series.length) {
      doc.status = "succeeded";
      doc.updated_at = now().toISOString();
      await deps.jobs.save(doc);
      logger.info("forecast job done", { job_id: doc.job_id, progress: doc.progress });
    }
  } catch (err) {
    if (err instanceof ApiProblem && err.kind === "unavailable") {
      doc.updated_at = now().toISOString();
      await deps.jobs.save(doc);
      throw err;
    }
    doc.status = "failed";
    doc.error = err instanceof ApiProblem ? err.detail : `internal error: ${(err as Error).message}`;
    doc.updated_at = now().toISOString();
    await deps.jobs.save(doc);
    logger.error("forecast job failed", { job_id: doc.job_id, error: err as Error });
  }
}

/**
 * The worker λ's SQS handler: reports the messages to retry (ReportBatchItemFailures). A message that is not a
 * job message is logged whole and counted, and reported too: after the queue's receive limit it rests in the
 * dead-letter queue, where an operator finds it (nothing is deleted unread).
 */
export async function handleJobQueue(event: SQSEvent, deps: JobWorkerDeps): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  const { obs } = deps.predict;
  for (const record of event.Records) {
    const message = parseJsonEvent(jobMessageSchema, record.body, "a forecast job message");
    if (!message.ok) {
      recordRejected(obs, message.reason, record.body, { messageId: record.messageId });
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      await processJobMessage(message.value, deps);
    } catch (err) {
      obs.logger.warn("job message will be retried", { messageId: record.messageId, error: err as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  await obs.metrics.publishStoredMetrics();
  return { batchItemFailures: failures };
}
