import eventSchema from "../../schemas/event.schema.json";

/**
 * The rules a record must meet beyond JSON Schema, shared with the ETL (etl/records.py, docs/events.md): the
 * producer never sends what the ETL would quarantine. A property test (tests/python/etl/test_shared_rules.py)
 * feeds the same generated lines, hostile bytes included, to both and requires the same verdict.
 *
 * Line checks, in order, the first failure deciding: `too_large`, `invalid_utf8`, `line_break` (a carriage
 * return inside the record), `invalid_json` (exactly one strict JSON value: no byte-order mark, no second value,
 * no unpaired surrogate escape), `too_deep`, `not_object`. Value checks, after the schema's: `finite:<property>`
 * (JSON.parse turns 1e400 into Infinity) and `window:occurred_at`.
 */

interface LimitsBlock {
  readonly maxRecordBytes: number;
  readonly maxDepth: number;
  readonly occurredAt: { readonly notBefore: string; readonly maxAheadHours: number };
}

/** The contract's bounds (`x-warecast-limits` in schemas/event.schema.json). */
export const RECORD_LIMITS: LimitsBlock = eventSchema["x-warecast-limits"];

/** A line's failure: a reason code (as the ETL's quarantine uses) and words. */
export interface LineProblem {
  readonly code: string;
  readonly detail: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Parses one line (its bytes without the `\n`): the JSON object, or the first line rule it breaks. A `\r` right
 * before the `\n` belongs to the line ending. `text` is the record as it will be sent.
 */
export function parseLine(
  bytes: Uint8Array,
): { readonly value: Record<string, unknown>; readonly text: string } | LineProblem {
  const line = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes;
  if (line.length + 1 > RECORD_LIMITS.maxRecordBytes)
    return {
      code: "too_large",
      detail: `record too large: ${line.length + 1} bytes, over ${RECORD_LIMITS.maxRecordBytes}`,
    };
  let text: string;
  try {
    text = decoder.decode(line);
  } catch {
    return { code: "invalid_utf8", detail: "not valid UTF-8 (invalid bytes are never replaced)" };
  }
  if (text.includes("\r"))
    return { code: "line_break", detail: "a carriage return inside the record (NDJSON needs one per line)" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { code: "invalid_json", detail: `not valid JSON: ${(err as Error).message}` };
  }
  if (depth(value) > RECORD_LIMITS.maxDepth)
    return { code: "too_deep", detail: `nested deeper than ${RECORD_LIMITS.maxDepth} levels` };
  if (!wellFormed(value))
    return { code: "invalid_json", detail: "an unpaired surrogate escape is not a character" };
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { code: "not_object", detail: "the line is JSON but not an object" };
  return { value: value as Record<string, unknown>, text };
}

/** Problems of a parsed record beyond the schema: non-finite numbers, occurred_at outside its window. */
export function valueProblems(value: Record<string, unknown>, arrival: Date): string[] {
  const problems: string[] = [];
  for (const name in value)
    if (!finite(value[name])) problems.push(`/${name} must hold finite numbers only (finite:${name})`);
  const occurred = value.occurred_at;
  const at = typeof occurred === "string" ? rfc3339Instant(occurred) : undefined;
  if (at !== undefined && (before(at, EARLIEST) || before(latestInstant(arrival), at)))
    problems.push(
      `/occurred_at must be from ${RECORD_LIMITS.occurredAt.notBefore} to ` +
        `${RECORD_LIMITS.occurredAt.maxAheadHours} h after arrival (window:occurred_at)`,
    );
  return problems;
}

/** An instant as whole seconds since the epoch and microseconds past them: exact as plain numbers. */
type Instant = readonly [seconds: number, micros: number];

function before(a: Instant, b: Instant): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

function latestInstant(arrival: Date): Instant {
  const ms = arrival.getTime();
  const seconds = Math.floor(ms / 1000);
  return [seconds + RECORD_LIMITS.occurredAt.maxAheadHours * 3600, (ms - seconds * 1000) * 1000];
}

// RFC 3339 as the ETL reads it (etl/schema_rules.py): ASCII digits, seconds up to 59 (no leap second).
const RFC3339 =
  /^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d+))?(Z|([+-])([01]\d|2[0-3]):([0-5]\d))$/;

/** A real RFC 3339 date-time (the ajv `date-time` format): a calendar day that exists, year 0 excluded. */
export function isRfc3339(text: string): boolean {
  const m = RFC3339.exec(text.toUpperCase());
  return m !== null && realDay(m);
}

function realDay(m: RegExpExecArray): boolean {
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return year !== 0 && day >= 1 && day <= daysInMonth(year, month);
}

/** The instant of a valid RFC 3339 date-time (fractions past 6 digits truncated), else undefined. */
function rfc3339Instant(text: string): Instant | undefined {
  const m = RFC3339.exec(text.toUpperCase());
  if (!m || !realDay(m)) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  let ms = Date.UTC(year, month, day, hour, minute, second);
  if (year < 100) {
    const at = new Date(0); // Date.UTC reads years 0–99 as 1900–1999
    at.setUTCFullYear(year, month, day);
    at.setUTCHours(hour, minute, second, 0);
    ms = at.getTime();
  }
  const offsetMinutes = m[8] === "Z" ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  return [ms / 1000 - offsetMinutes * 60, Number((m[7] ?? "").slice(0, 6).padEnd(6, "0"))];
}

const EARLIEST: Instant = rfc3339Instant(RECORD_LIMITS.occurredAt.notBefore)!;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** Nesting depth of objects and arrays (the record itself is 1), without recursion: a line may nest deeply. */
function depth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, level] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    deepest = Math.max(deepest, level);
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, level + 1]);
  }
  return deepest;
}

// With the u flag a surrogate pair is one code point: only an unpaired surrogate matches.
const LONE_SURROGATE = /\p{Cs}/u;

function wellFormed(value: unknown): boolean {
  if (typeof value === "string") return !LONE_SURROGATE.test(value);
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every(wellFormed);
  return Object.entries(value).every(([k, v]) => !LONE_SURROGATE.test(k) && wellFormed(v));
}

function finite(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (value === null || typeof value !== "object") return true;
  return (Array.isArray(value) ? value : Object.values(value)).every(finite);
}
