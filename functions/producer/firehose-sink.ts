import { PutRecordBatchCommand, type PutRecordBatchCommandOutput } from "@aws-sdk/client-firehose";
import { DEFAULT_RETRY_POLICY, backoffDelay, sleep, validateRetryPolicy, type RetryPolicy } from "./backoff";
import type { BatchOutcome, EncodedRecord, EventSink } from "./types";

/** The one Firehose call the sink makes; a FirehoseClient satisfies it, and tests inject fakes. */
export interface PutRecordBatchClient {
  send(command: PutRecordBatchCommand): Promise<PutRecordBatchCommandOutput>;
}

export interface FirehoseSinkOptions {
  /** The client (AWS SDK v3). Its own retries cover whole-call transport errors; this sink adds per-record ones. */
  readonly client: PutRecordBatchClient;
  /** Delivery stream name. */
  readonly streamName: string;
  /** Retry bound and backoff. Default DEFAULT_RETRY_POLICY (8 attempts, 100 ms base, 10 s cap). */
  readonly retry?: RetryPolicy;
  /** Injected for tests. Default Math.random / setTimeout. */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Whole-call errors worth retrying: throttling, 5xx and network faults. Anything else fails the batch at once. */
export function isRetryableError(err: unknown): boolean {
  const e = err as {
    name?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    code?: string;
  };
  if (e?.$retryable) return true;
  if (e?.name === "ServiceUnavailableException" || e?.name === "ThrottlingException") return true;
  if ((e?.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "TimeoutError"].includes(
    e?.code ?? e?.name ?? "",
  );
}

const afterAttempts = (n: number): string => `after ${n} attempt${n === 1 ? "" : "s"}`;

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
}

/**
 * Sends batches with PutRecordBatch. A record counts as delivered only when Firehose answered it with a RecordId
 * and no ErrorCode. On a partial failure only the failed records are re-sent, after an exponential, jittered
 * delay, up to `retry.maxAttempts` attempts; what is still refused then is reported as failed with the last
 * ErrorCode.
 */
export class FirehoseSink implements EventSink {
  readonly description: string;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: FirehoseSinkOptions) {
    if (!opts.streamName) throw new Error("FirehoseSink: streamName is required");
    this.retry = validateRetryPolicy(opts.retry ?? DEFAULT_RETRY_POLICY);
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? sleep;
    this.description = `firehose:${opts.streamName}`;
  }

  async send(batch: readonly EncodedRecord[]): Promise<BatchOutcome> {
    let pending: readonly EncodedRecord[] = batch;
    let delivered = 0;
    let retried = 0;
    const failed: { record: EncodedRecord; reason: string }[] = [];
    let fatal: string | undefined;

    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) {
        retried += pending.length;
        await this.sleep(backoffDelay(attempt - 1, this.retry, this.random));
      }
      const lastAttempt = attempt >= this.retry.maxAttempts;
      let out: PutRecordBatchCommandOutput;
      try {
        out = await this.opts.client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: this.opts.streamName,
            Records: pending.map((r) => ({ Data: r.data })),
          }),
        );
      } catch (err) {
        const retryable = isRetryableError(err);
        if (lastAttempt || !retryable) {
          const reason = `${describeError(err)} (${afterAttempts(attempt)})`;
          for (const record of pending) failed.push({ record, reason });
          // A call refused outright (no such stream, access denied, no region) will be refused every time.
          if (!retryable) fatal = describeError(err);
          break;
        }
        continue;
      }

      const responses = out.RequestResponses ?? [];
      const next: EncodedRecord[] = [];
      const reasons: string[] = [];
      pending.forEach((record, i) => {
        const res = responses[i];
        if (res?.RecordId && !res.ErrorCode) {
          delivered++;
        } else {
          next.push(record);
          // A missing entry is not an acceptance: without a RecordId we cannot claim delivery.
          reasons.push(
            res?.ErrorCode ? `${res.ErrorCode}: ${res.ErrorMessage ?? ""}`.trim() : "no RecordId in response",
          );
        }
      });
      if (next.length > 0 && lastAttempt) {
        next.forEach((record, i) =>
          failed.push({ record, reason: `${reasons[i]} (${afterAttempts(attempt)})` }),
        );
        break;
      }
      pending = next;
    }
    return { delivered, retried, failed, ...(fatal ? { fatal } : {}) };
  }

  async close(): Promise<void> {
    // Nothing buffered: every send resolves only after Firehose has answered.
  }
}
