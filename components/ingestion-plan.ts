/**
 * Pure pieces of the IngestionPipeline: the S3 key layout of a stream, its buffering, and the IAM documents of its
 * delivery role and of its producers. No Pulumi here, so each is unit-tested directly.
 */
import { policyDocument, type PolicyDocument } from "./policy-documents";

/** Firehose's limits on S3 buffering hints (Direct PUT to S3). */
export const BUFFERING_LIMITS = { minSeconds: 0, maxSeconds: 900, minMiB: 1, maxMiB: 128 } as const;

export interface Buffering {
  /** Seconds Firehose waits before writing an object. */
  readonly intervalSeconds: number;
  /** MiB Firehose gathers before writing an object (whichever limit comes first). */
  readonly sizeMiB: number;
}

/** Where one stream writes, e.g. for purpose `events`: `events/dt=…/` and `errors/events/<error-type>/dt=…/`. */
export interface StreamLayout {
  /** Firehose `Prefix` expression. */
  readonly prefix: string;
  /** Firehose `ErrorOutputPrefix` expression. */
  readonly errorOutputPrefix: string;
  /** Literal key prefixes the delivery role may write under (the expressions' fixed heads). */
  readonly writablePrefixes: readonly string[];
}

const PURPOSE_RE = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * The layout of a stream whose records are `purpose` (e.g. `events`, `forecasts`): `dt` is the UTC arrival
 * date (Firehose's timestamp namespace), as docs/architecture.md specifies.
 */
export function streamLayout(purpose: string): StreamLayout {
  if (!PURPOSE_RE.test(purpose)) {
    throw new Error(
      `purpose must be 1-31 of [a-z0-9-] starting with a letter (e.g. "events"); got "${purpose}"`,
    );
  }
  return {
    prefix: `${purpose}/dt=!{timestamp:yyyy-MM-dd}/`,
    errorOutputPrefix: `errors/${purpose}/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
    writablePrefixes: [`${purpose}/`, `errors/${purpose}/`],
  };
}

/** Checks buffering hints against Firehose's limits; the error names the field and the range. */
export function validateBuffering(b: Buffering, where = "buffering"): Buffering {
  const { minSeconds, maxSeconds, minMiB, maxMiB } = BUFFERING_LIMITS;
  if (
    !Number.isInteger(b.intervalSeconds) ||
    b.intervalSeconds < minSeconds ||
    b.intervalSeconds > maxSeconds
  ) {
    throw new Error(
      `${where}.intervalSeconds must be an integer ${minSeconds}–${maxSeconds}; got ${b.intervalSeconds}`,
    );
  }
  if (!Number.isInteger(b.sizeMiB) || b.sizeMiB < minMiB || b.sizeMiB > maxMiB) {
    throw new Error(`${where}.sizeMiB must be an integer ${minMiB}–${maxMiB}; got ${b.sizeMiB}`);
  }
  return b;
}

export interface DeliveryRoleScope {
  readonly bucketArn: string;
  /** The stack key: the only key the role may use, only through S3, only for this bucket. */
  readonly keyArn: string;
  readonly region: string;
  /** The delivery-error log group of this stream. */
  readonly logGroupArn: string;
  readonly layout: StreamLayout;
}

/**
 * The delivery role's permissions, and nothing else:
 * - object writes (PutObject, AbortMultipartUpload) under the stream's own prefixes; no reads, no deletes;
 * - GetBucketLocation on the bucket (Firehose checks the bucket's region before delivering);
 * - the stack key, through S3 only and for this bucket only (bucket keys make the bucket ARN the context);
 * - log events into its own delivery-error log group.
 */
export function deliveryRolePolicy(s: DeliveryRoleScope): PolicyDocument {
  return policyDocument([
    {
      Sid: "WriteOwnPrefixes",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: s.layout.writablePrefixes.map((p) => `${s.bucketArn}/${p}*`),
    },
    {
      Sid: "LocateBucket",
      Effect: "Allow",
      Action: "s3:GetBucketLocation",
      Resource: s.bucketArn,
    },
    {
      Sid: "EncryptWithStackKeyThroughS3",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: s.keyArn,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${s.region}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [s.bucketArn, `${s.bucketArn}/*`] },
      },
    },
    {
      Sid: "LogDeliveryErrors",
      Effect: "Allow",
      Action: "logs:PutLogEvents",
      Resource: `${s.logGroupArn}:log-stream:*`,
    },
  ]);
}

/** What an external producer attaches to send events: PutRecord and PutRecordBatch on this stream only. */
export function producerPolicy(streamArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "PutRecordsToStream",
      Effect: "Allow",
      Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
      Resource: streamArn,
    },
  ]);
}
