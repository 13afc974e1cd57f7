import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { closedDaysPath, mergeClosedDays, readClosedDays } from "../../functions/producer/importers/calendar";
import { importedEventId, uuidV5 } from "../../functions/producer/importers/event-id";
import { detectImportFormat, importFile } from "../../functions/producer/importers/import";
import { dateRange, isIsoDate, zonedTimestamp } from "../../functions/producer/importers/zoned-time";
import { LocalStoreSink } from "../../functions/producer/local-store-sink";
import { createEventValidator } from "../../functions/producer/schema";
import type { Rejection } from "../../functions/producer/types";

const PASTA = path.resolve(__dirname, "../../data/sample/pasta/hierarchical_sales_data.csv");

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "wc-import-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function storedEvents(root: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ndjson.gz")) {
        for (const l of gunzipSync(fs.readFileSync(p)).toString("utf8").split("\n"))
          if (l) out.push(JSON.parse(l));
      }
    }
  };
  walk(path.join(root, "events"));
  return out;
}

describe("time and ids", () => {
  it("places daily facts at local wall time with that day's offset", () => {
    expect(zonedTimestamp("2014-01-02", "12:00:00", "Europe/Rome")).toBe("2014-01-02T12:00:00+01:00");
    expect(zonedTimestamp("2014-07-02", "12:00:00", "Europe/Rome")).toBe("2014-07-02T12:00:00+02:00");
    expect(zonedTimestamp("2014-07-02", "23:59:59", "America/New_York")).toBe("2014-07-02T23:59:59-04:00");
    expect(zonedTimestamp("2014-07-02", "12:00:00", "UTC")).toBe("2014-07-02T12:00:00Z");
    expect(zonedTimestamp("2014-07-02", "12:00:00", "Asia/Kolkata")).toBe("2014-07-02T12:00:00+05:30");
    expect(isIsoDate("2014-02-29")).toBe(false);
    expect(isIsoDate("2016-02-29")).toBe(true);
    expect(dateRange("2016-02-28", "2016-03-01")).toEqual(["2016-02-28", "2016-02-29", "2016-03-01"]);
  });

  it("derives ids from what a fact is about, as RFC 9562 v5 UUIDs", () => {
    // Reference value from the RFC's own example (namespace DNS, name www.example.com).
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
    const a = importedEventId("sale", "W", "S", "2024-01-01");
    expect(a).toBe(importedEventId("sale", "W", "S", "2024-01-01"));
    expect(a).not.toBe(importedEventId("inventory_snapshot", "W", "S", "2024-01-01"));
    expect(a).not.toBe(importedEventId("sale", "W", "S", "2024-01-02"));
  });
});

