import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { StackRun } from "../harness";

/**
 * The S3 objects a stack uploads at deploy time (every aws.s3.BucketObjectv2 with a `source`), resolved from the
 * program run under mocks: a file asset as its path, an AssetArchive as its entries. Tests lay out and run these,
 * so they exercise exactly what the components hand to Pulumi, built by the components' own code.
 */
export interface DeployedObject {
  /** `s3://<bucket>/<key>`. */
  readonly uri: string;
  readonly bucket: string;
  readonly key: string;
  /** A file asset's path. */
  readonly file?: string;
  /** An archive's entries: path inside the archive → source file. */
  readonly archive?: Readonly<Record<string, string>>;
}

interface AssetLike {
  readonly path?: Promise<string>;
  readonly text?: Promise<string>;
  readonly assets?: Promise<Record<string, AssetLike>>;
}

/** An archive's entries (after the mocks' deserialization): each a file's path or a string asset's text. */
export async function archiveEntries(
  archive: unknown,
): Promise<Record<string, { readonly path?: string; readonly text?: string }>> {
  const assets = await (archive as AssetLike).assets;
  if (!assets) throw new Error("not an AssetArchive");
  const out: Record<string, { path?: string; text?: string }> = {};
  for (const [name, asset] of Object.entries(assets)) {
    out[name] = asset.path ? { path: await asset.path } : { text: await asset.text };
  }
  return out;
}

export async function deployedObjects(run: StackRun): Promise<Map<string, DeployedObject>> {
  const out = new Map<string, DeployedObject>();
  for (const r of run.ofType("aws:s3/bucketObjectv2:BucketObjectv2")) {
    const source = r.inputs.source as AssetLike | undefined;
    if (!source) continue;
    const bucket = r.inputs.bucket as string;
    const key = r.inputs.key as string;
    const base = { uri: `s3://${bucket}/${key}`, bucket, key };
    if (source.assets) {
      const entries: Record<string, string> = {};
      for (const [name, asset] of Object.entries(await archiveEntries(source))) {
        if (!asset.path) throw new Error(`${base.uri}: archive entry ${name} is not a file asset`);
        entries[name] = asset.path;
      }
      out.set(base.uri, { ...base, archive: entries });
    } else if (source.path) {
      out.set(base.uri, { ...base, file: await source.path });
    }
  }
  return out;
}

/**
 * Writes an object's bytes to `target`: a file as is; an archive as a zip, the format Pulumi's engine turns an
 * AssetArchive into for an S3 object (pulumi-terraform-bridge's asset translation), one entry per asset. `omit`
 * leaves entries out (tests that must fail on an incomplete archive).
 */
export function writeObject(obj: DeployedObject, target: string, omit: readonly string[] = []): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (obj.file) {
    fs.copyFileSync(obj.file, target);
    return;
  }
  const entries = Object.entries(obj.archive ?? {}).filter(([name]) => !omit.includes(name));
  const python = path.resolve(__dirname, "..", "..", ".venv", "bin", "python");
  const script =
    "import json, sys, zipfile\n" +
    "target, entries = json.load(sys.stdin)\n" +
    "with zipfile.ZipFile(target, 'w', zipfile.ZIP_DEFLATED) as z:\n" +
    "    for name, source in sorted(entries):\n" +
    "        z.write(source, name)\n";
  execFileSync(python, ["-c", script], { input: JSON.stringify([target, entries]) });
}
