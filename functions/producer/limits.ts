/**
 * Firehose PutRecordBatch service limits
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html).
 */
export const FIREHOSE_LIMITS = {
  /** Records per PutRecordBatch call. */
  maxRecordsPerBatch: 500,
  /** Bytes per call, all records together (4 MiB). */
  maxBatchBytes: 4 * 1024 * 1024,
  /** Bytes per record before base64 encoding (1,000 KiB). */
  maxRecordBytes: 1000 * 1024,
} as const;

export type BatchLimits = {
  readonly maxRecordsPerBatch: number;
  readonly maxBatchBytes: number;
  readonly maxRecordBytes: number;
};
