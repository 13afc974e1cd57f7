const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `s` is a real calendar date written as YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/** Throws a clear error unless `tz` is an IANA time zone the runtime knows (e.g. `Europe/Rome`, `UTC`). */
export function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw new Error(`unknown time zone "${tz}" (expected an IANA name such as Europe/Rome or UTC)`);
  }
  return tz;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** Offset of `tz` at instant `at`, in minutes east of UTC. */
function offsetMinutes(tz: string, at: Date): number {
  let fmt = offsetFormats.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "longOffset" });
    offsetFormats.set(tz, fmt);
  }
  const name = fmt.formatToParts(at).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!m || !m[1]) return 0;
  return (m[1] === "-" ? -1 : 1) * (+m[2] * 60 + +m[3]);
}

/**
 * RFC 3339 timestamp of local wall time `time` (HH:MM:SS) on `date` in zone `tz`, with that moment's offset,
 * e.g. ("2014-07-02", "12:00:00", "Europe/Rome") → "2014-07-02T12:00:00+02:00". Used for daily facts, whose
 * business date must stay `date` in the warehouse's zone. (A wall time skipped by a DST jump gets the offset
 * in force just before it; daily facts use noon and 23:59:59, which no zone skips.)
 */
export function zonedTimestamp(date: string, time: string, tz: string): string {
  // Daily imports ask for the same few thousand (date, time) pairs millions of times; Intl is the slow part.
  const key = `${tz}|${date}|${time}`;
  let out = stamps.get(key);
  if (out === undefined) {
    if (stamps.size > 100_000) stamps.clear();
    out = computeZonedTimestamp(date, time, tz);
    stamps.set(key, out);
  }
  return out;
}

const stamps = new Map<string, string>();

function computeZonedTimestamp(date: string, time: string, tz: string): string {
  const asUtc = new Date(`${date}T${time}Z`);
  if (Number.isNaN(asUtc.getTime())) throw new Error(`invalid date/time ${date}T${time}`);
  // The offset at the local time is the offset at (local − offset); one correction suffices away from DST jumps.
  let off = offsetMinutes(tz, asUtc);
  off = offsetMinutes(tz, new Date(asUtc.getTime() - off * 60_000));
  if (off === 0) return `${date}T${time}Z`;
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${date}T${time}${sign}${hh}:${mm}`;
}

/** Every date from `first` to `last` (inclusive, YYYY-MM-DD). */
export function dateRange(first: string, last: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}
