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

/** Reads one file's items, counting the bytes it pulls from disk into `counter`. */
export type FileReader = (file: string, index: number, counter: ByteCounter) => AsyncIterable<InputItem>;

/**
 * Runs files through the producer (ingestItems) with `read`, reporting progress by bytes read of the files'
 * total size, then closes the sink. The summary's time includes closing it. Shared by ingestFiles and the
 * importers.
 */
export async function runFiles(
  files: readonly string[],
  read: FileReader,
  sink: EventSink,
  opts: Omit<IngestOptions, "onProgress"> & { readonly onProgress?: (p: FileProgress) => void } = {},
): Promise<IngestSummary> {
  if (files.length === 0) throw new Error("no input files given");
  const bytesTotal = (await fileSizes(files)).reduce((a, b) => a + b, 0);
  const counter: ByteCounter = { bytes: 0 };
  async function* all(): AsyncGenerator<InputItem> {
    for (const [i, f] of files.entries()) yield* read(f, i, counter);
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
  return withElapsed(summary, performance.now() - started);
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
  const summary = await runFiles(
    files,
    (f, _i, counter) => readInputFile(f, counter, opts.format),
    sink,
    opts,
  );
  return { ...summary, files: files.length };
}

/** The summary re-timed to include closing the sink (the local store's last flush), so records/s is honest. */
export function withElapsed<T extends IngestSummary>(summary: T, elapsedMs: number): T {
  const handled = summary.sent + summary.failed;
  return { ...summary, elapsedMs, recordsPerSecond: elapsedMs > 0 ? (handled * 1000) / elapsedMs : 0 };
}
