import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildProgram } from "../../cli/main";
import { eventLine } from "./fake-firehose";

let dir: string;
let out: string;
let err: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "wc-cli-"));
  out = "";
  err = "";
  jest.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  jest.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
});
afterEach(() => {
  jest.restoreAllMocks();
  process.exitCode = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) =>
  buildProgram()
    .exitOverride()
    .parseAsync(["node", "warecast", ...args]);

describe("warecast ingest", () => {
  it("prints each invalid record with file and line, a summary, writes the reject file, exits non-zero", async () => {
    const input = path.join(dir, "in.ndjson");
    fs.writeFileSync(
      input,
      [eventLine(1), eventLine(2, { quantity: "three" }), eventLine(3)].join("\n") + "\n",
    );
    const rejects = path.join(dir, "rejects.ndjson");
    await run("ingest", input, "--local", path.join(dir, "raw"), "--reject-file", rejects, "--no-progress");

    expect(err).toContain(`${input}:2: [invalid] /quantity must be number`);
    expect(err).toContain("warecast ingest: 1 invalid and 0 failed of 3 records read (2 sent)");
    expect(out).toMatch(
      /read\s+3\n\s+valid\s+2\n\s+invalid\s+1\n\s+sent\s+2\n\s+retried\s+0\n\s+failed\s+0\n\s+records\/s/,
    );
    expect(process.exitCode).toBe(1);
    const rejected = fs
      .readFileSync(rejects, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rejected).toEqual([
      {
        stage: "invalid",
        file: input,
        line: 2,
        reason: "/quantity must be number",
        raw: eventLine(2, { quantity: "three" }),
      },
    ]);
  });

  it("exits zero and reports JSON counts when everything is delivered", async () => {
    const input = path.join(dir, "in.csv");
    fs.writeFileSync(
      input,
      "schema_version,event_id,event_type,occurred_at,warehouse_id,sku,on_hand\n1,s1,inventory_snapshot,2024-01-01T23:00:00Z,W,S,12\n",
    );
    await run("ingest", input, "--local", path.join(dir, "raw"), "--json");
    expect(JSON.parse(out)).toMatchObject({ read: 1, valid: 1, invalid: 0, sent: 1, failed: 0, files: 1 });
    expect(process.exitCode).toBeUndefined();
  });

  it("refuses --local together with --stream", async () => {
    await expect(run("ingest", "x.ndjson", "--local", dir, "--stream", "s")).rejects.toThrow(
      /either --local DIR or --stream NAME/,
    );
  });
});

describe("warecast import", () => {
  it("imports a long CSV into the local store and reports the file", async () => {
    const input = path.join(dir, "sales.csv");
    fs.writeFileSync(
      input,
      "date,warehouse_id,sku,units_sold,on_hand\n2024-01-01,W1,A,3,10\n2024-01-02,W1,A,0,10\n",
    );
    await run("import", input, "--local", path.join(dir, "raw"), "--no-progress");
    expect(out).toMatch(/read\s+4\n\s+valid\s+4\n\s+invalid\s+0\n\s+sent\s+4/);
    expect(out).toContain(`${input}: long, 2 rows`);
    expect(process.exitCode).toBeUndefined();
  });
});
