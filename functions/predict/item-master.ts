import { parse } from "csv-parse/sync";
import type { ObjectInfo, ObjectStore } from "./object-store";

/**
 * The item master: per-item replenishment defaults that planners maintain as CSV under `item_master/` in the
 * processed store (`.warecast/processed/item_master/` locally). Columns: warehouse_id (empty or `*` = every
 * warehouse), sku, and any of lead_time_days, review_period_days, service_level, moq, pack_size. A row for the
 * exact (warehouse, sku) wins over a `*` row. A request's own fields override both.
 */
export const ITEM_MASTER_PREFIX = "item_master/";

export type ItemDefaults = Partial<{
  lead_time_days: number;
  review_period_days: number;
  service_level: number;
  moq: number;
  pack_size: number;
}>;

const NUMERIC_FIELDS = ["lead_time_days", "review_period_days", "service_level", "moq", "pack_size"] as const;

/** Bounds per column, as the API accepts them per request (api/openapi.yaml, RecommendationItem). */
const BOUNDS: Record<(typeof NUMERIC_FIELDS)[number], { min: number; max: number; integer: boolean }> = {
  lead_time_days: { min: 0, max: 180, integer: true },
  review_period_days: { min: 0, max: 180, integer: true },
  service_level: { min: 0.5, max: 0.999, integer: false },
  moq: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: false },
  pack_size: { min: 1, max: Number.MAX_SAFE_INTEGER, integer: false },
};

export interface ItemMasterIssue {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

/** Parses one item master CSV; bad cells are reported (file, line, reason) and the row's other cells kept. */
export function parseItemMaster(
  file: string,
  text: string,
): { rows: { warehouse_id: string; sku: string; defaults: ItemDefaults }[]; issues: ItemMasterIssue[] } {
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<
    string,
    string
  >[];
  const rows: { warehouse_id: string; sku: string; defaults: ItemDefaults }[] = [];
  const issues: ItemMasterIssue[] = [];
  records.forEach((rec, i) => {
    const line = i + 2;
    const sku = rec.sku ?? "";
    if (!sku) {
      issues.push({ file, line, reason: "sku is empty" });
      return;
    }
    const defaults: ItemDefaults = {};
    for (const field of NUMERIC_FIELDS) {
      const cell = rec[field];
      if (cell === undefined || cell === "") continue;
      const v = Number(cell);
      const b = BOUNDS[field];
      if (!Number.isFinite(v) || v < b.min || v > b.max || (b.integer && !Number.isInteger(v))) {
        issues.push({
          file,
          line,
          reason: `${field} must be ${b.integer ? "an integer" : "a number"} in [${b.min}, ${b.max}], got "${cell}"`,
        });
        continue;
      }
      defaults[field] = v;
    }
    rows.push({
      warehouse_id: rec.warehouse_id && rec.warehouse_id !== "*" ? rec.warehouse_id : "*",
      sku,
      defaults,
    });
  });
  return { rows, issues };
}

/** Reads and caches the item master while its files' ETags are unchanged. */
export class ItemMasterReader {
  private cache:
    { signature: string; table: Map<string, ItemDefaults>; issues: ItemMasterIssue[] } | undefined;
  private listing: { at: number; objects: ObjectInfo[] } | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: { listTtlMs?: number; now?: () => number } = {},
  ) {}

  private async load(): Promise<{ table: Map<string, ItemDefaults>; issues: ItemMasterIssue[] }> {
    const now = (this.options.now ?? Date.now)();
    if (!this.listing || now - this.listing.at > (this.options.listTtlMs ?? 30_000)) {
      const objects = (await this.store.list(ITEM_MASTER_PREFIX)).filter((o) => o.key.endsWith(".csv"));
      this.listing = { at: now, objects: objects.sort((a, b) => a.key.localeCompare(b.key)) };
    }
    const signature = this.listing.objects.map((o) => `${o.key}@${o.etag}`).join("|");
    if (this.cache && this.cache.signature === signature) return this.cache;
    const table = new Map<string, ItemDefaults>();
    const issues: ItemMasterIssue[] = [];
    for (const o of this.listing.objects) {
      const obj = await this.store.get(o.key);
      if (!obj) continue;
      const parsed = parseItemMaster(o.key, new TextDecoder().decode(obj.body));
      issues.push(...parsed.issues);
      for (const r of parsed.rows) {
        const k = `${r.warehouse_id}/${r.sku}`;
        table.set(k, { ...table.get(k), ...r.defaults });
      }
    }
    this.cache = { signature, table, issues };
    return this.cache;
  }

  /** Issues found in the files (reported by the handler's logs, never fatal). */
  async issues(): Promise<ItemMasterIssue[]> {
    return (await this.load()).issues;
  }

  /** Defaults for one item: the `*` row, overridden by the exact (warehouse, sku) row. */
  async defaultsFor(warehouseId: string, sku: string): Promise<ItemDefaults> {
    const { table } = await this.load();
    return { ...table.get(`*/${sku}`), ...table.get(`${warehouseId}/${sku}`) };
  }
}
