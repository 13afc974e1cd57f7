import { readCsvRows, type ByteCounter } from "../input";
import type { InputItem } from "../types";
import { importedEventId } from "./event-id";
import { dateRange, isIsoDate, zonedTimestamp } from "./zoned-time";

/**
 * The wide daily layout of the bundled pasta data (data/sample/pasta): one row per day, `DATE`, then
 * `QTY_<sku>` (units sold) and optional `PROMO_<sku>` (0/1) per item. Any file in this layout imports the same
 * way.
 */
export interface WideDailyOptions {
  /** Warehouse (store) id of every event; the layout has one store. */
  readonly warehouseId: string;
  /** IANA zone of the warehouse: each day's event occurs at local noon there. */
  readonly timeZone: string;
}

/** What the wide importer learnt while reading, beyond the events. */
export interface WideDailyReport {
  rows: number;
  skus: string[];
  firstDate?: string;
  lastDate?: string;
  /** Dates between the first and last row that have no row: the store was closed (see PROVENANCE.md). */
  closedDays: string[];
  /** Header columns that are neither DATE, QTY_* nor PROMO_*; they are not imported. */
  ignoredColumns: string[];
}

/** True when a CSV header looks like the wide daily layout. */
export function isWideDailyHeader(columns: readonly string[]): boolean {
  return columns.some((c) => c.toUpperCase() === "DATE") && columns.some((c) => /^QTY_/i.test(c));
}

const cellSnippet = (date: string, sku: string, qty: string, promo: string | undefined) =>
  `DATE=${date},QTY_${sku}=${qty}` + (promo === undefined ? "" : `,PROMO_${sku}=${promo}`);

/**
 * One `sale` event per (date, sku) cell pair, quantity 0 included: the daily ledger entry carries the promo
 * flag, which matters on zero-sale days too. A bad cell becomes an invalid item naming the column; a repeated
 * date is invalid (its events would collide with the first row's ids).
 */
export async function* readWideDaily(
  file: string,
  opts: WideDailyOptions,
  report: WideDailyReport,
  counter?: ByteCounter,
): AsyncGenerator<InputItem> {
  const seen = new Map<string, number>();
  let columns: { date: string; qty: Map<string, string>; promo: Map<string, string> } | undefined;

  for await (const row of readCsvRows(file, counter)) {
    report.rows++;
    if ("error" in row) {
      yield { ref: row.ref, raw: row.raw, error: row.error };
      continue;
    }
    if (!columns) {
      columns = { date: "", qty: new Map(), promo: new Map() };
      for (const col of Object.keys(row.record)) {
        const m = /^(QTY|PROMO)_(.+)$/i.exec(col);
        if (col.toUpperCase() === "DATE") columns.date = col;
        else if (m) (m[1].toUpperCase() === "QTY" ? columns.qty : columns.promo).set(m[2], col);
        else report.ignoredColumns.push(col);
      }
      for (const sku of columns.promo.keys()) {
        if (!columns.qty.has(sku)) report.ignoredColumns.push(columns.promo.get(sku)!);
      }
      report.skus = [...columns.qty.keys()];
    }
    const date = (row.record[columns.date] ?? "").trim();
    if (!isIsoDate(date)) {
      yield { ref: row.ref, raw: row.raw, error: `DATE "${date}" is not a date (expected YYYY-MM-DD)` };
      continue;
    }
    const first = seen.get(date);
    if (first !== undefined) {
      yield { ref: row.ref, raw: row.raw, error: `duplicate DATE ${date} (first at line ${first})` };
      continue;
    }
    seen.set(date, row.ref.line);

    const occurredAt = zonedTimestamp(date, "12:00:00", opts.timeZone);
    for (const [sku, qtyCol] of columns.qty) {
      const qtyCell = row.record[qtyCol].trim();
      const promoCol = columns.promo.get(sku);
      const promoCell = promoCol === undefined ? undefined : row.record[promoCol].trim();
      const raw = cellSnippet(date, sku, qtyCell, promoCell);
      const quantity = qtyCell === "" ? NaN : Number(qtyCell);
      if (!Number.isFinite(quantity) || quantity < 0) {
        yield { ref: row.ref, raw, error: `${qtyCol} "${qtyCell}" is not a number of units ≥ 0` };
        continue;
      }
      let promo: boolean | undefined;
      if (promoCell !== undefined && promoCell !== "") {
        if (promoCell !== "0" && promoCell !== "1") {
          yield { ref: row.ref, raw, error: `${promoCol} "${promoCell}" is not 0 or 1` };
          continue;
        }
        promo = promoCell === "1";
      }
      const value = {
        schema_version: 1,
        event_id: importedEventId("sale", opts.warehouseId, sku, date),
        event_type: "sale",
        occurred_at: occurredAt,
        warehouse_id: opts.warehouseId,
        sku,
        quantity,
        ...(promo === undefined ? {} : { promo }),
      };
      yield { ref: row.ref, raw, value, payload: JSON.stringify(value) };
    }
  }

  const dates = [...seen.keys()].sort();
  if (dates.length > 0) {
    report.firstDate = dates[0];
    report.lastDate = dates[dates.length - 1];
    report.closedDays = dateRange(dates[0], dates[dates.length - 1]).filter((d) => !seen.has(d));
  }
}
