/** `warecast demo` pieces that need no pipeline run: input routing, the clean start, the report tables. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { backtestTable, timingTable } from "../../cli/demo/report";
import { cleanWorkspace, importArgs, importStageArgs } from "../../cli/demo/stages";
import { buildProgram } from "../../cli/main";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "warecast-demo-"));

describe("the first stage follows the file's content", () => {
  it("ingests NDJSON events and imports long or wide CSV, into <workspace>/raw", async () => {
    expect(importArgs("events-ndjson", "e.txt", "/w/raw")).toEqual([
      "ingest",
      "e.txt",
      "--format",
      "ndjson",
      "--local",
      "/w/raw",
      "--no-progress",
    ]);
    expect(importArgs("long-csv", "s.csv", "/w/raw").slice(0, 4)).toEqual([
      "import",
      "s.csv",
      "--format",
      "long",
    ]);
    expect(importArgs("wide-daily-csv", "s.csv", "/w/raw").slice(0, 4)).toEqual([
      "import",
      "s.csv",
      "--format",
      "wide",
    ]);
    const dir = tmp();
    const file = path.join(dir, "sales.data");
    fs.writeFileSync(file, "date,warehouse_id,sku,units_sold\n2024-01-01,W1,S1,3\n");
    expect((await importStageArgs(file, "/w")).args.slice(0, 4)).toEqual([
      "import",
      file,
      "--format",
      "long",
    ]);
  });

  it("stops on an unknown file before touching the workspace, naming the accepted forms", async () => {
    const dir = tmp();
    const ws = path.join(dir, "ws");
    fs.mkdirSync(path.join(ws, "processed"), { recursive: true });
    const bad = path.join(dir, "bad.csv");
    fs.writeFileSync(bad, "a,b,c\n1,2,3\n");
    await expect(
      buildProgram()
        .exitOverride()
        .parseAsync(["demo", "--workspace", ws, "--data", bad, "--no-serve"], { from: "user" }),
    ).rejects.toThrow(/unknown format.*Accepted forms: NDJSON events.*long sales CSV.*wide daily CSV/s);
    expect(fs.existsSync(path.join(ws, "processed"))).toBe(true);
  });
});

it("starts clean: removes the pipeline directories, keeps the API key and anything else", () => {
  const ws = tmp();
  for (const d of ["raw/events", "processed/runs", "artifacts/runs", "jobs", "notes"])
    fs.mkdirSync(path.join(ws, d), { recursive: true });
  fs.writeFileSync(path.join(ws, "api-key"), "k\n");
  expect(cleanWorkspace(ws)).toEqual(["raw", "processed", "artifacts", "jobs"]);
  expect(fs.readdirSync(ws).sort()).toEqual(["api-key", "notes"]);
  expect(cleanWorkspace(ws)).toEqual([]);
});

it("prints the backtest table in the report's order and the stage times with a total", () => {
  const table = backtestTable({
    setup: { freq: "D", horizon: 28, origins: 2, series: 5 },
    metrics: {
      naive: { mase: 1.5, rmsse: 1.2, wape: 0.9, bias: 0.1 },
      model: { mase: 0.7, rmsse: 0.6, wape: 0.5, bias: -0.02, pinball: 0.2, coverage_80: 0.79 },
    },
  }).split("\n");
  expect(table[0]).toMatch(/^backtest: 5 series, freq D, horizon 28, 2 origins/);
  expect(table[2]).toMatch(/^ {2}model\s+0\.700\s+0\.600\s+50\.0%\s+-2\.0%\s+0\.200\s+79\.0%$/);
  expect(table[3]).toMatch(/^ {2}naive\s+1\.500\s+1\.200\s+90\.0%\s+10\.0%\s+-\s+-$/);
  expect(backtestTable({ model_version: "v" })).toMatch(/no backtest/);
  expect(
    timingTable([
      { stage: "etl", seconds: 1.25 },
      { stage: "train", seconds: 2 },
    ]).split("\n"),
  ).toEqual(["  etl          1.3 s", "  train        2.0 s", "  total        3.3 s"]);
});
