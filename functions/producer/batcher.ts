import { FIREHOSE_LIMITS, type BatchLimits } from "./limits";
import type { EncodedRecord } from "./types";

/**
 * Packs records into batches that fit one PutRecordBatch call: at most `maxRecordsPerBatch` records and
 * `maxBatchBytes` bytes. A record larger than `maxRecordBytes` can never be sent; `add` refuses it with a reason
 * and the caller reports it as invalid.
 */
export class Batcher {
  private records: EncodedRecord[] = [];
  private bytes = 0;

  constructor(readonly limits: BatchLimits = FIREHOSE_LIMITS) {
    if (limits.maxRecordBytes > limits.maxBatchBytes) {
      throw new Error("Batcher: maxRecordBytes must not exceed maxBatchBytes");
    }
  }

  /** Why `data` can never be sent, or undefined when it fits the per-record limit. */
  oversize(data: Buffer): string | undefined {
    if (data.length <= this.limits.maxRecordBytes) return undefined;
    return `record too large: ${data.length} bytes; Firehose accepts at most ${this.limits.maxRecordBytes} bytes per record`;
  }

  /**
   * Adds a record. Returns the batch that had to be closed to make room for it (send it), or undefined.
   * Throws if the record is oversize: check `oversize` first.
   */
  add(record: EncodedRecord): EncodedRecord[] | undefined {
    const size = record.data.length;
    const why = this.oversize(record.data);
    if (why) throw new Error(why);
    let full: EncodedRecord[] | undefined;
    if (
      this.records.length >= this.limits.maxRecordsPerBatch ||
      this.bytes + size > this.limits.maxBatchBytes
    ) {
      full = this.take();
    }
    this.records.push(record);
    this.bytes += size;
    return full;
  }

  /** The records added since the last full batch (possibly empty); resets the batcher. */
  take(): EncodedRecord[] {
    const out = this.records;
    this.records = [];
    this.bytes = 0;
    return out;
  }

  get pending(): number {
    return this.records.length;
  }
}
