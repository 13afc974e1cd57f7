import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TarEntry } from "./tarball";

/**
 * What goes into the two archives the component uploads at deploy time, built from model/ without running Python:
 *
 * - sourcedir.tar.gz (training, script mode): the `model` package plus a top-level entry script that runs the
 *   training module, so `import model.…` resolves from the container's code directory.
 * - the bootstrap model.tar.gz: the same layout `python -m model.bootstrap` writes (model/artifact.py:
 *   model_version, feature_config.json, metrics.json, training_window.json, code/inference.py, code/model/…).
 *   A jest test builds both and compares them file by file, so the two cannot drift apart silently.
 */

/** Every file of the model package (recursively), skipping byte-code caches, sorted by archive path. */
export function modelPackageFiles(modelDir: string): { path: string; file: string }[] {
  if (!fs.existsSync(path.join(modelDir, "__init__.py"))) {
    throw new Error(`modelSourceDir "${modelDir}" is not the model package (no __init__.py)`);
  }
  const out: { path: string; file: string }[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "__pycache__" || entry.name.endsWith(".pyc")) continue;
      const full = path.join(dir, entry.name);
      const arc = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(full, arc);
      else if (entry.isFile()) out.push({ path: arc, file: full });
    }
  };
  walk(modelDir, "");
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function packageEntries(modelDir: string, under: string): TarEntry[] {
  return modelPackageFiles(modelDir).map((f) => ({
    path: `${under}${f.path}`,
    content: fs.readFileSync(f.file),
  }));
}

/** SHA-256 of the model package's file names and bytes: the code version. */
export function modelCodeHash(modelDir: string): string {
  const h = createHash("sha256");
  for (const f of modelPackageFiles(modelDir))
    h.update(f.path).update("\0").update(fs.readFileSync(f.file)).update("\0");
  return h.digest("hex");
}

/** The top-level training entry script: SageMaker runs it as `python <entry> --hp value …`. */
export function trainingEntryScript(trainingModule: string): string {
  return (
    `"""SageMaker training entry point (script mode): runs ${trainingModule} with this process's arguments."""\n` +
    "import runpy\n\n" +
    `runpy.run_module(${JSON.stringify(trainingModule)}, run_name="__main__", alter_sys=True)\n`
  );
}

export function sourceDirEntries(modelDir: string, entryPoint: string, trainingModule: string): TarEntry[] {
  return [
    ...packageEntries(modelDir, "model/"),
    { path: entryPoint, content: trainingEntryScript(trainingModule) },
  ];
}

/** Python's `json.dumps(obj, indent=2, sort_keys=True) + "\n"` for the plain data the artifact holds. */
export function pythonJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  // ensure_ascii: Python escapes every non-ASCII character.
  return `${JSON.stringify(sort(value), null, 2).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
}

/** The SageMaker inference entry script of every artifact (model/artifact.py `_ENTRY`). */
export const INFERENCE_ENTRY =
  '"""SageMaker entry point: the handler functions live in model.inference."""\n' +
  "from model.inference import model_fn, transform_fn  # noqa: F401\n";

export const BOOTSTRAP_KIND = "bootstrap-baseline";

/** The bootstrap artifact's files, as model/bootstrap.py's build_bootstrap writes them for `version`. */
export function bootstrapArtifactEntries(modelDir: string, version: string): TarEntry[] {
  const featureConfig = {
    model_kind: BOOTSTRAP_KIND,
    model_version: version,
    method: "seasonal naive (season 7 daily, 52 weekly), empirical seasonal-difference quantiles",
    freq: ["D", "W"],
  };
  return [
    { path: "model_version", content: `${version}\n` },
    { path: "feature_config.json", content: pythonJson(featureConfig) },
    {
      path: "metrics.json",
      content: pythonJson({ model_kind: BOOTSTRAP_KIND, note: "untrained baseline: no backtest" }),
    },
    { path: "training_window.json", content: pythonJson({ trained: false }) },
    { path: "code/inference.py", content: INFERENCE_ENTRY },
    ...packageEntries(modelDir, "code/model/"),
  ];
}

/** `bootstrap-<first 12 hex of the code hash>`: a new label exactly when the serving code changes. */
export function bootstrapVersion(codeHash: string): string {
  return `bootstrap-${codeHash.slice(0, 12)}`;
}
