import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

/** One object's listing entry. `etag` changes whenever the content does (S3 ETag; mtime + size locally). */
export interface ObjectInfo {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: Date;
}

/** An object's bytes and the ETag they had when read. */
export interface StoredObject {
  readonly body: Uint8Array;
  readonly etag: string;
}

/** getIfChanged's answer when the object still has the ETag the caller holds. */
export const UNCHANGED = "unchanged";

/**
 * The few storage calls the API makes, over S3 in AWS and over a directory in local mode (same relative keys),
 * so the handlers run unchanged in both.
 */
export interface ObjectStore {
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The object, or undefined when it does not exist. */
  get(key: string): Promise<StoredObject | undefined>;
  /**
   * The object if its ETag is no longer `etag` (one conditional GET: If-None-Match in S3), UNCHANGED if it still
   * is, undefined when it does not exist.
   */
  getIfChanged(key: string, etag: string): Promise<StoredObject | typeof UNCHANGED | undefined>;
  put(key: string, body: string | Uint8Array, contentType: string): Promise<void>;
  /** A time-limited URL a client can GET without credentials. */
  presign(key: string, expiresInSeconds: number): Promise<string>;
}

/** ObjectStore on one S3 bucket. */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        out.push({
          key: o.Key,
          etag: o.ETag ?? "",
          size: o.Size ?? 0,
          lastModified: o.LastModified ?? new Date(0),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const got = await this.getIfChanged(key, undefined);
    return got === UNCHANGED ? undefined : got;
  }

  async getIfChanged(
    key: string,
    etag: string | undefined,
  ): Promise<StoredObject | typeof UNCHANGED | undefined> {
    try {
      const res = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, IfNoneMatch: etag }),
      );
      const body = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
      return { body, etag: res.ETag ?? "" };
    } catch (err) {
      // S3 answers a matching If-None-Match with 304 and no body, which the SDK raises as an error.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 304)
        return UNCHANGED;
      if (err instanceof NoSuchKey || (err as { name?: string }).name === "NoSuchKey") return undefined;
      throw err;
    }
  }

  async put(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  presign(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}
