import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { detectInputFormat } from "../../cli/demo/input-format";

const dir = mkdtempSync(path.join(tmpdir(), "warecast-format-"));
function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe("detectInputFormat", () => {
  it("tells NDJSON events from their first object", async () => {
    const p = file("e.txt", '\n{"schema_version":1,"event_type":"sale","sku":"A"}\n');
    await expect(detectInputFormat(p)).resolves.toBe("events-ndjson");
  });

  it("tells a long sales CSV by its required columns, in any order and case", async () => {
    const p = file("l.data", "SKU,date,Warehouse_ID,units_sold,promo\nA,2024-01-01,W1,3,0\n");
    await expect(detectInputFormat(p)).resolves.toBe("long-csv");
  });

  it("tells the wide daily form of the bundled sample", async () => {
    await expect(detectInputFormat("data/sample/pasta/hierarchical_sales_data.csv")).resolves.toBe(
      "wide-daily-csv",
    );
  });

  it("names the accepted forms for an unknown file", async () => {
    const p = file("u.csv", "day,store,item,qty\n");
    await expect(detectInputFormat(p)).rejects.toThrow(
      /unknown format.*lacks date, warehouse_id, sku, units_sold.*Accepted forms: NDJSON events/,
    );
  });

  it("rejects JSON that is not events, gzip, and empty files with their reason", async () => {
    await expect(detectInputFormat(file("j.json", '{"a":1}\n'))).rejects.toThrow(/without an event_type/);
    await expect(detectInputFormat(file("b.json", '{"a":\n'))).rejects.toThrow(/does not parse/);
    await expect(detectInputFormat(file("g.gz", Buffer.from([0x1f, 0x8b, 0x08])))).rejects.toThrow(
      /compressed/,
    );
    await expect(detectInputFormat(file("e.csv", ""))).rejects.toThrow(/is empty/);
    await expect(detectInputFormat(path.join(dir, "missing.csv"))).rejects.toThrow(/no such file/);
  });

  it("refuses a header that fits two forms", async () => {
    const p = file("both.csv", "DATE,QTY_A,date,warehouse_id,sku,units_sold\n");
    await expect(detectInputFormat(p)).rejects.toThrow(/fits both/);
  });
});
