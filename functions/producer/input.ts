import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { parse as parseCsv, type CsvError } from "csv-parse";
import { parseLine } from "./record-rules";
import { propertyKinds, type PropertyKind } from "./schema";
import type { InputItem } from "./types";

/** Input formats of `warecast ingest`: one event per NDJSON line, or one per CSV row with a header. */
export type InputFormat = "ndjson" | "csv";

/** Counts bytes pulled from a file, so progress can be shown against its size. */
export interface ByteCounter {
  bytes: number;
}

/** Picks the format from the name: `.csv[.gz]` is CSV; `.ndjson`, `.jsonl`, `.json` (and `.gz`) are NDJSON. */
export function detectFormat(file: string): InputFormat {
  const base = file.toLowerCase().replace(/\.gz$/, "");
  if (base.endsWith(".csv")) return "csv";
  if (base.endsWith(".ndjson") || base.endsWith(".jsonl") || base.endsWith(".json")) return "ndjson";
  throw new Error(`${file}: unknown input format (expected .ndjson, .jsonl, .json or .csv, optionally .gz)`);
}

/** A file as a text stream, gunzipped when its name ends in .gz, counting the bytes read from disk. */
export function openText(file: string, counter?: ByteCounter): Readable {
  const raw = fs.createReadStream(file);
  if (counter) raw.on("data", (chunk) => (counter.bytes += chunk.length));
  const text = file.toLowerCase().endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  // Surface a read error of the file (e.g. ENOENT) on the stream the caller iterates.
  if (text !== raw) raw.on("error", (err) => text.destroy(err));
  return text;
}

/**
 * One item per NDJSON line that is not blank, split on `\n` only (as the ETL splits raw objects), checked by
 * the line rules the ETL shares (record-rules.ts); the line itself is the payload, so unknown fields pass
 * untouched. A file that cannot be read to its end (a truncated or corrupt .gz) yields its complete lines, then
 * one `unreadable_object` item for the rest, so the run still ends with a summary.
 */
export async function* readNdjson(file: string, counter?: ByteCounter): AsyncGenerator<InputItem> {
  let line = 0;
  let pending: Buffer = Buffer.alloc(0);
  const item = (bytes: Buffer): InputItem | undefined => {
    line++;
    if (/^[ \t\r]*$/.test(bytes.toString("latin1"))) return undefined;
    const ref = { file, line };
    const parsed = parseLine(bytes);
    if ("code" in parsed)
      return { ref, raw: bytes.toString("utf8"), rawBytes: bytes, error: `${parsed.code}: ${parsed.detail}` };
    const text = parsed.text.replace(/^[ \t]+|[ \t]+$/g, "");
    return { ref, raw: text, value: parsed.value, payload: text };
  };
  try {
    for await (const chunk of openText(file, counter) as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let start = 0;
      for (let end = pending.indexOf(0x0a); end !== -1; end = pending.indexOf(0x0a, start)) {
        const next = item(pending.subarray(start, end));
        start = end + 1;
        if (next) yield next;
      }
      pending = pending.subarray(start);
    }
  } catch (err) {
    const reason = `unreadable_object: ${(err as Error).message} after line ${line} (the lines before it were read)`;
    yield { ref: { file, line: line + 1 }, raw: pending.toString("utf8"), rawBytes: pending, error: reason };
    return;
  }
  const last = pending.length ? item(pending) : undefined;
  if (last) yield last;
}

/**
 * Coerces one CSV cell to the JSON type the schema gives its column. An empty cell means "absent". A cell
 * that does not convert stays a string, so schema validation reports it with the column's name.
 */
export function coerceCell(kind: PropertyKind | undefined, cell: string): unknown {
  switch (kind) {
    case "number":
    case "integer": {
      const n = cell.trim() === "" ? NaN : Number(cell);
      return Number.isFinite(n) ? n : cell;
    }
    case "boolean": {
      const b = cell.trim().toLowerCase();
      if (b === "true" || b === "1") return true;
      if (b === "false" || b === "0") return false;
      return cell;
    }
    case "object":
      try {
        return JSON.parse(cell);
      } catch {
        return cell;
      }
    default:
      return cell;
  }
}

/**
 * One item per CSV data row. The header names the event fields (schema property names); cells are coerced to
 * the schema's types, empty cells are left out, and unknown columns are carried as strings. A malformed row
 * (e.g. a wrong number of cells) is reported and skipped; the rows after it are still read.
 */
export async function* readEventCsv(file: string, counter?: ByteCounter): AsyncGenerator<InputItem> {
  const kinds = propertyKinds();
  for await (const row of readCsvRows(file, counter)) {
    if ("error" in row) {
      yield { ref: row.ref, raw: row.raw, error: row.error };
      continue;
    }
    const value: Record<string, unknown> = {};
    for (const [col, cell] of Object.entries(row.record)) {
      if (cell === "") continue;
      value[col] = coerceCell(kinds.get(col), cell);
    }
    yield { ref: row.ref, raw: row.raw, value, payload: JSON.stringify(value) };
  }
}

export type CsvRow =
  | {
      readonly ref: { file: string; line: number };
      readonly raw: string;
      readonly record: Record<string, string>;
    }
  | { readonly ref: { file: string; line: number }; readonly raw: string; readonly error: string };

/**
 * CSV rows with a header (columns trimmed), each with its 1-based line and raw text. Shared by event CSV input
 * and the sales-history importers.
 */
export async function* readCsvRows(file: string, counter?: ByteCounter): AsyncGenerator<CsvRow> {
  const skipped: CsvRow[] = [];
  const parser = openText(file, counter).pipe(
    parseCsv({
      columns: (header: string[]) => header.map((h) => h.trim()),
      bom: true,
      info: true,
      raw: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined, raw: string | undefined) => {
        skipped.push({
          ref: { file, line: typeof err?.lines === "number" ? err.lines : 0 },
          raw: (raw ?? "").replace(/\r?\n$/, ""),
          error: `malformed CSV row: ${err?.message ?? "unknown error"}`,
        });
        return undefined;
      },
    }),
  );
  for await (const item of parser as AsyncIterable<{
    record: Record<string, string>;
    raw: string;
    info: { lines: number };
  }>) {
    // The parser runs ahead of this loop: report a skipped row only once the rows before it are out.
    while (skipped.length && skipped[0].ref.line < item.info.lines) yield skipped.shift()!;
    yield { ref: { file, line: item.info.lines }, raw: item.raw.replace(/\r?\n$/, ""), record: item.record };
  }
  while (skipped.length) yield skipped.shift()!;
}

/** Reads one input file of either format. */
export function readInputFile(
  file: string,
  counter?: ByteCounter,
  format?: InputFormat,
): AsyncGenerator<InputItem> {
  const fmt = format ?? detectFormat(file);
  return fmt === "csv" ? readEventCsv(file, counter) : readNdjson(file, counter);
}

/** Sizes of the given files on disk (for progress), failing early with the name of a missing file. */
export async function fileSizes(files: readonly string[]): Promise<number[]> {
  return Promise.all(
    files.map(async (f) => {
      let stat: fs.Stats;
      try {
        stat = await fs.promises.stat(f);
      } catch (err) {
        throw new Error(`${path.normalize(f)}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
      }
      if (!stat.isFile()) throw new Error(`${path.normalize(f)}: is a directory, not an input file`);
      return stat.size;
    }),
  );
}
