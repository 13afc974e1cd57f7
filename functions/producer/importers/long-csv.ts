import { readCsvRows, type ByteCounter } from "../input";
import type { InputItem } from "../types";
import { importedEventId } from "./event-id";
import { isIsoDate, zonedTimestamp } from "./zoned-time";

/** The common long sales-history layout: `date, warehouse_id, sku, units_sold[, promo, unit_price, on_hand]`. */
export const LONG_REQUIRED = ["date", "warehouse_id", "sku", "units_sold"] as const;
export const LONG_OPTIONAL = ["promo", "unit_price", "on_hand"] as const;

export interface LongCsvOptions {
  /** IANA zone of the warehouses: sales occur at local noon, stock is counted at 23:59:59 local. */
  readonly timeZone: string;
  /** ISO 4217 code added to events that carry a unit_price. Default: none. */
  readonly currency?: string;
}

export interface LongCsvReport {
  rows: number;
  /** Header columns outside the layout; they are not imported. */
  ignoredColumns: string[];
}

/** True when a CSV header has the long layout's required columns (case-insensitive). */
export function isLongHeader(columns: readonly string[]): boolean {
  const have = new Set(columns.map((c) => c.toLowerCase()));
  return LONG_REQUIRED.every((c) => have.has(c));
}

/** An optional non-negative number cell: undefined when empty, null when it is not one. */
function optionalAmount(cell: string): number | undefined | null {
  if (cell === "") return undefined;
  const n = Number(cell);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

const TRUE = new Set(["1", "true", "yes", "y"]);
const FALSE = new Set(["0", "false", "no", "n"]);

/**
 * Per row, a `sale` event (quantity = units_sold, with promo and unit_price when given) and, when on_hand is
 * given, an `inventory_snapshot` at the end of the local day. A cell that does not convert makes the row's
 * events invalid with the column named; a repeated (warehouse_id, sku, date) is invalid too.
 */
export async function* readLongCsv(
  file: string,
  opts: LongCsvOptions,
  report: LongCsvReport,
  counter?: ByteCounter,
): AsyncGenerator<InputItem> {
  const seen = new Map<string, number>();
  let col: Record<string, string> | undefined;

  for await (const row of readCsvRows(file, counter)) {
    report.rows++;
    if ("error" in row) {
      yield { ref: row.ref, raw: row.raw, error: row.error };
      continue;
    }
    if (!col) {
      col = {};
      for (const name of Object.keys(row.record)) {
        const key = name.toLowerCase();
        if (
          (LONG_REQUIRED as readonly string[]).includes(key) ||
          (LONG_OPTIONAL as readonly string[]).includes(key)
        )
          col[key] = name;
        else report.ignoredColumns.push(name);
      }
      const missing = LONG_REQUIRED.filter((c) => !(c in col!));
      if (missing.length) throw new Error(`${file}: missing column(s) ${missing.join(", ")} in the header`);
    }
    const cell = (name: string): string =>
      col![name] === undefined ? "" : (row.record[col![name]] ?? "").trim();
    const fail = (error: string): InputItem => ({ ref: row.ref, raw: row.raw, error });

    const date = cell("date");
    const warehouseId = cell("warehouse_id");
    const sku = cell("sku");
    if (!isIsoDate(date)) {
      yield fail(`date "${date}" is not a date (expected YYYY-MM-DD)`);
      continue;
    }
    const units = optionalAmount(cell("units_sold"));
    if (units === undefined || units === null) {
      yield fail(`units_sold "${cell("units_sold")}" is not a number ≥ 0`);
      continue;
    }
    let promo: boolean | undefined;
    const promoCell = cell("promo").toLowerCase();
    if (promoCell !== "") {
      if (TRUE.has(promoCell)) promo = true;
      else if (FALSE.has(promoCell)) promo = false;
      else {
        yield fail(`promo "${cell("promo")}" is not a flag (0/1, true/false, yes/no)`);
        continue;
      }
    }
    const unitPrice = optionalAmount(cell("unit_price"));
    if (unitPrice === null) {
      yield fail(`unit_price "${cell("unit_price")}" is not a number ≥ 0`);
      continue;
    }
    const onHand = optionalAmount(cell("on_hand"));
    if (onHand === null) {
      yield fail(`on_hand "${cell("on_hand")}" is not a number ≥ 0`);
      continue;
    }
    const key = `${warehouseId}\u0000${sku}\u0000${date}`;
    const first = seen.get(key);
    if (first !== undefined) {
      yield fail(`duplicate row for ${warehouseId}/${sku} on ${date} (first at line ${first})`);
      continue;
    }
    seen.set(key, row.ref.line);

    // warehouse_id and sku are not checked here: the schema reports a bad one with its pattern.
    const sale = {
      schema_version: 1,
      event_id: importedEventId("sale", warehouseId, sku, date),
      event_type: "sale",
      occurred_at: zonedTimestamp(date, "12:00:00", opts.timeZone),
      warehouse_id: warehouseId,
      sku,
      quantity: units,
      ...(promo === undefined ? {} : { promo }),
      ...(unitPrice === undefined ? {} : { unit_price: unitPrice }),
      ...(unitPrice !== undefined && opts.currency ? { currency: opts.currency } : {}),
    };
    yield { ref: row.ref, raw: row.raw, value: sale, payload: JSON.stringify(sale) };
    if (onHand !== undefined) {
      const snapshot = {
        schema_version: 1,
        event_id: importedEventId("inventory_snapshot", warehouseId, sku, date),
        event_type: "inventory_snapshot",
        occurred_at: zonedTimestamp(date, "23:59:59", opts.timeZone),
        warehouse_id: warehouseId,
        sku,
        on_hand: onHand,
      };
      yield { ref: row.ref, raw: row.raw, value: snapshot, payload: JSON.stringify(snapshot) };
    }
  }
}
