import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tar from "tar";

/**
 * Deterministic .tar.gz files written at deploy time (sourcedir.tar.gz, the bootstrap model.tar.gz). The same
 * inputs give the same bytes on any machine — fixed mtime and modes, sorted entries, portable headers — so the
 * content hash in the S3 key changes only when the content does, and `pulumi up` does not re-upload otherwise.
 */

export interface TarEntry {
  /** Path inside the archive, `/`-separated, relative. */
  readonly path: string;
  readonly content: string | Uint8Array;
}

const EPOCH = new Date(0);

function checkPath(p: string): void {
  if (!p || p.startsWith("/") || p.split("/").some((part) => part === ".." || part === "")) {
    throw new Error(`tar entry path "${p}" must be relative, without empty or ".." parts`);
  }
}

/** Writes the entries as a gzipped tar to `file`; returns the SHA-256 of the bytes written. */
export function writeTarGz(file: string, entries: readonly TarEntry[]): string {
  const names = entries.map((e) => e.path);
  names.forEach(checkPath);
  if (new Set(names).size !== names.length) throw new Error("tar entries must have unique paths");
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-tar-"));
  try {
    for (const e of entries) {
      const target = path.join(staging, ...e.path.split("/"));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, e.content);
      fs.chmodSync(target, 0o644);
      fs.utimesSync(target, EPOCH, EPOCH);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    tar.create(
      { file, gzip: true, portable: true, mtime: EPOCH, cwd: staging, sync: true, noDirRecurse: true },
      [...names].sort(),
    );
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/**
 * Writes the archive into `dir` as `<stem>-<first 16 hex of its SHA-256>.tar.gz`, through a private temporary
 * file and a rename, and returns that path and the hash. Programs that build at the same time (two stacks, a
 * test run next to a preview) then never hand Pulumi each other's bytes: a name always holds its own content.
 */
export function writeContentAddressedTarGz(
  dir: string,
  stem: string,
  entries: readonly TarEntry[],
): { file: string; hash: string } {
  fs.mkdirSync(dir, { recursive: true });
  const staging = path.join(dir, `.${stem}-${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  const hash = writeTarGz(staging, entries);
  const file = path.join(dir, `${stem}-${hash.slice(0, 16)}.tar.gz`);
  fs.renameSync(staging, file);
  return { file, hash };
}

/** The same archive in memory (tests, and callers that upload bytes themselves). */
export function tarGzBytes(entries: readonly TarEntry[]): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-tgz-"));
  try {
    const file = path.join(dir, "out.tar.gz");
    writeTarGz(file, entries);
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