describe("closed-days calendar", () => {
  it("merges a warehouse's days with what the file has, keeping other warehouses", async () => {
    const file = closedDaysPath(dir);
    expect(file).toBe(path.join(dir, "calendar", "closed-days.json"));
    expect(await readClosedDays(file)).toEqual({});
    await mergeClosedDays(file, "B", ["2020-01-01"]);
    await mergeClosedDays(file, "A", ["2020-12-25", "2020-01-01"]);
    await mergeClosedDays(file, "A", ["2021-01-01"], new Set(["2020-12-25"]));
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({
      A: ["2020-01-01", "2021-01-01"],
      B: ["2020-01-01"],
    });
    fs.writeFileSync(file, "[1,2]");
    await expect(readClosedDays(file)).rejects.toThrow(/expected \{"<warehouse_id>"/);
  });
});

// The whole bundled file (212k events through the producer's validation) takes ~26 s on an idle 2-core machine;
// CI machines shared with other jobs have taken three times that.
const WHOLE_FILE_TIMEOUT_MS = 240_000;

describe("import of the bundled wide pasta file", () => {
  it(
    "makes one valid sale event per (date, sku), zeros included, and writes the closed days",
    async () => {
      const root = path.join(dir, "raw");
      expect(await detectImportFormat(PASTA)).toBe("wide");
      const s = await importFile(PASTA, new LocalStoreSink({ root }), { calendarFile: closedDaysPath(root) });

      expect(s).toMatchObject({
        read: 1798 * 118,
        valid: 1798 * 118,
        invalid: 0,
        sent: 1798 * 118,
        failed: 0,
      });
      const [report] = s.files;
      expect(report).toMatchObject({
        format: "wide",
        rows: 1798,
        warehouseId: "IT-PASTA-1",
        firstDate: "2014-01-02",
        lastDate: "2018-12-31",
        ignoredColumns: [],
      });
      // PROVENANCE.md: 27 absent days, all Italian public holidays.
      expect(report.closedDays).toHaveLength(27);
      // Each is an Italian public holiday or Easter Sunday (PROVENANCE.md).
      expect(report.closedDays).toEqual([
        "2014-04-20",
        "2014-05-01",
        "2014-08-15",
        "2014-12-25",
        "2015-01-01",
        "2015-04-05",
        "2015-05-01",
        "2015-08-15",
        "2015-12-25",
        "2016-01-01",
        "2016-03-27",
        "2016-05-01",
        "2016-08-15",
        "2016-12-25",
        "2017-01-01",
        "2017-04-16",
        "2017-12-25",
        "2018-01-01",
        "2018-04-01",
        "2018-04-25",
        "2018-05-01",
        "2018-06-02",
        "2018-08-15",
        "2018-11-01",
        "2018-12-08",
        "2018-12-25",
        "2018-12-26",
      ]);
      expect(JSON.parse(fs.readFileSync(closedDaysPath(root), "utf8"))).toEqual({
        "IT-PASTA-1": report.closedDays,
      });

      const events = storedEvents(root);
      expect(events).toHaveLength(212164);
      expect(new Set(events.map((e) => e.event_id)).size).toBe(212164);
      const validate = createEventValidator();
      expect(events.filter((e) => validate(e).length > 0)).toEqual([]);
      const first = events.find(
        (e) => e.sku === "B1_1" && (e.occurred_at as string).startsWith("2014-01-02"),
      );
      // Row 1 of the file: QTY_B1_1 = 7, PROMO_B1_1 = 0.
      expect(first).toEqual({
        schema_version: 1,
        event_id: importedEventId("sale", "IT-PASTA-1", "B1_1", "2014-01-02"),
        event_type: "sale",
        occurred_at: "2014-01-02T12:00:00+01:00",
        warehouse_id: "IT-PASTA-1",
        sku: "B1_1",
        quantity: 7,
        promo: false,
      });
      expect(events.filter((e) => e.quantity === 0).length).toBeGreaterThan(0.2 * events.length);
    },
    WHOLE_FILE_TIMEOUT_MS,
  );

  it("gives the same ids on a re-import (so the ETL dedupes), and reports bad cells with line and column", async () => {
    const lines = fs.readFileSync(PASTA, "utf8").split("\n").slice(0, 4);
    const header = lines[0].split(",");
    const row3 = lines[3].split(",");
    row3[header.indexOf("QTY_B1_2")] = "-4";
    row3[header.indexOf("PROMO_B1_3")] = "yes";
    const small = path.join(dir, "small.csv");
    fs.writeFileSync(small, [lines[0], lines[1], lines[2], row3.join(","), lines[1]].join("\n") + "\n");

    const rejections: Rejection[] = [];
    const a = await importFile(small, new LocalStoreSink({ root: path.join(dir, "a") }), {
      onReject: (r) => rejections.push(r),
    });
    await importFile(small, new LocalStoreSink({ root: path.join(dir, "b") }));
    expect(a).toMatchObject({ read: 118 * 3 + 1, invalid: 3, sent: 118 * 3 - 2 });
    expect(rejections.map((r) => [r.ref.line, r.reason])).toEqual([
      [4, 'QTY_B1_2 "-4" is not a number of units ≥ 0'],
      [4, 'PROMO_B1_3 "yes" is not 0 or 1'],
      [5, "duplicate DATE 2014-01-02 (first at line 2)"],
    ]);
    const ids = (root: string) =>
      storedEvents(root)
        .map((e) => e.event_id as string)
        .sort();
    expect(ids(path.join(dir, "a"))).toEqual(ids(path.join(dir, "b")));
  });
});

describe("import of a long CSV", () => {
  it("makes sale and inventory_snapshot events, with ids shared with the wide layout", async () => {
    const file = path.join(dir, "long.csv");
    fs.writeFileSync(
      file,
      [
        "date,warehouse_id,sku,units_sold,promo,unit_price,on_hand,region",
        "2024-03-01,WH1,SKU-1,5,1,2.50,40,north",
        "2024-03-01,WH1,SKU-2,0,,,,north",
        "2024-03-02,WH1,SKU-1,x,0,2.5,35,north",
        "2024-02-30,WH1,SKU-1,1,0,2.5,35,north",
        "2024-03-01,WH1,SKU-1,6,0,2.5,35,north",
        "2024-03-03,bad id!,SKU-1,1,0,2.5,,north",
      ].join("\n"),
    );
    expect(await detectImportFormat(file)).toBe("long");
    const rejections: Rejection[] = [];
    const root = path.join(dir, "raw");
    const s = await importFile(file, new LocalStoreSink({ root }), {
      timeZone: "Europe/Berlin",
      currency: "EUR",
      onReject: (r) => rejections.push(r),
    });
    expect(rejections.map((r) => [r.ref.line, r.reason])).toEqual([
      [4, 'units_sold "x" is not a number ≥ 0'],
      [5, 'date "2024-02-30" is not a date (expected YYYY-MM-DD)'],
      [6, "duplicate row for WH1/SKU-1 on 2024-03-01 (first at line 2)"],
      [7, '/warehouse_id must match pattern "^[A-Za-z0-9_.-]{1,64}$"'],
    ]);
    expect(s).toMatchObject({ read: 7, valid: 3, invalid: 4, sent: 3 });
    expect(s.files[0]).toMatchObject({ format: "long", rows: 6, ignoredColumns: ["region"] });
    const events = storedEvents(root).sort(
      (x, y) =>
        String(x.occurred_at).localeCompare(String(y.occurred_at)) ||
        String(x.sku).localeCompare(String(y.sku)),
    );
    expect(events).toEqual([
      {
        schema_version: 1,
        event_id: importedEventId("sale", "WH1", "SKU-1", "2024-03-01"),
        event_type: "sale",
        occurred_at: "2024-03-01T12:00:00+01:00",
        warehouse_id: "WH1",
        sku: "SKU-1",
        quantity: 5,
        promo: true,
        unit_price: 2.5,
        currency: "EUR",
      },
      {
        schema_version: 1,
        event_id: importedEventId("sale", "WH1", "SKU-2", "2024-03-01"),
        event_type: "sale",
        occurred_at: "2024-03-01T12:00:00+01:00",
        warehouse_id: "WH1",
        sku: "SKU-2",
        quantity: 0,
      },
      {
        schema_version: 1,
        event_id: importedEventId("inventory_snapshot", "WH1", "SKU-1", "2024-03-01"),
        event_type: "inventory_snapshot",
        occurred_at: "2024-03-01T23:59:59+01:00",
        warehouse_id: "WH1",
        sku: "SKU-1",
        on_hand: 40,
      },
    ]);
  });

  it("refuses a file whose header is neither layout, naming what it expects", async () => {
    const file = path.join(dir, "odd.csv");
    fs.writeFileSync(file, "day,store,item,qty\n2024-01-01,a,b,1\n");
    await expect(detectImportFormat(file)).rejects.toThrow(
      /unknown sales-history layout; expected a wide daily file/,
    );
    await expect(
      importFile(file, new LocalStoreSink({ root: dir }), { timeZone: "Mars/Olympus" }),
    ).rejects.toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});
