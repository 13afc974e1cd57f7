import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The closed-days calendar (docs/architecture.md, "Closed-days calendar"): a JSON object mapping each
 * warehouse_id to the sorted YYYY-MM-DD dates it was closed, e.g. `{ "IT-PASTA-1": ["2014-04-20"] }`.
 * The ETL flags these days as closed instead of counting them as zero demand.
 */
export type ClosedDaysCalendar = Record<string, string[]>;

/** Where the calendar sits in a raw store (local directory or bucket): `calendar/closed-days.json`. */
export const CLOSED_DAYS_KEY = "calendar/closed-days.json";

export function closedDaysPath(rawRoot: string): string {
  return path.join(rawRoot, CLOSED_DAYS_KEY);
}

/** Reads a calendar file; a missing file is an empty calendar, a malformed one an error naming the file. */
export async function readClosedDays(file: string): Promise<ClosedDaysCalendar> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  const data: unknown = JSON.parse(text);
  const ok =
    typeof data === "object" &&
    data !== null &&
    !Array.isArray(data) &&
    Object.values(data).every((v) => Array.isArray(v) && v.every((d) => typeof d === "string"));
  if (!ok) throw new Error(`${file}: expected {"<warehouse_id>": ["YYYY-MM-DD", ...]}`);
  return data as ClosedDaysCalendar;
}

/**
 * Merges one warehouse's closed days into the calendar file: the union with what the file already lists,
 * minus `openDays` (dates this import has sales rows for, which cannot have been closed). Other warehouses
 * are kept. Written atomically (temp file + rename).
 */
export async function mergeClosedDays(
  file: string,
  warehouseId: string,
  closedDays: readonly string[],
  openDays: ReadonlySet<string> = new Set(),
): Promise<ClosedDaysCalendar> {
  const calendar = await readClosedDays(file);
  const merged = new Set([...(calendar[warehouseId] ?? []), ...closedDays]);
  for (const d of openDays) merged.delete(d);
  calendar[warehouseId] = [...merged].sort();
  const sorted = Object.fromEntries(Object.entries(calendar).sort(([a], [b]) => a.localeCompare(b)));
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, JSON.stringify(sorted, null, 2) + "\n");
  await fs.promises.rename(tmp, file);
  return sorted;
}
