/** readAccuracy over an in-memory store; the decoder reads JSON bodies (Parquet decoding is hyparquet's job). */
import { readAccuracy } from "../../functions/accuracy-report";
import type { ObjectInfo, ObjectStore } from "../../functions/predict/object-store";

function store(files: Record<string, unknown[]>): ObjectStore & { gets: string[] } {
  const gets: string[] = [];
  return {
    gets,
    async list(prefix: string): Promise<ObjectInfo[]> {
      return Object.keys(files)
        .filter((k) => k.startsWith(prefix))
        .map((key) => ({ key, etag: key, size: 1, lastModified: new Date(0) }));
    },
    async get(key: string) {
      gets.push(key);
      return { body: new TextEncoder().encode(JSON.stringify(files[key])), etag: key };
    },
    async getIfChanged() {
      throw new Error("readAccuracy keeps no cache");
    },
    async put() {
      throw new Error("read only");
    },
    async presign() {
      throw new Error("read only");
    },
  };
}
const decode = async (bytes: Uint8Array) =>
  JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>[];
const row = (group: string, model: string, n: number, wape: number | null) => ({
  group,
  model_version: model,
  n,
  abs_error: 7,
  actual: wape === null ? 0 : 22,
  error: -3,
  wape,
  bias: wape === null ? null : -3 / 22,
});

describe("readAccuracy", () => {
  const files = {
    "accuracy/date=2024-01-02/part-0.parquet": [
      row("W1", "v1", 2, 0.39),
      row("__all__", "__all__", 3, 7 / 22),
      row("W1", "__all__", 2, 0.39),
    ],
    "accuracy/date=2024-01-03/part-0.parquet": [row("__all__", "__all__", 1, null)],
    "accuracy/date=2023-12-01/part-0.parquet": [row("__all__", "__all__", 9, 0.1)],
    "accuracy/_SUCCESS": [],
  };

  it("returns the newest days' rows over all model versions, newest first, the roll-up first", async () => {
    const s = store(files);
    const report = await readAccuracy(s, decode, { days: 2 });
    expect(report.rows.map((r) => [r.date, r.group, r.n])).toEqual([
      ["2024-01-03", "__all__", 1],
      ["2024-01-02", "__all__", 3],
      ["2024-01-02", "W1", 2],
    ]);
    expect(report.rows[0].wape).toBeNull();
    expect(report.rows[1].wape).toBeCloseTo(7 / 22);
    expect(s.gets).not.toContain("accuracy/date=2023-12-01/part-0.parquet");
  });

  it("is empty before the ETL has evaluated anything, and checks its argument", async () => {
    expect(await readAccuracy(store({}), decode)).toEqual({ rows: [] });
    await expect(readAccuracy(store({}), decode, { days: 0 })).rejects.toThrow(
      /days must be an integer from 1 to 366/,
    );
  });

  it("names a field that is not a number", async () => {
    const bad = { "accuracy/date=2024-01-02/p.parquet": [{ ...row("W1", "__all__", 1, 0.1), n: "x" }] };
    await expect(readAccuracy(store(bad), decode)).rejects.toThrow(/accuracy: n is not a number/);
  });
});
