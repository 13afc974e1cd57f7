import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { ingestFiles } from "../../functions/producer/files";
import { coerceCell, detectFormat, readInputFile } from "../../functions/producer/input";
import { arrivalParts, LocalStoreSink, localObjectKey } from "../../functions/producer/local-store-sink";
import type { InputItem, Rejection } from "../../functions/producer/types";
import { eventLine } from "./fake-firehose";

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "wc-producer-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every object under root (relative keys) and their decompressed lines. */
function readStore(root: string): { keys: string[]; lines: string[] } {
  const keys: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else keys.push(path.relative(root, p));
    }
  };
  walk(root);
  const lines = keys
    .filter((k) => k.endsWith(".ndjson.gz"))
    .flatMap((k) =>
      gunzipSync(fs.readFileSync(path.join(root, k)))
        .toString("utf8")
        .split("\n")
        .slice(0, -1),
    );
  return { keys: keys.sort(), lines };
}

async function collect(gen: AsyncGenerator<InputItem>): Promise<InputItem[]> {
  const out: InputItem[] = [];
  for await (const i of gen) out.push(i);
  return out;
}

describe("local store layout", () => {
  it("names objects as Firehose does, under the prefix and the UTC arrival date", () => {
    const at = new Date("2026-01-02T23:59:58+01:00"); // 22:59:58 UTC on Jan 2
    expect(arrivalParts(at)).toEqual({ dt: "2026-01-02", stamp: "2026-01-02-22-59-58" });
    expect(localObjectKey("forecasts/", "api", at, "u-1")).toBe(
      "forecasts/dt=2026-01-02/api-2026-01-02-22-59-58-u-1.ndjson.gz",
    );
  });

  it("writes gzip NDJSON objects, rotates at the buffer size and at UTC midnight, leaves no partial object", async () => {
    const times = [
      "2026-03-01T23:59:59Z",
      "2026-03-01T23:59:59Z",
      "2026-03-01T23:59:59Z",
      "2026-03-02T00:00:01Z",
    ];
    let t = 0;
    const sink = new LocalStoreSink({
      root: dir,
      name: "test",
      maxObjectBytes: 300,
      clock: () => new Date(times[Math.min(t++, 3)]),
    });
    const rec = (n: number) => ({ ref: { file: "f", line: n }, data: Buffer.from(eventLine(n) + "\n") });
    const sent = await Promise.all([
      sink.send([rec(1), rec(2)]),
      sink.send([rec(3)]),
      sink.send([rec(4)]),
      sink.send([rec(5)]),
    ]);
    expect(sent.map((o) => o.delivered)).toEqual([2, 1, 1, 1]);
    await sink.close();

    const { keys, lines } = readStore(dir);
    expect(
      keys.every((k) =>
        /^events\/dt=2026-03-0[12]\/test-2026-03-0[12]-\d\d-\d\d-\d\d-[0-9a-f-]{36}\.ndjson\.gz$/.test(k),
      ),
    ).toBe(true);
    // 2 records (~150 B each) pass 300 B: new object. The 4th call is on March 2: new partition.
    expect(keys.filter((k) => k.includes("dt=2026-03-01"))).toHaveLength(2);
    expect(keys.filter((k) => k.includes("dt=2026-03-02"))).toHaveLength(1);
    // Objects written in the same second sort by their uuid, so compare the set of lines.
    expect(lines.sort()).toEqual([1, 2, 3, 4, 5].map((n) => eventLine(n)).sort());
    expect(sink.objects).toHaveLength(3);
    // The staging directory is shared by concurrent sinks, so it stays; nothing is left in it.
    expect(fs.readdirSync(path.join(dir, ".tmp"))).toEqual([]);
  });

  it("uses the prefix it is given (the served-forecast log writes under forecasts/)", async () => {
    const sink = new LocalStoreSink({ root: dir, prefix: "forecasts/" });
    await sink.send([{ ref: { file: "f", line: 1 }, data: Buffer.from('{"a":1}\n') }]);
    await sink.close();
    expect(readStore(dir).keys[0]).toMatch(/^forecasts\/dt=\d{4}-\d\d-\d\d\/warecast-local-/);
    expect(() => new LocalStoreSink({ root: dir, prefix: "../x/" })).toThrow(/prefix must be path segments/);
    expect(() => new LocalStoreSink({ root: dir, prefix: "events" })).toThrow(/ending in "\/"/);
  });
});

