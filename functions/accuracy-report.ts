/**
 * Reads the `accuracy` table (written by the ETL: etl/accuracy_run.py) for the API and the dashboard page: the
 * newest days' rows over all model versions, per warehouse group and for all warehouses (`__all__`).
 *
 * The table is partitioned by `date` (`accuracy/date=YYYY-MM-DD/*.parquet`), so only the newest partitions are
 * fetched. Storage and Parquet decoding are injected, as for series_state: the same code runs over S3 and over the
 * local workspace.
 */
import type { ObjectStore } from "./predict/object-store";
import type { ParquetDecoder } from "./predict/series-state";

export const ACCURACY_PREFIX = "accuracy/";
/** The `group` / `model_version` value of a roll-up row (etl/accuracy.py `ALL`). */
export const ALL = "__all__";

/** One day's accuracy for one group (the table's row over all model versions). */
export interface AccuracyRow {
  readonly date: string;
  readonly group: string;
  readonly n: number;
  readonly abs_error: number;
  readonly actual: number;
  readonly error: number;
  /** Null when Σ actual is 0 (undefined, not 0). */
  readonly wape: number | null;
  readonly bias: number | null;
}

export interface AccuracyReport {
  /** Newest date first; within a date `__all__` first, then groups in order. */
  readonly rows: AccuracyRow[];
}

const PARTITION = /(?:^|\/)date=(\d{4}-\d{2}-\d{2})\//;

function num(v: unknown, field: string): number {
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n))
    throw new Error(`accuracy: ${field} is not a number (${String(v)})`);
  return n;
}

function numOrNull(v: unknown, field: string): number | null {
  return v === null || v === undefined ? null : num(v, field);
}

/** The newest `days` dates' rows (default 14). Empty when the ETL has not evaluated any served forecast yet. */
export async function readAccuracy(
  store: ObjectStore,
  decode: ParquetDecoder,
  options: { days?: number } = {},
): Promise<AccuracyReport> {
  const days = options.days ?? 14;
  if (!Number.isInteger(days) || days < 1 || days > 366)
    throw new Error(`readAccuracy: days must be an integer from 1 to 366; got ${days}`);
  const files = (await store.list(ACCURACY_PREFIX))
    .map((o) => ({ o, date: PARTITION.exec(o.key)?.[1] }))
    .filter(
      (f): f is { o: (typeof f)["o"]; date: string } => f.date !== undefined && f.o.key.endsWith(".parquet"),
    );
  const newest = [...new Set(files.map((f) => f.date))].sort().reverse().slice(0, days);
  const rows: AccuracyRow[] = [];
  for (const date of newest) {
    for (const { o } of files.filter((f) => f.date === date)) {
      const obj = await store.get(o.key);
      if (!obj) continue;
      for (const r of await decode(obj.body)) {
        if (r.model_version !== ALL) continue;
        rows.push({
          date,
          group: String(r.group),
          n: num(r.n, "n"),
          abs_error: num(r.abs_error, "abs_error"),
          actual: num(r.actual, "actual"),
          error: num(r.error, "error"),
          wape: numOrNull(r.wape, "wape"),
          bias: numOrNull(r.bias, "bias"),
        });
      }
    }
  }
  const rank = (g: string) => (g === ALL ? "" : g);
  rows.sort((a, b) => b.date.localeCompare(a.date) || rank(a.group).localeCompare(rank(b.group)));
  return { rows };
}
