import * as fs from "node:fs/promises";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import {
  UNCHANGED,
  type ObjectInfo,
  type ObjectStore,
  type StoredObject,
} from "../../functions/predict/object-store";

/**
 * ObjectStore over a directory: the local stand-in for a bucket, with the same relative keys. The ETag is
 * size + mtime, so a rewritten file is re-read; writes go to a temp file and are renamed into place, so a
 * reader never sees half an object. Presigned links are file:// URLs (local mode runs on one machine).
 */
export class FsObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private pathOf(key: string): string {
    const p = path.resolve(this.root, key);
    if (p !== this.root && !p.startsWith(this.root + path.sep))
      throw new Error(`key escapes the store: ${key}`);
    return p;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !e.name.startsWith(".")) {
          const key = path.relative(this.root, full).split(path.sep).join("/");
          if (!key.startsWith(prefix)) continue;
          const st = await fs.stat(full);
          out.push({ key, etag: etagOf(st), size: st.size, lastModified: st.mtime });
        }
      }
    };
    // Walk from the deepest directory the prefix names, not the whole store.
    const dirPart = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    await walk(this.pathOf(dirPart));
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    return this.read(key);
  }

  async getIfChanged(key: string, etag: string): Promise<StoredObject | typeof UNCHANGED | undefined> {
    return this.read(key, etag);
  }

  /**
   * One open file answers both the ETag and the body: a put renames a new file into place, so a stat and a read
   * of the path could see two different objects, while the handle keeps the one it opened.
   */
  private async read(key: string): Promise<StoredObject | undefined>;
  private async read(key: string, heldEtag: string): Promise<StoredObject | typeof UNCHANGED | undefined>;
  private async read(key: string, heldEtag?: string): Promise<StoredObject | typeof UNCHANGED | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(key), "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      const etag = etagOf(await handle.stat());
      if (etag === heldEtag) return UNCHANGED;
      return { body: new Uint8Array(await handle.readFile()), etag };
    } finally {
      await handle.close();
    }
  }

  async put(key: string, body: string | Uint8Array, _contentType: string): Promise<void> {
    const p = this.pathOf(key);
    await fs.mkdir(path.dirname(p), { recursive: true });
    const tmp = `${p}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await fs.writeFile(tmp, body);
    await fs.rename(tmp, p);
  }

  async presign(key: string, _expiresInSeconds: number): Promise<string> {
    return pathToFileURL(this.pathOf(key)).href;
  }
}

const etagOf = (st: import("node:fs").Stats): string => `${st.size}-${st.mtimeMs}`;
