import * as fs from "node:fs";
import { parse as parseCsvSync } from "csv-parse/sync";
import { runFiles, type FileProgress, type FileReader } from "../files";
import { fileSizes } from "../input";
import type { IngestOptions, IngestSummary } from "../ingest";
import type { EventSink } from "../types";
import { mergeClosedDays } from "./calendar";
import { WIDE_DEFAULTS } from "./defaults";
import { isLongHeader, readLongCsv, type LongCsvReport } from "./long-csv";
import { isWideDailyHeader, readWideDaily, type WideDailyReport } from "./wide-daily";
import { checkTimeZone, dateRange } from "./zoned-time";

export type ImportFormat = "auto" | "wide" | "long";

export { WIDE_DEFAULTS };

export interface ImportOptions extends Omit<IngestOptions, "onProgress"> {
  /** Input layout; default `auto` (from the header: DATE + QTY_* is wide, date/warehouse_id/sku/units_sold is long). */
  readonly format?: ImportFormat;
  /** Warehouse id of a wide file (the layout has no such column). Default `IT-PASTA-1`. */
  readonly warehouseId?: string;
  /** IANA zone of the warehouse(s). Default `Europe/Rome` for wide files, `UTC` for long ones. */
  readonly timeZone?: string;
  /** ISO 4217 code added to events with a unit_price (long files). Default: none. */
  readonly currency?: string;
  /** Calendar file to merge wide files' closed days into (e.g. `<raw>/calendar/closed-days.json`). Default: none. */
  readonly calendarFile?: string;
  readonly onProgress?: (progress: FileProgress) => void;
}

export interface FileImportReport {
  readonly file: string;
  readonly format: "wide" | "long";
  readonly rows: number;
  readonly ignoredColumns: readonly string[];
  /** Wide files: the warehouse, the date span, and the dates without a row (store closed). */
  readonly warehouseId?: string;
  readonly firstDate?: string;
  readonly lastDate?: string;
  readonly closedDays?: readonly string[];
}

export interface ImportSummary extends IngestSummary {
  readonly files: readonly FileImportReport[];
  /** The calendar file written, when closed days were found and `calendarFile` was given. */
  readonly calendarFile?: string;
}

/** The layout of a sales-history CSV, from its header line. */
export async function detectImportFormat(file: string): Promise<"wide" | "long"> {
  const handle = await fs.promises.open(file, "r");
  let head: string;
  try {
    const buf = Buffer.alloc(256 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    head = buf
      .subarray(0, bytesRead)
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/)[0];
  } finally {
    await handle.close();
  }
  const columns = (parseCsvSync(head)[0] ?? []).map((c: string) => c.trim());
  if (isWideDailyHeader(columns)) return "wide";
  if (isLongHeader(columns)) return "long";
  throw new Error(
    `${file}: unknown sales-history layout; expected a wide daily file (DATE, QTY_<sku>…, PROMO_<sku>…) or a long ` +
      `one (date, warehouse_id, sku, units_sold[, promo, unit_price, on_hand]); header starts ${JSON.stringify(columns.slice(0, 6))}`,
  );
}

/**
 * Turns sales-history CSV files into events with deterministic ids, validates them against the event schema
 * and sends them to `sink` (Firehose or the local store), then closes the sink. Wide files' closed days
 * (dates without a row) are reported and, with `calendarFile`, merged into the closed-days calendar.
 */
export async function importFiles(
  files: readonly string[],
  sink: EventSink,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  if (files.length === 0) throw new Error("no input files given");
  if (opts.timeZone) checkTimeZone(opts.timeZone);
  const warehouseId = opts.warehouseId ?? WIDE_DEFAULTS.warehouseId;
  await fileSizes(files); // a missing file fails here, by name, before any detection or send
  const formats = await Promise.all(
    files.map((f) => (opts.format && opts.format !== "auto" ? opts.format : detectImportFormat(f))),
  );
  const wideReports: (WideDailyReport | undefined)[] = [];
  const longReports: (LongCsvReport | undefined)[] = [];

  const read: FileReader = (file, i, counter) => {
    if (formats[i] === "wide") {
      const report: WideDailyReport = { rows: 0, skus: [], closedDays: [], ignoredColumns: [] };
      wideReports[i] = report;
      const timeZone = opts.timeZone ?? WIDE_DEFAULTS.timeZone;
      return readWideDaily(file, { warehouseId, timeZone }, report, counter);
    }
    const report: LongCsvReport = { rows: 0, ignoredColumns: [] };
    longReports[i] = report;
    return readLongCsv(file, { timeZone: opts.timeZone ?? "UTC", currency: opts.currency }, report, counter);
  };
  const summary = await runFiles(files, read, sink, opts);

  const reports: FileImportReport[] = files.map((file, i) => {
    const wide = wideReports[i];
    if (wide) {
      const { rows, ignoredColumns, firstDate, lastDate, closedDays } = wide;
      return { file, format: "wide", rows, ignoredColumns, warehouseId, firstDate, lastDate, closedDays };
    }
    const long = longReports[i]!;
    return { file, format: "long", rows: long.rows, ignoredColumns: long.ignoredColumns };
  });

  let calendarFile: string | undefined;
  if (opts.calendarFile) {
    for (const r of reports) {
      if (r.format !== "wide" || !r.firstDate || !r.lastDate) continue;
      const closed = new Set(r.closedDays);
      const open = new Set(dateRange(r.firstDate, r.lastDate).filter((d) => !closed.has(d)));
      await mergeClosedDays(opts.calendarFile, warehouseId, r.closedDays ?? [], open);
      calendarFile = opts.calendarFile;
    }
  }
  return { ...summary, files: reports, calendarFile };
}

/** One file: see importFiles. */
export function importFile(file: string, sink: EventSink, opts: ImportOptions = {}): Promise<ImportSummary> {
  return importFiles([file], sink, opts);
}