describe("input", () => {
  it("picks the format from the extension", () => {
    expect(detectFormat("a.ndjson")).toBe("ndjson");
    expect(detectFormat("a.JSONL.gz")).toBe("ndjson");
    expect(detectFormat("a.csv.gz")).toBe("csv");
    expect(() => detectFormat("a.parquet")).toThrow(/unknown input format/);
  });

  it("coerces CSV cells to the schema's types and leaves what does not convert for the validator", () => {
    expect(coerceCell("number", "2.5")).toBe(2.5);
    expect(coerceCell("number", "x")).toBe("x");
    expect(coerceCell("boolean", "TRUE")).toBe(true);
    expect(coerceCell("boolean", "0")).toBe(false);
    expect(coerceCell("boolean", "maybe")).toBe("maybe");
    expect(coerceCell("object", '{"k":1}')).toEqual({ k: 1 });
    expect(coerceCell(undefined, "007")).toBe("007");
  });

  it("reads NDJSON (gzipped too) with line numbers, skipping blank lines, keeping each line as sent", async () => {
    const text = [eventLine(1), "", "  " + eventLine(2) + "  ", "{oops"].join("\r\n") + "\n";
    fs.writeFileSync(path.join(dir, "a.ndjson.gz"), gzipSync(text));
    const got = await collect(readInputFile(path.join(dir, "a.ndjson.gz")));
    expect(got.map((i) => i.ref.line)).toEqual([1, 3, 4]);
    expect(got[1].payload).toBe(eventLine(2));
    expect(got[2].error).toMatch(/^invalid_json: not valid JSON/);
  });

  it("reads event CSV rows with their lines; carries unknown columns; reports a malformed row and goes on", async () => {
    const csv = [
      "schema_version,event_id,event_type,occurred_at,warehouse_id,sku,quantity,promo,note",
      "1,a,sale,2024-01-01T00:00:00Z,W,S,2,1,hello",
      "1,b,sale,2024-01-01T00:00:00Z,W",
      '1,c,return,2024-01-01T00:00:00Z,W,S,1,,"multi, comma"',
    ].join("\n");
    fs.writeFileSync(path.join(dir, "e.csv"), csv);
    const got = await collect(readInputFile(path.join(dir, "e.csv")));
    const byLine = Object.fromEntries(got.map((i) => [i.ref.line, i]));
    expect(Object.keys(byLine)).toEqual(["2", "3", "4"]);
    expect(byLine[2].value).toEqual({
      schema_version: 1,
      event_id: "a",
      event_type: "sale",
      occurred_at: "2024-01-01T00:00:00Z",
      warehouse_id: "W",
      sku: "S",
      quantity: 2,
      promo: true,
      note: "hello",
    });
    expect(byLine[3].error).toMatch(/^malformed CSV row: Invalid Record Length/);
    expect(byLine[4].value).toMatchObject({ event_type: "return", quantity: 1, note: "multi, comma" });
    expect(byLine[4].value).not.toHaveProperty("promo");
  });
});

describe("ingestFiles into the local store", () => {
  it("stores every valid record once, rejects the rest with file and line, and the counts reconcile", async () => {
    const good = Array.from({ length: 1200 }, (_, i) => eventLine(i));
    const lines = [...good.slice(0, 600), '{"schema_version":1,"event_id":"x"}', ...good.slice(600)];
    fs.writeFileSync(path.join(dir, "in.ndjson"), lines.join("\n") + "\n");
    const root = path.join(dir, "raw");
    const rejections: Rejection[] = [];
    const progress: number[] = [];
    const s = await ingestFiles([path.join(dir, "in.ndjson")], new LocalStoreSink({ root }), {
      onReject: (r) => rejections.push(r),
      onProgress: (p) => progress.push(p.bytesRead / p.bytesTotal),
    });
    expect(s).toMatchObject({
      files: 1,
      read: 1201,
      valid: 1200,
      invalid: 1,
      sent: 1200,
      retried: 0,
      failed: 0,
    });
    expect(s.read).toBe(s.valid + s.invalid);
    expect(s.valid).toBe(s.sent + s.failed);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({
      stage: "invalid",
      ref: { file: path.join(dir, "in.ndjson"), line: 601 },
    });
    expect(rejections[0].reason).toContain("required property 'event_type'");
    expect(readStore(root).lines.sort()).toEqual([...good].sort());
    expect(progress[progress.length - 1]).toBe(1);
  });

  it("fails clearly on a missing file before sending anything", async () => {
    const sink = new LocalStoreSink({ root: path.join(dir, "raw") });
    await expect(ingestFiles([path.join(dir, "nope.ndjson")], sink)).rejects.toThrow(
      /nope\.ndjson: cannot read \(ENOENT\)/,
    );
    expect(fs.existsSync(path.join(dir, "raw"))).toBe(false);
  });
});

describe("local store failures", () => {
  it("surfaces a disk error from the run instead of counting records as stored", async () => {
    const notADir = path.join(dir, "file");
    fs.writeFileSync(notADir, "x");
    fs.writeFileSync(path.join(dir, "in.ndjson"), eventLine(1) + "\n");
    await expect(
      ingestFiles([path.join(dir, "in.ndjson")], new LocalStoreSink({ root: notADir })),
    ).rejects.toThrow(/ENOTDIR/);
  });
});
