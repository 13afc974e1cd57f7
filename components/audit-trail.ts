/**
 * AuditTrail: one multi-region CloudTrail trail per stack, with log file validation, encrypted with the stack key,
 * writing to its own SecureBucket whose log files expire after the retention from config. S3 data events
 * (object-level reads and writes) on the data buckets are an explicit switch (on in prod by config).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";
import type { Encryption } from "./encryption";
import type { PolicyStatement } from "./policy-documents";
import { SecureBucket, type BucketSettings } from "./secure-bucket";

export type S3DataEvents =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      /** Buckets whose object-level API calls are recorded (by ARN). */
      readonly buckets: readonly { readonly arn: pulumi.Input<string> }[];
    };

export interface AuditTrailArgs {
  /** The stack key: encrypts the log files and the bucket. Required. */
  readonly key: Encryption;
  /** What every bucket of the stack shares (protection, noncurrent versions, access logging). Required. */
  readonly buckets: BucketSettings;
  /** Trail name, fixed per stack so the bucket policy can name it (e.g. `warecast-dev-audit`). Required. */
  readonly trailName: string;
  /** Days log files are kept before they expire. Required. */
  readonly retentionDays: number;
  /** S3 data events on the data buckets. Default { enabled: false }. */
  readonly s3DataEvents?: S3DataEvents;
}

/** Where CloudTrail writes in the bucket: `AWSLogs/<account>/CloudTrail/...` (and digest files beside them). */
export const TRAIL_LOG_PREFIX = "AWSLogs/";

/** Log file validation's digest files, which CloudTrail always encrypts with SSE-S3 (not the trail's key). */
export function digestPrefix(accountId: string): string {
  return `${TRAIL_LOG_PREFIX}${accountId}/CloudTrail-Digest/`;
}

/** The bucket statements CloudTrail needs, for this one trail only (aws:SourceArn). */
export function trailBucketStatements(
  bucketArn: string,
  accountId: string,
  trailArn: string,
): PolicyStatement[] {
  return [
    {
      Sid: "CloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: bucketArn,
      Condition: { StringEquals: { "aws:SourceArn": trailArn } },
    },
    {
      Sid: "CloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${bucketArn}/${TRAIL_LOG_PREFIX}${accountId}/*`,
      Condition: {
        StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn },
      },
    },
  ];
}

export class AuditTrail extends pulumi.ComponentResource {
  public readonly trail: aws.cloudtrail.Trail;
  public readonly bucket: SecureBucket;
  public readonly trailArn: pulumi.Output<string>;

  constructor(name: string, args: AuditTrailArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:observability:AuditTrail", name, {}, opts);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/.test(args.trailName))
      throw new Error(
        `AuditTrail ${name}: trailName must be 3-128 of [A-Za-z0-9._-]; got "${args.trailName}"`,
      );
    if (!Number.isInteger(args.retentionDays) || args.retentionDays < 1)
      throw new Error(
        `AuditTrail ${name}: retentionDays must be a positive integer; got ${args.retentionDays}`,
      );
    const dataEvents = args.s3DataEvents ?? { enabled: false };
    if (dataEvents.enabled && dataEvents.buckets.length === 0)
      throw new Error(`AuditTrail ${name}: s3DataEvents.enabled needs at least one bucket`);

    const ctx = accountContext(this, args.buckets.region);
    const trailArn = pulumi.interpolate`arn:${ctx.partition}:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${args.trailName}`;
    // The bucket policy names the bucket's own ARN, which exists only once the bucket does: hand SecureBucket a
    // promise of it, resolved right after the bucket is declared.
    let resolveBucketArn: (arn: pulumi.Output<string>) => void = () => undefined;
    const bucketArn = pulumi.output(
      new Promise<pulumi.Output<string>>((resolve) => (resolveBucketArn = resolve)),
    );
    this.bucket = new SecureBucket(
      `${name}-logs`,
      {
        ...args.buckets,
        key: args.key,
        expiry: [{ id: "expire-trail-logs", prefix: TRAIL_LOG_PREFIX, expireAfterDays: args.retentionDays }],
        policyStatements: pulumi
          .all([bucketArn, ctx, trailArn])
          .apply(([arn, c, trail]) => trailBucketStatements(arn, c.accountId, trail)),
        otherEncryptionPrefixes: ctx.apply((c) => [digestPrefix(c.accountId)]),
      },
      { parent: this },
    );
    resolveBucketArn(this.bucket.arn);

    this.trail = new aws.cloudtrail.Trail(
      name,
      {
        name: args.trailName,
        s3BucketName: this.bucket.name,
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: true,
        enableLogFileValidation: true,
        enableLogging: true,
        kmsKeyId: args.key.keyArn,
        eventSelectors: [
          {
            readWriteType: "All",
            includeManagementEvents: true,
            dataResources: dataEvents.enabled
              ? [
                  {
                    type: "AWS::S3::Object",
                    values: dataEvents.buckets.map((b) => pulumi.interpolate`${b.arn}/`),
                  },
                ]
              : [],
          },
        ],
      },
      // CloudTrail checks the bucket policy when the trail is created. Protected with the data (storageProtect).
      {
        parent: this,
        dependsOn: [this.bucket.policy],
        protect: args.buckets.protect,
        retainOnDelete: args.buckets.protect,
      },
    );
    this.trailArn = this.trail.arn;
    this.registerOutputs({ trailArn: this.trailArn, bucketName: this.bucket.name });
  }
}
