import type { ObjectInfo, ObjectStore } from "./object-store";

/** Decodes one Parquet file into row objects (hyparquet's parquetReadObjects, injected: it is ESM-only). */
export type ParquetDecoder = (bytes: Uint8Array) => Promise<Record<string, unknown>[]>;

/** One row of `series_state` (docs/architecture.md), normalised: dates as YYYY-MM-DD strings. */
export interface SeriesState {
  readonly warehouse_id: string;
  readonly sku: string;
  readonly freq: string;
  readonly start_date: string;
  readonly end_date: string;
  readonly units: (number | null)[];
  readonly promo: (boolean | null)[];
  readonly price: (number | null)[];
  readonly stockout: (boolean | null)[];
  readonly closed: (boolean | null)[];
  readonly on_hand: number | null;
  readonly run_id: string | null;
}

export const SERIES_STATE_PREFIX = "series_state/";
const PARTITION = /(?:^|\/)warehouse_id=([^/]+)\//;

export function seriesKey(warehouseId: string, sku: string): string {
  return `${warehouseId}/${sku}`;
}

function toDateString(v: unknown, field: string): string {
  // Not `instanceof Date`: the decoder may run in another realm (jest loads hyparquet through Node's loader).
  if (Object.prototype.toString.call(v) === "[object Date]") return (v as Date).toISOString().slice(0, 10);
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}/.test(v)) return v.slice(0, 10);
  throw new Error(`series_state.${field}: expected a date, got ${JSON.stringify(v)}`);
}

function toNumberOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === "bigint" ? Number(v) : Number(v);
  return Number.isFinite(n) ? n : null;
}

function arrayOf<T>(v: unknown, map: (x: unknown) => T): T[] {
  return Array.isArray(v) ? v.map(map) : [];
}

/** Maps a decoded Parquet row to a SeriesState; the partition value fills warehouse_id when the file lacks it. */
export function toSeriesState(row: Record<string, unknown>, partitionWarehouse?: string): SeriesState {
  const warehouse_id = String(row.warehouse_id ?? partitionWarehouse ?? "");
  const sku = String(row.sku ?? "");
  if (!warehouse_id || !sku) throw new Error("series_state row without warehouse_id or sku");
  const units = arrayOf(row.units, toNumberOrNull);
  const bool = (x: unknown) => (x === null || x === undefined ? null : Boolean(x));
  return {
    warehouse_id,
    sku,
    freq: typeof row.freq === "string" ? row.freq : "D",
    start_date: toDateString(row.start_date, "start_date"),
    end_date: toDateString(row.end_date, "end_date"),
    units,
    promo: arrayOf(row.promo, bool),
    price: arrayOf(row.price, toNumberOrNull),
    stockout: arrayOf(row.stockout, bool),
    closed: arrayOf(row.closed, bool),
    on_hand: toNumberOrNull(row.on_hand),
    run_id: row.run_id === null || row.run_id === undefined ? null : String(row.run_id),
  };
}

interface CachedFile {
  readonly etag: string;
  readonly rows: SeriesState[];
}

/**
 * Reads `series_state` Parquet from the processed store. A file is decoded once and kept while its ETag is
 * unchanged; the listing is refreshed at most every `listTtlMs`, so a warm function makes one LIST per interval
 * and no GET until the ETL rewrites a file.
 */
export class SeriesStateReader {
  private readonly files = new Map<string, CachedFile>();
  private listing: { at: number; objects: ObjectInfo[] } | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly decode: ParquetDecoder,
    private readonly options: { listTtlMs?: number; now?: () => number } = {},
  ) {}

  private async objects(): Promise<ObjectInfo[]> {
    const now = (this.options.now ?? Date.now)();
    const ttl = this.options.listTtlMs ?? 30_000;
    if (!this.listing || now - this.listing.at > ttl) {
      const all = await this.store.list(SERIES_STATE_PREFIX);
      this.listing = { at: now, objects: all.filter((o) => o.key.endsWith(".parquet") && o.size > 0) };
    }
    return this.listing.objects;
  }

  /** True when the ETL has written any series_state yet. */
  async hasData(): Promise<boolean> {
    return (await this.objects()).length > 0;
  }

  private async rowsOf(info: ObjectInfo): Promise<SeriesState[]> {
    const hit = this.files.get(info.key);
    if (hit && hit.etag === info.etag) return hit.rows;
    const obj = await this.store.get(info.key);
    if (!obj) return [];
    const partition = PARTITION.exec(info.key)?.[1];
    const rows = (await this.decode(obj.body)).map((r) =>
      toSeriesState(r, partition === undefined ? undefined : decodeURIComponent(partition)),
    );
    this.files.set(info.key, { etag: obj.etag || info.etag, rows });
    return rows;
  }

  /** Files that may hold a warehouse's series: its partition, plus any unpartitioned files. */
  private async filesFor(warehouseId: string | undefined): Promise<ObjectInfo[]> {
    const objects = await this.objects();
    if (warehouseId === undefined) return objects;
    return objects.filter((o) => {
      const p = PARTITION.exec(o.key)?.[1];
      return p === undefined || decodeURIComponent(p) === warehouseId;
    });
  }

  /** The state of each requested series (missing ones absent from the map), keyed by seriesKey(). */
  async get(keys: readonly { warehouse_id: string; sku: string }[]): Promise<Map<string, SeriesState>> {
    const wanted = new Set(keys.map((k) => seriesKey(k.warehouse_id, k.sku)));
    const warehouses = new Set(keys.map((k) => k.warehouse_id));
    const files = new Map<string, ObjectInfo>();
    for (const wh of warehouses) for (const f of await this.filesFor(wh)) files.set(f.key, f);
    const out = new Map<string, SeriesState>();
    for (const f of files.values()) {
      for (const row of await this.rowsOf(f)) {
        const k = seriesKey(row.warehouse_id, row.sku);
        if (wanted.has(k)) out.set(k, row);
      }
    }
    return out;
  }

  /** Every series of the given warehouses (all warehouses when undefined), sorted by warehouse then SKU. */
  async list(warehouseIds?: readonly string[]): Promise<SeriesState[]> {
    const files = new Map<string, ObjectInfo>();
    for (const wh of warehouseIds ?? [undefined])
      for (const f of await this.filesFor(wh)) files.set(f.key, f);
    const wanted = warehouseIds ? new Set(warehouseIds) : undefined;
    const out: SeriesState[] = [];
    for (const f of files.values()) {
      for (const row of await this.rowsOf(f)) if (!wanted || wanted.has(row.warehouse_id)) out.push(row);
    }
    return out.sort((a, b) =>
      a.warehouse_id === b.warehouse_id
        ? a.sku.localeCompare(b.sku)
        : a.warehouse_id.localeCompare(b.warehouse_id),
    );
  }
}
