/** Where a record came from: the file (or stream name) and its 1-based line, for every report. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
}

/**
 * One input record on its way through the producer. Either `value` (a parsed object with `payload`, the exact
 * JSON text to send) or `error` (why it could not be parsed) is set.
 */
export interface InputItem {
  readonly ref: SourceRef;
  /** The original text of the record (an NDJSON line, a CSV row), kept for reject reports. */
  readonly raw: string;
  readonly value?: unknown;
  /** JSON text of `value` without the trailing newline; for NDJSON the original line, so no field is rewritten. */
  readonly payload?: string;
  readonly error?: string;
  /** The exact bytes of a rejected line when `raw` cannot show them (not UTF-8). */
  readonly rawBytes?: Uint8Array;
}

/** A record that passed validation, encoded as Firehose will store it (JSON + "\n"). */
export interface EncodedRecord {
  readonly ref: SourceRef;
  readonly data: Buffer;
}

/** Why a record was not delivered: rejected before sending (`invalid`) or refused by the sink (`failed`). */
export interface Rejection {
  readonly stage: "invalid" | "failed";
  readonly ref: SourceRef;
  readonly reason: string;
  readonly raw: string;
  /** The exact bytes, when `raw` (text) cannot hold them: written to the reject file as base64. */
  readonly rawBytes?: Uint8Array;
}

/** What a sink did with one batch. Every record of the batch is either delivered or listed in `failed`. */
export interface BatchOutcome {
  /** Records the destination accepted (for Firehose: a RecordId and no ErrorCode). */
  readonly delivered: number;
  /** Record re-sends made while delivering this batch (a record retried twice counts twice). */
  readonly retried: number;
  readonly failed: readonly { readonly record: EncodedRecord; readonly reason: string }[];
  /**
   * Set when the destination cannot take anything more (e.g. the stream does not exist, access denied): every
   * later batch would fail the same way, so the producer stops reading input.
   */
  readonly fatal?: string;
}

/** A destination for validated records: Firehose, or the local store in Firehose's layout. */
export interface EventSink {
  /** Human-readable destination for summaries, e.g. `firehose:warecast-dev-events` or a directory. */
  readonly description: string;
  /** Sends one batch that is already within PutRecordBatch limits (see batcher.ts). */
  send(batch: readonly EncodedRecord[]): Promise<BatchOutcome>;
  /** Flushes and releases what the sink holds. Records are only durable after close resolves. */
  close(): Promise<void>;
}
