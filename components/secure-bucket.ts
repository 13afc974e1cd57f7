/**
 * SecureBucket: the one building block for every S3 bucket. KMS encryption with the stack key (bucket key on),
 * versioning, all public access blocked, a TLS-only bucket policy that callers extend with their own statements,
 * lifecycle rules and server access logging from args, and retain/protect by config.
 *
 * The one exception to KMS is the access-log bucket (`kind: "accessLogs"`): S3 server access logging cannot deliver
 * to a bucket whose default encryption is SSE-KMS, so that bucket uses SSE-S3 (see docs/deploy.md).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";
import type { Encryption } from "./encryption";
import { accessLogDeliveryStatement, bucketPolicy, type PolicyStatement } from "./policy-documents";

/** An expiry rule for objects under a prefix. */
export interface ExpiryRule {
  /** Rule id, unique per bucket (e.g. `expire-raw-events`). */
  readonly id: string;
  /** Key prefix the rule applies to; "" for the whole bucket. */
  readonly prefix: string;
  /** Days after creation the current version expires. */
  readonly expireAfterDays: number;
}

export type AccessLogging =
  { readonly enabled: false } | { readonly enabled: true; readonly bucket: SecureBucket };

/** What all data buckets of a stack share. `Foundation.buckets` provides it; spread it into SecureBucketArgs. */
export interface BucketSettings {
  /** The stack key. */
  readonly key: Encryption;
  /** Region (for the account lookup of policies). */
  readonly region: pulumi.Input<string>;
  /** Protect from deletion and keep the bucket when the stack is destroyed. */
  readonly protect: boolean;
  /** Days noncurrent versions are kept. */
  readonly noncurrentVersionDays: number;
  /** Server access logging into the stack's access-log bucket. */
  readonly accessLogging: AccessLogging;
}

export interface SecureBucketArgs {
  /** "data" (default): SSE-KMS with `key`. "accessLogs": the access-log target, SSE-S3 (S3 requires it). */
  readonly kind?: "data" | "accessLogs";
  /** The stack key; required for kind "data". */
  readonly key?: Encryption;
  /** Region of the stack. Required. */
  readonly region: pulumi.Input<string>;
  /** Protect (Pulumi protect + retainOnDelete, no force-destroy). Default false. */
  readonly protect?: boolean;
  /** Days noncurrent versions are kept. Default 30. */
  readonly noncurrentVersionDays?: number;
  /** Expiry of current versions by prefix. Default none. */
  readonly expiry?: readonly ExpiryRule[];
  /** Server access logging. Default { enabled: false }. */
  readonly accessLogging?: AccessLogging;
  /** Statements appended to the TLS-only base policy (e.g. a service principal's write access). Default none. */
  readonly policyStatements?: pulumi.Input<pulumi.Input<PolicyStatement>[]>;
  /**
   * Key prefixes where an AWS service writes with its own encryption, exempt from the deny of uploads without the
   * stack key (e.g. CloudTrail's SSE-S3 digest files). Default none.
   */
  readonly otherEncryptionPrefixes?: pulumi.Input<string[]>;
}

export class SecureBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  /** Bucket name (the id). */
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  /** KMS key that encrypts the objects (undefined for the access-log bucket). */
  public readonly keyArn: pulumi.Output<string> | undefined;
  public readonly policy: aws.s3.BucketPolicy;

  constructor(name: string, args: SecureBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:foundation:SecureBucket", name, {}, opts);
    const kind = args.kind ?? "data";
    if (kind === "data" && !args.key)
      throw new Error(`SecureBucket ${name}: key is required for kind "data"`);
    const protect = args.protect ?? false;
    const noncurrentDays = args.noncurrentVersionDays ?? 30;
    if (!Number.isInteger(noncurrentDays) || noncurrentDays < 1) {
      throw new Error(
        `SecureBucket ${name}: noncurrentVersionDays must be a positive integer; got ${noncurrentDays}`,
      );
    }
    const expiry = args.expiry ?? [];
    const ids = new Set<string>();
    for (const rule of expiry) {
      if (ids.has(rule.id))
        throw new Error(`SecureBucket ${name}: expiry rule ids must be unique; "${rule.id}" repeats`);
      ids.add(rule.id);
      if (!Number.isInteger(rule.expireAfterDays) || rule.expireAfterDays < 1) {
        throw new Error(
          `SecureBucket ${name}: expiry "${rule.id}".expireAfterDays must be a positive integer`,
        );
      }
    }
    const logging = args.accessLogging ?? { enabled: false };
    if (kind === "accessLogs" && logging.enabled) {
      throw new Error(`SecureBucket ${name}: the access-log bucket cannot log to itself`);
    }

    this.bucket = new aws.s3.Bucket(
      `${name}`,
      { forceDestroy: !protect, objectLockEnabled: false },
      { parent: this, protect, retainOnDelete: protect },
    );
    // A retained bucket keeps its settings too: deleting them would leave it public-accessible, unencrypted by
    // default and unversioned.
    const child = { parent: this, retainOnDelete: protect };
    const bucketId = this.bucket.id;

    const pab = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucketId,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucketId,
        rules: [
          kind === "data"
            ? {
                applyServerSideEncryptionByDefault: {
                  sseAlgorithm: "aws:kms",
                  kmsMasterKeyId: args.key!.keyArn,
                },
                bucketKeyEnabled: true,
              }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ],
      },
      child,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucketId, versioningConfiguration: { status: "Enabled" } },
      child,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucketId,
        rules: [
          {
            id: "noncurrent-versions",
            status: "Enabled",
            // The whole bucket, said explicitly: an empty filter is deprecated in the v7 provider.
            filter: { prefix: "" },
            noncurrentVersionExpiration: { noncurrentDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
          {
            id: "expired-delete-markers",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { expiredObjectDeleteMarker: true },
          },
          ...expiry.map((rule) => ({
            id: rule.id,
            status: "Enabled",
            filter: { prefix: rule.prefix },
            expiration: { days: rule.expireAfterDays },
          })),
        ],
      },
      { ...child, dependsOn: [versioning] },
    );
    if (logging.enabled) {
      new aws.s3.BucketLogging(
        `${name}-access-logging`,
        {
          bucket: bucketId,
          targetBucket: logging.bucket.name,
          targetPrefix: pulumi.interpolate`${bucketId}/`,
          targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
        },
        child,
      );
    }

    const ctx = accountContext(this, args.region);
    const extra = pulumi.output(args.policyStatements ?? []) as pulumi.Output<PolicyStatement[]>;
    const exempt = pulumi.output(args.otherEncryptionPrefixes ?? []);
    this.policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucketId,
        policy: pulumi
          .all([this.bucket.arn, args.key?.keyArn, ctx, extra, exempt])
          .apply(([arn, keyArn, c, more, prefixes]) =>
            JSON.stringify(
              bucketPolicy({
                bucketArn: arn,
                kmsKeyArn: kind === "data" ? keyArn : undefined,
                otherEncryptionPrefixes: prefixes,
                extra: kind === "accessLogs" ? [accessLogDeliveryStatement(arn, c.accountId), ...more] : more,
              }),
            ),
          ),
      },
      // The public access block must exist first, or a policy with service principals may be rejected as public.
      { ...child, dependsOn: [pab] },
    );

    this.name = this.bucket.id;
    this.arn = this.bucket.arn;
    this.keyArn = kind === "data" ? args.key!.keyArn : undefined;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
