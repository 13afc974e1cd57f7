/**
 * Every command that takes sales history (train, backtest, tune; demo and import) reads the same formats: a wide
 * daily CSV reaches model/ as the long rows it pivots to, and events or unreadable files are usage errors.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../cli/main";
import { salesHistory, wideToLong } from "../../cli/sales-history";
import { UsageError } from "../../cli/usage";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-history-test-"));
const write = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A wide daily file like the bundled sample: `days` days of two items with a weekly pattern, one with promos. */
function wideFile(days: number): string {
  const rows = ["DATE,QTY_A,QTY_B,PROMO_A"];
  const start = Date.UTC(2017, 0, 2);
  for (let d = 0; d < days; d++) {
    const date = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
    const promo = d % 9 === 0 ? 1 : 0;
    rows.push(`${date},${3 + (d % 7) + 4 * promo},${10 + ((d * 3) % 7)},${promo}`);
  }
  return write(`wide-${days}.csv`, rows.join("\n") + "\n");
}

describe("wideToLong", () => {
  it("writes one long row per (date, item) cell, as written, with the item's promo when it has one", async () => {
    const wide = write("w.csv", 'DATE,QTY_A,QTY_B,PROMO_A,NOTE\n2024-01-01,3,0,1,x\n2024-01-02,"1,5",2,,y\n');
    const out = path.join(dir, "w.long.csv");
    await expect(wideToLong(wide, out, "WH")).resolves.toEqual({ rows: 4, malformed: 0 });
    expect(fs.readFileSync(out, "utf8")).toBe(
      [
        "date,warehouse_id,sku,units_sold,promo",
        "2024-01-01,WH,A,3,1",
        "2024-01-01,WH,B,0,",
        '2024-01-02,WH,A,"1,5",',
        "2024-01-02,WH,B,2,",
        "",
      ].join("\n"),
    );
  });
});

describe("salesHistory", () => {
  it("passes long CSV and Parquet directories through, converts wide files, and cleans up", async () => {
    const long = write("l.csv", "date,warehouse_id,sku,units_sold\n2024-01-01,W,A,1\n");
    await expect(salesHistory(long)).resolves.toMatchObject({ path: long, format: "long-csv" });
    await expect(salesHistory(dir)).resolves.toMatchObject({ path: dir, format: "parquet" });
    const wide = await salesHistory(wideFile(3));
    expect(wide.format).toBe("wide-daily-csv");
    expect(fs.readFileSync(wide.path, "utf8").split("\n")).toHaveLength(1 + 6 + 1);
    wide.cleanup();
    expect(fs.existsSync(wide.path)).toBe(false);
  });

  it("refuses events, missing files and unknown forms as usage errors that say what to do", async () => {
    const events = write("e.ndjson", '{"schema_version":1,"event_type":"sale"}\n');
    await expect(salesHistory(events)).rejects.toThrow(UsageError);
    await expect(salesHistory(events)).rejects.toThrow(/holds events, not sales history.*warecast etl/);
    await expect(salesHistory(path.join(dir, "nope.csv"))).rejects.toThrow(/nope.csv does not exist/);
    await expect(salesHistory(write("u.csv", "a,b\n1,2\n"))).rejects.toThrow(/unknown format/);
  });
});

describe("warecast backtest --data", () => {
  let out = "";
  beforeEach(() => {
    out = "";
    jest.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
    jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    process.exitCode = undefined;
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.exitCode = undefined;
  });

  it("reads a wide daily CSV, the form of the bundled sample (it failed on 'missing required column(s)')", async () => {
    const file = wideFile(420);
    const args = ["backtest", "--data", file, "--horizon", "7", "--origins", "2", "--json"];
    await main(["node", "warecast", ...args, "--hp", "max_iter=20", "--hp", "max_train_origins=10"]);
    expect(process.exitCode).toBeUndefined();
    const result = JSON.parse(out) as {
      data: { rows_in: number; series: number };
      setup: { origins: number };
    };
    expect(result.data).toMatchObject({ rows_in: 840, series: 2 });
    expect(result.setup.origins).toBe(2);
  }, 120_000);

  it("exits 2 on a usage error and 1 when the work fails", async () => {
    await main(["node", "warecast", "backtest", "--data", path.join(dir, "missing.csv")]);
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
    await main(["node", "warecast", "backtest", "--data", wideFile(5), "--origins", "0"]);
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
    // Valid arguments, but 5 days cannot hold 4 windows of 28: model/evaluate.py fails.
    await main(["node", "warecast", "backtest", "--data", wideFile(5)]);
    expect(process.exitCode).toBe(1);
  }, 120_000);
});
