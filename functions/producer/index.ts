/**
 * The producer library: what `warecast ingest` / `warecast import` run, and what local mode and the API call.
 * Sinks and the core loop (ingestItems) have no CSV dependency, so a Lambda can import them alone from their
 * modules; file readers and importers use csv-parse (a CLI dependency).
 */
export { FIREHOSE_LIMITS, type BatchLimits } from "./limits";
export type { BatchOutcome, EncodedRecord, EventSink, InputItem, Rejection, SourceRef } from "./types";
export { createEventValidator, EVENT_SCHEMA, type EventValidator } from "./schema";
export { Batcher } from "./batcher";
export { DEFAULT_RETRY_POLICY, backoffDelay, type RetryPolicy } from "./backoff";
export { FirehoseSink, type FirehoseSinkOptions, type PutRecordBatchClient } from "./firehose-sink";
export { LocalStoreSink, localObjectKey, type LocalStoreSinkOptions } from "./local-store-sink";
export { ingestItems, type IngestCounts, type IngestOptions, type IngestSummary } from "./ingest";
export { ingestFiles, type FileProgress, type IngestFilesOptions } from "./files";
export { detectFormat, readInputFile, type InputFormat } from "./input";
export { RejectFile } from "./rejects";
export {
  importFile,
  importFiles,
  WIDE_DEFAULTS,
  type FileImportReport,
  type ImportFormat,
  type ImportOptions,
  type ImportSummary,
} from "./importers/import";
export { importedEventId } from "./importers/event-id";
export {
  CLOSED_DAYS_KEY,
  closedDaysPath,
  mergeClosedDays,
  readClosedDays,
  type ClosedDaysCalendar,
} from "./importers/calendar";
