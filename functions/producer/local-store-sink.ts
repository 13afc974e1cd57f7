import { randomUUID } from "node:crypto";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { createGzip, type Gzip } from "node:zlib";
import { removeStaleTemp, tempName } from "./stale-temp";
import type { BatchOutcome, EncodedRecord, EventSink } from "./types";

export interface LocalStoreSinkOptions {
  /** Root of the local raw store, e.g. `.warecast/raw` (the stand-in for the raw bucket). */
  readonly root: string;
  /** Key prefix, as the Firehose stream's. Default `events/`; the served-forecast log uses `forecasts/`. */
  readonly prefix?: string;
  /** First part of each object name, as Firehose uses the stream name. Default `warecast-local`. */
  readonly name?: string;
  /** Uncompressed bytes per object before a new one starts (Firehose's buffer size). Default 128 MiB. */
  readonly maxObjectBytes?: number;
  /** gzip level 1–9. Default 6 (zlib's default). */
  readonly gzipLevel?: number;
  /** Arrival clock, injected for tests. Default `() => new Date()`. */
  readonly clock?: () => Date;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `dt=` partition (UTC arrival date) and Firehose's timestamp part of an object name. */
export function arrivalParts(at: Date): { dt: string; stamp: string } {
  const dt = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  const stamp = `${dt}-${pad(at.getUTCHours())}-${pad(at.getUTCMinutes())}-${pad(at.getUTCSeconds())}`;
  return { dt, stamp };
}

/** The object key Firehose would write: `<prefix>dt=YYYY-MM-DD/<name>-<yyyy-mm-dd-hh-mm-ss>-<uuid>.ndjson.gz`. */
export function localObjectKey(prefix: string, name: string, at: Date, id: string = randomUUID()): string {
  const { dt, stamp } = arrivalParts(at);
  return `${prefix}dt=${dt}/${name}-${stamp}-${id}.ndjson.gz`;
}

interface OpenObject {
  readonly key: string;
  readonly dt: string;
  readonly tmpPath: string;
  readonly gzip: Gzip;
  readonly done: Promise<void>;
  bytes: number;
}

/**
 * Writes records to a directory in the layout Firehose gives the raw bucket: gzip'd NDJSON objects under
 * `<prefix>dt=<UTC arrival date>/`. Each object is written to a temp file of its own in `<root>/.tmp/` and
 * renamed into place when complete (rename is atomic on one file system), so a reader (the ETL) never sees a
 * partial object. Many sinks share the staging directory at once (the local API opens one per request), so no
 * sink ever removes it. A new object starts when the buffer size is reached or the UTC date changes.
 */
export class LocalStoreSink implements EventSink {
  readonly description: string;
  readonly root: string;
  readonly prefix: string;
  private readonly name: string;
  private readonly maxObjectBytes: number;
  private readonly gzipLevel: number;
  private readonly clock: () => Date;
  private current: OpenObject | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly written: string[] = [];
  private sweep: Promise<string[]> | undefined;

  constructor(opts: LocalStoreSinkOptions) {
    if (!opts.root) throw new Error("LocalStoreSink: root (the local raw store directory) is required");
    const prefix = opts.prefix ?? "events/";
    if (
      !/^([A-Za-z0-9_.-]+\/)+$/.test(prefix) ||
      prefix.split("/").some((seg) => seg === "." || seg === "..")
    ) {
      throw new Error(
        `LocalStoreSink: prefix must be path segments ending in "/", e.g. "events/"; got "${prefix}"`,
      );
    }
    const name = opts.name ?? "warecast-local";
    if (!/^[A-Za-z0-9_.-]+$/.test(name))
      throw new Error(`LocalStoreSink: name must match [A-Za-z0-9_.-]+; got "${name}"`);
    this.root = opts.root;
    this.prefix = prefix;
    this.name = name;
    this.maxObjectBytes = opts.maxObjectBytes ?? 128 * 1024 * 1024;
    this.gzipLevel = opts.gzipLevel ?? 6;
    this.clock = opts.clock ?? (() => new Date());
    this.description = path.join(opts.root, prefix);
  }

  /** Keys (relative to root) of the objects completed so far. */
  get objects(): readonly string[] {
    return this.written;
  }

  /** Batches are written one after another, in call order, whatever the caller's concurrency. */
  send(batch: readonly EncodedRecord[]): Promise<BatchOutcome> {
    const run = this.queue.then(() => this.write(batch));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.finish();
  }

  private async write(batch: readonly EncodedRecord[]): Promise<BatchOutcome> {
    if (batch.length === 0) return { delivered: 0, retried: 0, failed: [] };
    const now = this.clock();
    const { dt } = arrivalParts(now);
    if (this.current && (this.current.dt !== dt || this.current.bytes >= this.maxObjectBytes))
      await this.finish();
    const obj = this.current ?? (this.current = await this.open(now, dt));
    const chunk = batch.length === 1 ? batch[0].data : Buffer.concat(batch.map((r) => r.data));
    obj.bytes += chunk.length;
    if (!obj.gzip.write(chunk)) await once(obj.gzip, "drain");
    return { delivered: batch.length, retried: 0, failed: [] };
  }

  private async open(now: Date, dt: string): Promise<OpenObject> {
    const key = localObjectKey(this.prefix, this.name, now);
    const tmpDir = path.join(this.root, ".tmp");
    await fs.promises.mkdir(tmpDir, { recursive: true });
    this.sweep ??= removeStaleTemp(tmpDir); // partial objects of killed writers
    await this.sweep;
    const tmpPath = path.join(tmpDir, tempName(path.basename(key)));
    const gzip = createGzip({ level: this.gzipLevel });
    const file = fs.createWriteStream(tmpPath);
    const done = new Promise<void>((resolve, reject) => {
      file.on("finish", resolve);
      file.on("error", reject);
      gzip.on("error", reject);
    });
    // Observed when the object is finished; marked handled now so an early disk error is not "unhandled".
    done.catch(() => undefined);
    gzip.pipe(file);
    return { key, dt, tmpPath, gzip, done, bytes: 0 };
  }

  private async finish(): Promise<void> {
    const obj = this.current;
    if (!obj) return;
    this.current = undefined;
    obj.gzip.end();
    await obj.done;
    const dest = path.join(this.root, obj.key);
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    await fs.promises.rename(obj.tmpPath, dest);
    this.written.push(obj.key);
  }
}
