import { fileSizes, readInputFile, type ByteCounter, type InputFormat } from "./input";
import { ingestItems, type IngestCounts, type IngestOptions, type IngestSummary } from "./ingest";
import type { EventSink, InputItem } from "./types";

/** Progress of a file-based run: counters plus bytes read of the total input size. */
export interface FileProgress extends IngestCounts {
  readonly bytesRead: number;
  readonly bytesTotal: number;
}

export interface IngestFilesOptions extends Omit<IngestOptions, "onProgress"> {
  /** Forces the input format; default from each file's extension. */
  readonly format?: InputFormat;
  readonly onProgress?: (progress: FileProgress) => void;
}

/**
 * Reads, validates and sends every record of `files` (NDJSON or CSV, optionally gzipped) to `sink`, then closes
 * the sink. What `warecast ingest` runs; usable directly from local mode.
 */
export async function ingestFiles(
  files: readonly string[],
  sink: EventSink,
  opts: IngestFilesOptions = {},
): Promise<IngestSummary & { readonly files: number }> {
  if (files.length === 0) throw new Error("no input files given");
  const sizes = await fileSizes(files);
  const counter: ByteCounter = { bytes: 0 };
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  async function* all(): AsyncGenerator<InputItem> {
    for (const f of files) yield* readInputFile(f, counter, opts.format);
  }
  const onProgress = opts.onProgress;
  const started = performance.now();
  let summary: IngestSummary;
  try {
    summary = await ingestItems(all(), sink, {
      ...opts,
      onProgress: onProgress && ((c) => onProgress({ ...c, bytesRead: counter.bytes, bytesTotal })),
    });
  } finally {
    await sink.close();
  }
  return { ...withElapsed(summary, performance.now() - started), files: files.length };
}

/** The summary re-timed to include closing the sink (the local store's last flush), so records/s is honest. */
export function withElapsed<T extends IngestSummary>(summary: T, elapsedMs: number): T {
  const handled = summary.sent + summary.failed;
  return { ...summary, elapsedMs, recordsPerSecond: elapsedMs > 0 ? (handled * 1000) / elapsedMs : 0 };
}
