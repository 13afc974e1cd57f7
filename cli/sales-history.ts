import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { WIDE_DEFAULTS } from "../functions/producer/importers/defaults";
import { detectInputFormat, InputFormatError, type InputFormat } from "./demo/input-format";
import { UsageError } from "./usage";

/**
 * `--data` of train, backtest and tune: the sales history `warecast demo` and `import` read (a long or wide daily
 * CSV), or a demand_daily Parquet directory as `warecast etl` writes it. model/ reads long CSV and Parquet, so a
 * wide file is handed over as the long CSV it pivots to — every cell as written, so model/data.py checks and counts
 * the rows as it does any long file.
 */

export const SALES_HISTORY_HELP =
  "sales history: a long CSV (date,warehouse_id,sku,units_sold[,promo,unit_price,on_hand]; .csv or .csv.gz), a wide daily CSV like the bundled sample (DATE,QTY_<item>…[,PROMO_<item>…]), or a demand_daily Parquet directory";

export interface SalesHistory {
  /** What model/ reads: the file itself, or the long CSV a wide file became. */
  readonly path: string;
  readonly format: InputFormat | "parquet" | "long-csv-gz";
  /** Removes the converted copy, if one was written. */
  cleanup(): void;
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * The wide daily layout as long rows: one per (DATE, QTY_<sku>) cell, with PROMO_<sku> when present, for the
 * warehouse the wide importer uses. Malformed CSV rows cannot be pivoted: each is printed with its line and
 * counted. Returns the rows written and the malformed rows.
 */
export async function wideToLong(
  file: string,
  out: string,
  warehouseId: string = WIDE_DEFAULTS.warehouseId,
): Promise<{ rows: number; malformed: number }> {
  // Loaded here: the producer's input code pulls in the event schema's validator, which --help need not load.
  const { readCsvRows } = await import("../functions/producer/input");
  const sink = fs.createWriteStream(out);
  const write = (s: string) =>
    sink.write(s) ? Promise.resolve() : new Promise<void>((r) => sink.once("drain", () => r()));
  await write("date,warehouse_id,sku,units_sold,promo\n");
  let rows = 0;
  let malformed = 0;
  let columns: { date: string; items: [sku: string, qty: string, promo?: string][] } | undefined;
  for await (const row of readCsvRows(file)) {
    if ("error" in row) {
      malformed++;
      process.stderr.write(`${file}:${row.ref.line}: ${row.error} (not used)\n`);
      continue;
    }
    if (!columns) {
      const names = Object.keys(row.record);
      const date = names.find((c) => c.toUpperCase() === "DATE") ?? "DATE";
      const promo = new Map(names.flatMap((c) => (/^PROMO_/i.test(c) ? [[c.slice(6), c] as const] : [])));
      const items = names.filter((c) => /^QTY_/i.test(c)).map((c) => [c.slice(4), c, promo.get(c.slice(4))]);
      columns = { date, items: items as [string, string, string?][] };
    }
    const date = csvCell(row.record[columns.date] ?? "");
    let chunk = "";
    for (const [sku, qty, promo] of columns.items) {
      const p = promo === undefined ? "" : csvCell(row.record[promo] ?? "");
      chunk += `${date},${csvCell(warehouseId)},${csvCell(sku)},${csvCell(row.record[qty] ?? "")},${p}\n`;
      rows++;
    }
    await write(chunk);
  }
  await new Promise<void>((resolve, reject) =>
    sink.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return { rows, malformed };
}

/** Resolves `--data` to what model/ reads; a usage error for a missing file or one of no accepted form. */
export async function salesHistory(data: string): Promise<SalesHistory> {
  const file = path.resolve(data);
  const keep = { cleanup: () => undefined };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new UsageError(`--data: ${file} does not exist`);
  }
  if (stat.isDirectory() || file.endsWith(".parquet")) return { path: file, format: "parquet", ...keep };
  if (file.toLowerCase().endsWith(".csv.gz")) return { path: file, format: "long-csv-gz", ...keep };
  let format: InputFormat;
  try {
    format = await detectInputFormat(file);
  } catch (err) {
    if (err instanceof InputFormatError) throw new UsageError(`--data: ${err.message}`);
    throw err;
  }
  if (format === "long-csv") return { path: file, format, ...keep };
  if (format === "events-ndjson") {
    throw new UsageError(
      `--data: ${file} holds events, not sales history; turn them into demand first: ` +
        `warecast ingest ${data} --local .warecast/raw && warecast etl, then --data .warecast/processed/demand_daily ` +
        `(or run \`warecast demo --data ${data}\`). Accepted here: ${SALES_HISTORY_HELP}.`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-history-"));
  const long = path.join(dir, `${path.basename(file, path.extname(file))}.long.csv`);
  const { malformed } = await wideToLong(file, long);
  if (malformed > 0)
    process.stderr.write(`--data: ${malformed} malformed CSV row(s) in ${file} were not used\n`);
  return { path: long, format, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
