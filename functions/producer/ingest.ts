import { Batcher } from "./batcher";
import { FIREHOSE_LIMITS, type BatchLimits } from "./limits";
import { createEventValidator, type EventValidator } from "./schema";
import type { EncodedRecord, EventSink, InputItem, Rejection, SourceRef } from "./types";

/** Live counters, passed to `onProgress` as they change. */
export interface IngestCounts {
  /** Records read from the input (blank lines are not records). */
  read: number;
  /** Records that parsed and passed the schema (and size) checks. */
  valid: number;
  /** Records rejected before sending; none of them was sent. */
  invalid: number;
  /** Records the sink accepted. */
  sent: number;
  /** Record re-sends after partial failures (one record retried twice counts twice). */
  retried: number;
  /** Valid records the sink still refused after its retries. */
  failed: number;
}

export interface IngestSummary extends IngestCounts {
  readonly sink: string;
  readonly elapsedMs: number;
  /** Valid records handled per second of wall time (sent + failed, over the whole run). */
  readonly recordsPerSecond: number;
  /** Rejections by reason (first reason of each record), for the summary. */
  readonly reasons: Readonly<Record<string, number>>;
  /** Why the run stopped before the end of its input (the sink refused everything); absent when it did not. */
  readonly stopped?: { readonly reason: string; readonly after: SourceRef };
}

export interface IngestOptions {
  /** Called for every record that is not delivered, as it happens (print it, write the reject file). */
  readonly onReject?: (rejection: Rejection) => void;
  /** Called after counters change (at least every batch). */
  readonly onProgress?: (counts: Readonly<IngestCounts>) => void;
  /** Schema validator; default compiles schemas/event.schema.json once per call. */
  readonly validator?: EventValidator;
  /** Batches in flight at once. Default 4: enough to keep Firehose busy without reordering much. */
  readonly maxInFlight?: number;
  /** Batch limits; default Firehose's PutRecordBatch limits. */
  readonly limits?: BatchLimits;
}

/** Groups reasons for the summary: `/quantity must be >= 0`, `InternalFailure`, `not valid JSON`. */
function reasonKey(reason: string): string {
  const first = reason.split("; ")[0].replace(/ \(after \d+ attempts?\)$/, "");
  const head = first.split(": ")[0];
  // "Code: message" groups by code; a generic "Error: message" keeps its message.
  return head === "Error" || head === "not sent" ? first : head;
}

/**
 * The producer: validates every item against the event schema, never sends an invalid one, batches the valid
 * ones within PutRecordBatch limits and hands them to the sink, with at most `maxInFlight` batches pending.
 * Every record ends in exactly one of: sent, invalid, failed. The sink is not closed here (the caller may
 * reuse it); `sent` counts what the sink accepted.
 */
export async function ingestItems(
  items: AsyncIterable<InputItem>,
  sink: EventSink,
  opts: IngestOptions = {},
): Promise<IngestSummary> {
  const started = performance.now();
  const validate = opts.validator ?? createEventValidator();
  const maxInFlight = opts.maxInFlight ?? 4;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new Error(`maxInFlight must be an integer ≥ 1, got ${maxInFlight}`);
  }
  const batcher = new Batcher(opts.limits ?? FIREHOSE_LIMITS);
  const counts: IngestCounts = { read: 0, valid: 0, invalid: 0, sent: 0, retried: 0, failed: 0 };
  const reasons: Record<string, number> = {};
  const reject = (r: Rejection) => {
    if (r.stage === "invalid") counts.invalid++;
    else counts.failed++;
    const key = `${r.stage}: ${reasonKey(r.reason)}`;
    reasons[key] = (reasons[key] ?? 0) + 1;
    opts.onReject?.(r);
  };

  const inFlight = new Set<Promise<void>>();
  let sinkError: unknown;
  let fatal: string | undefined;
  let lastRef: SourceRef | undefined;
  const dispatch = async (batch: EncodedRecord[]) => {
    if (batch.length === 0) return;
    const p = sink
      .send(batch)
      .then((outcome) => {
        counts.sent += outcome.delivered;
        counts.retried += outcome.retried;
        for (const f of outcome.failed) {
          reject({
            stage: "failed",
            ref: f.record.ref,
            reason: f.reason,
            raw: f.record.data.toString("utf8").trimEnd(),
          });
        }
        fatal ??= outcome.fatal;
        opts.onProgress?.(counts);
      })
      .catch((err: unknown) => {
        sinkError ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    if (sinkError) throw sinkError;
  };

  for await (const item of items) {
    counts.read++;
    lastRef = item.ref;
    if (item.error !== undefined || item.payload === undefined) {
      reject({
        stage: "invalid",
        ref: item.ref,
        reason: item.error ?? "no payload",
        raw: item.raw,
        rawBytes: item.rawBytes,
      });
    } else {
      const problems = validate(item.value);
      // One record per line is what keeps objects NDJSON; only hand-built payloads could break it.
      if (/[\r\n]/.test(item.payload))
        problems.push("record contains a line break (NDJSON needs one per line)");
      const data = problems.length === 0 ? Buffer.from(item.payload + "\n", "utf8") : undefined;
      const tooBig = data && batcher.oversize(data);
      if (!data || tooBig) {
        reject({ stage: "invalid", ref: item.ref, reason: tooBig || problems.join("; "), raw: item.raw });
      } else {
        counts.valid++;
        const full = batcher.add({ ref: item.ref, data });
        if (full) await dispatch(full);
      }
    }
    if (counts.read % 5000 === 0) opts.onProgress?.(counts);
    if (fatal) break;
  }
  if (fatal) {
    // Validated but never offered to a sink that refuses everything: failed, so valid = sent + failed holds.
    for (const record of batcher.take()) {
      const raw = record.data.toString("utf8").trimEnd();
      reject({ stage: "failed", ref: record.ref, reason: `not sent: ${fatal}`, raw });
    }
  } else {
    await dispatch(batcher.take());
  }
  await Promise.all(inFlight);
  if (sinkError) throw sinkError;
  opts.onProgress?.(counts);

  const elapsedMs = performance.now() - started;
  return {
    ...counts,
    sink: sink.description,
    elapsedMs,
    recordsPerSecond: elapsedMs > 0 ? ((counts.sent + counts.failed) * 1000) / elapsedMs : 0,
    reasons,
    ...(fatal && lastRef ? { stopped: { reason: fatal, after: lastRef } } : {}),
  };
}
