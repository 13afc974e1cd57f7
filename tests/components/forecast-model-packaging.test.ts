/**
 * The component writes the bootstrap model.tar.gz and sourcedir.tar.gz in TypeScript at deploy time. These tests
 * hold that output to what the Python side expects: the same files as `python -m model.bootstrap`, an archive the
 * Python loader opens, and an inference handler that labels every response as the bootstrap baseline.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  bootstrapArtifactEntries,
  bootstrapVersion,
  modelCodeHash,
  pythonJson,
  sourceDirEntries,
} from "../../components/forecast-model/packaging";
import { tarGzBytes, writeTarGz } from "../../components/forecast-model/tarball";
import { metricDefinitions } from "../../components/forecast-model/training";
import { readTarMembers } from "../../functions/model/artifact";

const ROOT = path.resolve(__dirname, "..", "..");
const MODEL_DIR = path.join(ROOT, "model");
const PYTHON = path.join(ROOT, ".venv", "bin", "python");

function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === "__pycache__" || e.name.endsWith(".pyc")) continue;
      const arc = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), arc);
      else out.set(arc, fs.readFileSync(path.join(d, e.name)));
    }
  };
  walk(dir, "");
  return out;
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-pkg-test-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("bootstrap artifact built without Python", () => {
  it("has exactly the files and bytes that `python -m model.bootstrap` writes", () => {
    const version = "bootstrap-parity";
    execFileSync(PYTHON, ["-m", "model.bootstrap", "--out", tmp, "--version", version], { cwd: ROOT });
    const python = filesUnder(path.join(tmp, "model"));
    const ours = new Map(
      bootstrapArtifactEntries(MODEL_DIR, version).map((e) => [e.path, Buffer.from(e.content)]),
    );
    expect([...ours.keys()].sort()).toEqual([...python.keys()].sort());
    for (const [name, bytes] of python)
      expect(`${name}: ${ours.get(name)?.toString("utf8")}`).toBe(`${name}: ${bytes.toString("utf8")}`);
  });

  it("loads in the Python loader and labels every response as the bootstrap baseline", () => {
    const version = bootstrapVersion(modelCodeHash(MODEL_DIR));
    const archive = path.join(tmp, "ts-bootstrap.tar.gz");
    writeTarGz(archive, bootstrapArtifactEntries(MODEL_DIR, version));
    const request = JSON.stringify({
      freq: "D",
      horizon: 7,
      quantiles: [0.1, 0.5, 0.9],
      series: [
        { id: "W1/S1", history: { start: "2024-01-01", units: Array.from({ length: 35 }, (_, i) => i % 7) } },
      ],
    });
    const script = [
      "import json, sys",
      "from model.artifact import unpack, load_forecaster",
      "from model.inference import invoke",
      "d = unpack(sys.argv[1], sys.argv[2])",
      "status, body = invoke(load_forecaster(d), sys.argv[3].encode(), 'application/json', 'application/json')",
      "print(json.dumps({'status': status, 'body': json.loads(body)}))",
    ].join("\n");
    const out = JSON.parse(
      execFileSync(PYTHON, ["-c", script, archive, path.join(tmp, "unpacked"), request], {
        cwd: ROOT,
      }).toString(),
    ) as { status: number; body: { model_kind: string; model_version: string; series: unknown[] } };
    expect(out.status).toBe(200);
    expect(out.body.model_kind).toBe("bootstrap-baseline");
    expect(out.body.model_version).toBe(version);
    expect(out.body.series).toHaveLength(1);
  });

  it("is byte-identical across builds, and the version follows the code", () => {
    const v = bootstrapVersion(modelCodeHash(MODEL_DIR));
    expect(v).toMatch(/^bootstrap-[0-9a-f]{12}$/);
    expect(
      tarGzBytes(bootstrapArtifactEntries(MODEL_DIR, v)).equals(
        tarGzBytes(bootstrapArtifactEntries(MODEL_DIR, v)),
      ),
    ).toBe(true);
    expect(pythonJson({ b: "é", a: [1, { d: 2, c: 1 }] })).toBe(
      '{\n  "a": [\n    1,\n    {\n      "c": 1,\n      "d": 2\n    }\n  ],\n  "b": "\\u00e9"\n}\n',
    );
  });
});

describe("sourcedir", () => {
  it("holds the model package and an entry script that runs the training module", async () => {
    const entries = sourceDirEntries(MODEL_DIR, "train.py", "model.train");
    const names = entries.map((e) => e.path);
    expect(names).toContain("model/__init__.py");
    expect(names).toContain("model/inference.py");
    expect(names.some((n) => n.includes("__pycache__") || n.endsWith(".pyc"))).toBe(false);
    const members = await readTarMembers(tarGzBytes(entries), ["train.py"]);
    expect(members.get("train.py")?.toString()).toContain(
      'runpy.run_module("model.train", run_name="__main__", alter_sys=True)',
    );
  });

  it("refuses a directory that is not the model package", () => {
    expect(() => sourceDirEntries(path.join(ROOT, "docs"), "train.py", "model.train")).toThrow(
      /no __init__.py/,
    );
  });
});

describe("metric definitions", () => {
  it("match the lines train.py prints, and only those", () => {
    // The format string in model/train.py that the regexes follow.
    expect(fs.readFileSync(path.join(MODEL_DIR, "train.py"), "utf8")).toContain(
      'print(f"metric {name}_{metric}={row[metric]:.6f}"',
    );
    const defs = metricDefinitions();
    const scrape = (line: string) =>
      defs
        .filter((d) => new RegExp(d.Regex).test(line))
        .map((d) => [d.Name, new RegExp(d.Regex).exec(line)?.[1]]);
    expect(scrape("metric model_wape=0.312500")).toEqual([["backtest:model:wape", "0.312500"]]);
    expect(scrape("metric champion_coverage_80=0.791000")).toEqual([
      ["backtest:champion:coverage_80", "0.791000"],
    ]);
    expect(scrape("metric seasonal_naive_empirical_wape=0.5")).toEqual([]);
    expect(new Set(defs.map((d) => d.Name)).size).toBe(defs.length);
  });
});
