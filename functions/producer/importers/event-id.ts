import { createHash } from "node:crypto";

/** Namespace of Warecast's imported event ids (a fixed random UUID; changing it changes every id). */
export const IMPORT_NAMESPACE = "6f1d3c2e-8a4b-4f7e-9c1d-2b5e7a9f0c34";

/** RFC 9562 name-based UUID (version 5, SHA-1): the same name always gives the same id. */
export function uuidV5(name: string, namespace: string = IMPORT_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  if (ns.length !== 16) throw new Error(`uuidV5: namespace must be a UUID, got "${namespace}"`);
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * The event id of an imported daily fact. It depends on what the fact is about (type, warehouse, sku, business
 * date), not on its values: re-importing the same history, or a corrected copy of it, yields the same ids, and
 * the ETL's dedupe on event_id keeps one event per fact. Wide and long files of the same history agree.
 */
export function importedEventId(eventType: string, warehouseId: string, sku: string, date: string): string {
  return uuidV5(`${eventType}|${warehouseId}|${sku}|${date}`);
}
