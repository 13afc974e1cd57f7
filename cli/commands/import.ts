import * as path from "node:path";
import type { Command } from "commander";
import { closedDaysPath } from "../../functions/producer/importers/calendar";
import { WIDE_DEFAULTS } from "../../functions/producer/importers/defaults";
import type { ImportFormat, ImportSummary } from "../../functions/producer/importers/import";
import { addSinkOptions, sinkFromFlags, type SinkFlags } from "../producer/sink-options";
import { runReported } from "../producer/report";
import { UsageError } from "../usage";

interface ImportFlags extends SinkFlags {
  format: ImportFormat;
  warehouse?: string;
  tz?: string;
  currency?: string;
  calendar?: string;
}

/** `warecast import <files…>`: sales history (wide daily or long CSV) → events with deterministic ids. */
export function register(program: Command): void {
  addSinkOptions(
    program
      .command("import")
      .description(
        "Turn sales-history CSV (the wide daily pasta layout, or long date,warehouse_id,sku,units_sold[,promo,unit_price,on_hand]) into events with deterministic ids and send them like `ingest`",
      )
      .argument("<files...>", "sales-history CSV files")
      .option("--format <format>", "auto, wide or long", "auto")
      .option("--warehouse <id>", `warehouse id for wide files (default ${WIDE_DEFAULTS.warehouseId})`)
      .option(
        "--tz <zone>",
        `IANA time zone of the warehouse(s) (default ${WIDE_DEFAULTS.timeZone} for wide files, UTC for long)`,
      )
      .option("--currency <code>", "ISO 4217 code for unit_price (long files)")
      .option(
        "--calendar <path>",
        "closed-days calendar to merge wide files' closed days into (default with --local: <dir>/calendar/closed-days.json)",
      ),
  ).action(async (files: string[], flags: ImportFlags) => {
    if (!["auto", "wide", "long"].includes(flags.format)) {
      throw new UsageError(`--format must be auto, wide or long, got "${flags.format}"`);
    }
    if (flags.currency && !/^[A-Z]{3}$/.test(flags.currency)) {
      throw new UsageError(`--currency must be an ISO 4217 code such as EUR, got "${flags.currency}"`);
    }
    const { sink, localRoot } = await sinkFromFlags(flags);
    const calendarFile = flags.calendar
      ? path.resolve(flags.calendar)
      : localRoot
        ? closedDaysPath(localRoot)
        : undefined;
    const options = {
      format: flags.format,
      warehouseId: flags.warehouse,
      timeZone: flags.tz,
      currency: flags.currency,
      calendarFile,
      maxInFlight: flags.maxInFlight,
    };
    const { importFiles } = await import("../../functions/producer/importers/import");
    await runReported(
      "import",
      flags,
      (live) => importFiles(files, sink, { ...options, ...live }),
      fileNotes,
    );
  });
}

/** Per file: layout, rows, and for wide files the warehouse, date span and closed days; then the calendar. */
function fileNotes(summary: ImportSummary): string[] {
  const notes: string[] = [];
  for (const f of summary.files) {
    let line = `  ${f.file}: ${f.format}, ${f.rows.toLocaleString("en-US")} rows`;
    if (f.format === "wide") {
      line += `, ${f.warehouseId} ${f.firstDate ?? "?"}…${f.lastDate ?? "?"}, ${f.closedDays?.length ?? 0} closed day(s)`;
      if (f.closedDays?.length) {
        line += ` (${f.closedDays.slice(0, 5).join(", ")}${f.closedDays.length > 5 ? ", …" : ""})`;
      }
    }
    if (f.ignoredColumns.length) line += `; ignored columns: ${f.ignoredColumns.join(", ")}`;
    notes.push(line);
  }
  if (summary.calendarFile) notes.push(`  closed days written to ${summary.calendarFile}`);
  return notes;
}
