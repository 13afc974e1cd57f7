import { open } from "node:fs/promises";

/** The input files `warecast demo --data` accepts, told apart by their content, never by their name. */
export type InputFormat = "events-ndjson" | "long-csv" | "wide-daily-csv";

export const ACCEPTED_FORMS = [
  "NDJSON events, one JSON object per line, as in schemas/event.schema.json (docs/events.md)",
  "a long sales CSV with the header date,warehouse_id,sku,units_sold[,promo,unit_price,on_hand]",
  "a wide daily CSV like the bundled sample: DATE,QTY_<item>…[,PROMO_<item>…]",
].join("; ");

const LONG_REQUIRED = ["date", "warehouse_id", "sku", "units_sold"];
const SNIFF_BYTES = 64 * 1024;

export class InputFormatError extends Error {}

async function head(path: string): Promise<string> {
  const fh = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
    throw new InputFormatError(
      `cannot read ${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`,
    );
  });
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await fh.close();
  }
}

/** Tells the format from the first line of content; a file that fits no form, or more than one, is an error. */
export async function detectInputFormat(path: string): Promise<InputFormat> {
  const text = await head(path);
  if (text.length === 0) throw new InputFormatError(`${path} is empty. Accepted forms: ${ACCEPTED_FORMS}.`);
  if (text.charCodeAt(0) === 0x1f) {
    throw new InputFormatError(
      `${path} looks compressed (gzip); decompress it first. Accepted forms: ${ACCEPTED_FORMS}.`,
    );
  }
  const firstLine = text.split(/\r\n|\n|\r/).find((l) => l.trim() !== "") ?? "";
  const trimmed = firstLine.trim();
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new InputFormatError(
        `${path}: the first line starts like JSON but does not parse as one JSON object (NDJSON needs one object per line). Accepted forms: ${ACCEPTED_FORMS}.`,
      );
    }
    if (parsed && typeof parsed === "object" && "event_type" in parsed) return "events-ndjson";
    throw new InputFormatError(
      `${path}: JSON lines without an event_type field are not events. Accepted forms: ${ACCEPTED_FORMS}.`,
    );
  }
  const header = trimmed.split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
  const lower = header.map((c) => c.toLowerCase());
  const isLong = LONG_REQUIRED.every((c) => lower.includes(c));
  const isWide = header[0] === "DATE" && header.slice(1).some((c) => c.startsWith("QTY_"));
  if (isLong && isWide) {
    throw new InputFormatError(
      `${path}: the header fits both the long and the wide CSV form; rename the columns so it fits one. Accepted forms: ${ACCEPTED_FORMS}.`,
    );
  }
  if (isLong) return "long-csv";
  if (isWide) return "wide-daily-csv";
  const missing = LONG_REQUIRED.filter((c) => !lower.includes(c));
  throw new InputFormatError(
    `${path}: unknown format (header ${JSON.stringify(firstLine.slice(0, 120))}; a long CSV lacks ${missing.join(", ")}). Accepted forms: ${ACCEPTED_FORMS}.`,
  );
}
