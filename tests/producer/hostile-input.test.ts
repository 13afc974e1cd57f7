import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { ingestFiles } from "../../functions/producer/files";
import { LocalStoreSink } from "../../functions/producer/local-store-sink";
import { parseLine } from "../../functions/producer/record-rules";
import { RejectFile } from "../../functions/producer/rejects";
import { createEventValidator } from "../../functions/producer/schema";
import type { Rejection } from "../../functions/producer/types";
import { eventLine } from "./fake-firehose";

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "wc-hostile-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function ingest(file: string, root = path.join(dir, "raw")) {
  const rejections: Rejection[] = [];
  const summary = await ingestFiles([file], new LocalStoreSink({ root }), {
    onReject: (r) => rejections.push(r),
  });
  return { summary, rejections };
}

describe("hostile input (issue 20)", () => {
  it("a truncated .gz delivers its readable records, then reports the rest as one rejection with a summary", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => eventLine(i));
    const whole = gzipSync(lines.join("\n") + "\n");
    const file = path.join(dir, "cut.ndjson.gz");
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const { summary, rejections } = await ingest(file);
    expect(summary.valid).toBeGreaterThan(0);
    expect(summary).toMatchObject({ invalid: 1, sent: summary.valid, failed: 0, read: summary.valid + 1 });
    expect(rejections).toHaveLength(1);
    expect(rejections[0].reason).toMatch(
      new RegExp(`^unreadable_object: unexpected end of file after line ${summary.valid} `),
    );
    expect(rejections[0].ref.line).toBe(summary.valid + 1);
    expect(lines[summary.valid].startsWith(rejections[0].raw)).toBe(true);
  });

  it("rejects invalid UTF-8 instead of replacing it, and keeps the exact bytes in the reject file", async () => {
    const good = eventLine(1);
    const bad = Buffer.from(eventLine(2, { event_id: "id-X" }).replace("id-X", "id-\u00ff"), "latin1");
    const file = path.join(dir, "bytes.ndjson");
    fs.writeFileSync(file, Buffer.concat([Buffer.from(good + "\n"), bad, Buffer.from("\n")]));
    const rejects = new RejectFile(path.join(dir, "rejects.ndjson"));
    await ingestFiles([file], new LocalStoreSink({ root: path.join(dir, "raw") }), {
      onReject: rejects.write,
    });
    await rejects.close();
    const [row] = fs
      .readFileSync(path.join(dir, "rejects.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(row).toMatchObject({ line: 2, reason: expect.stringMatching(/^invalid_utf8: /) });
    expect(Buffer.from(row.raw_base64, "base64").equals(bad)).toBe(true);
  });

  it("splits lines on \\n only: a lone \\r is a rejected record, not two; CRLF files are fine", async () => {
    const file = path.join(dir, "cr.ndjson");
    const crInside = eventLine(2).replace(",", ",\r");
    fs.writeFileSync(file, [eventLine(1), crInside, eventLine(3)].join("\r\n") + "\r\n");
    const { summary, rejections } = await ingest(file);
    expect(summary).toMatchObject({ read: 3, valid: 2, invalid: 1 });
    expect(rejections.map((r) => [r.ref.line, r.reason.split(":")[0]])).toEqual([[2, "line_break"]]);
  });

  it("a directory named *.ndjson is a clear error before anything is sent", async () => {
    fs.mkdirSync(path.join(dir, "events.ndjson"));
    await expect(ingest(path.join(dir, "events.ndjson"))).rejects.toThrow(
      /events\.ndjson: is a directory, not an input file/,
    );
  });

  it("removes partial objects left in .tmp by a killed writer, and only those", async () => {
    const root = path.join(dir, "raw");
    const tmp = path.join(root, ".tmp");
    fs.mkdirSync(tmp, { recursive: true });
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout;
    const stale = path.join(tmp, `${dead}-warecast-local-x.ndjson.gz`);
    const live = path.join(tmp, `${process.ppid}-warecast-local-y.ndjson.gz`);
    fs.writeFileSync(stale, "partial");
    fs.writeFileSync(live, "another writer, still running");
    fs.writeFileSync(path.join(dir, "in.ndjson"), eventLine(1) + "\n");
    await ingest(path.join(dir, "in.ndjson"), root);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  });

  it("the shared rules reject what the ETL would quarantine", () => {
    const validate = createEventValidator(() => new Date("2024-03-11T00:00:00Z"));
    const code = (line: string | Buffer) => {
      const parsed = parseLine(Buffer.isBuffer(line) ? line : Buffer.from(line, "utf8"));
      if ("code" in parsed) return parsed.code;
      return validate(parsed.value).join("; ") || "valid";
    };
    expect(code(eventLine(1))).toBe("valid");
    expect(code(eventLine(1) + eventLine(2))).toBe("invalid_json");
    expect(code("\ufeff" + eventLine(1))).toBe("invalid_json");
    expect(code(eventLine(1).replace(/"/g, "'"))).toBe("invalid_json");
    expect(code(eventLine(1, { event_id: "\ud800" }))).toBe("invalid_json");
    expect(code('{"a":'.repeat(1500) + "1" + "}".repeat(1500))).toBe("too_deep");
    expect(code(eventLine(1).replace('"quantity":1', '"quantity":1e400'))).toMatch(/finite:quantity/);
    expect(code(eventLine(1, { occurred_at: "2016-12-31T23:59:60Z" }))).toMatch(
      /occurred_at must match format/,
    );
    expect(code(eventLine(1, { occurred_at: "1899-12-31T23:00:00Z" }))).toMatch(/window:occurred_at/);
    expect(code(eventLine(1, { occurred_at: "9999-12-31T00:00:00Z" }))).toMatch(/window:occurred_at/);
    expect(code(eventLine(1, { occurred_at: "2024-03-12T00:00:00Z" }))).toBe("valid");
    expect(code(eventLine(1, { occurred_at: "2024-03-12T00:00:00.000001Z" }))).toMatch(/window/);
  });
});
