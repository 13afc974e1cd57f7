/**
 * IngestionPipeline: a Firehose Direct PUT stream into the raw SecureBucket. GZIP objects under
 * `<purpose>/dt=<UTC arrival date>/`, failures under `errors/<purpose>/…`, buffering from config, the stream and
 * the objects encrypted with the stack key, delivery errors logged to CloudWatch, a delivery role scoped to its own
 * prefixes and key, and a managed policy that external producers attach to send records.
 *
 * One stack has two: `events` (warehouse events) and `forecasts` (the API's served-forecast log), into the same
 * bucket. Only one of them may own the bucket's EventBridge notifications (S3 keeps one configuration per bucket).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";
import type { Encryption } from "./encryption";
import {
  deliveryRolePolicy,
  producerPolicy,
  streamLayout,
  validateBuffering,
  type Buffering,
  type StreamLayout,
} from "./ingestion-plan";
import { createLogGroup, logGroupPath, type LogSettings } from "./log-group";
import { assumeRolePolicy } from "./policy-documents";
import type { SecureBucket } from "./secure-bucket";

export interface IngestionPipelineArgs {
  /** The raw bucket the stream delivers into (Foundation.rawBucket). Required. */
  readonly bucket: SecureBucket;
  /** The stack key: encrypts the stream at rest and every object it writes. Required. */
  readonly key: Encryption;
  /** Region of the stack (for the key's kms:ViaService condition). Required. */
  readonly region: string;
  /** Log settings (Foundation.logs) for the delivery-error log group. Required. */
  readonly logs: LogSettings;
  /** Buffering hints: interval seconds (0–900) and size MiB (1–128). Required; from the stack's ingestion config. */
  readonly buffering: Buffering;
  /** What the stream carries; its objects go under `<purpose>/dt=…/`. Default "events". */
  readonly purpose?: string;
  /** Turn on EventBridge notifications for the bucket (one stream per bucket). Default { enabled: true }. */
  readonly bucketNotifications?: { readonly enabled: boolean };
}

export class IngestionPipeline extends pulumi.ComponentResource {
  public readonly stream: aws.kinesis.FirehoseDeliveryStream;
  public readonly streamName: pulumi.Output<string>;
  public readonly streamArn: pulumi.Output<string>;
  /** The role Firehose assumes to deliver; it may write only under `layout.writablePrefixes`. */
  public readonly deliveryRole: aws.iam.Role;
  /** Attach to a producer's role/user to let it PutRecord/PutRecordBatch into this stream only. */
  public readonly producerPolicy: aws.iam.Policy;
  public readonly producerPolicyArn: pulumi.Output<string>;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  /** Prefixes and expressions the stream writes with. */
  public readonly layout: StreamLayout;

  constructor(name: string, args: IngestionPipelineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:ingestion:IngestionPipeline", name, {}, opts);
    const purpose = args.purpose ?? "events";
    const layout = streamLayout(purpose);
    const buffering = validateBuffering(args.buffering, `IngestionPipeline ${name}: buffering`);
    const notifications = args.bucketNotifications ?? { enabled: true };
    const child = { parent: this };

    this.logGroup = createLogGroup(
      `${name}-delivery`,
      { ...args.logs, logGroupName: logGroupPath(args.logs.namePrefix, "firehose", name) },
      child,
    );
    // Firehose logs delivery errors into this stream of the group.
    const logStream = new aws.cloudwatch.LogStream(
      `${name}-delivery`,
      { logGroupName: this.logGroup.name, name: "DestinationDelivery" },
      child,
    );

    const ctx = accountContext(this, args.region);
    this.deliveryRole = new aws.iam.Role(
      `${name}-delivery`,
      {
        description: `Firehose delivery of ${purpose} into the raw bucket (own prefixes and key only)`,
        assumeRolePolicy: ctx.apply((c) =>
          JSON.stringify(assumeRolePolicy("firehose.amazonaws.com", c.accountId)),
        ),
      },
      child,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-delivery`,
      {
        role: this.deliveryRole.id,
        policy: pulumi
          .all([args.bucket.arn, args.key.keyArn, this.logGroup.arn])
          .apply(([bucketArn, keyArn, logGroupArn]) =>
            JSON.stringify(
              deliveryRolePolicy({ bucketArn, keyArn, logGroupArn, region: args.region, layout }),
            ),
          ),
      },
      child,
    );

    this.stream = new aws.kinesis.FirehoseDeliveryStream(
      name,
      {
        destination: "extended_s3",
        serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: args.key.keyArn },
        extendedS3Configuration: {
          bucketArn: args.bucket.arn,
          roleArn: this.deliveryRole.arn,
          prefix: layout.prefix,
          errorOutputPrefix: layout.errorOutputPrefix,
          // dt is the arrival date in UTC (docs/architecture.md), whatever the account's locale.
          customTimeZone: "UTC",
          compressionFormat: "GZIP",
          fileExtension: ".ndjson.gz",
          bufferingInterval: buffering.intervalSeconds,
          bufferingSize: buffering.sizeMiB,
          kmsKeyArn: args.key.keyArn,
          cloudwatchLoggingOptions: {
            enabled: true,
            logGroupName: this.logGroup.name,
            logStreamName: logStream.name,
          },
        },
      },
      // Firehose checks the role's access when the stream is created: the policy must exist first.
      { parent: this, dependsOn: [rolePolicy] },
    );

    if (notifications.enabled) {
      new aws.s3.BucketNotification(
        `${name}-notifications`,
        { bucket: args.bucket.name, eventbridge: true },
        child,
      );
    }

    this.producerPolicy = new aws.iam.Policy(
      `${name}-producer`,
      {
        description: `Send ${purpose} to the ${name} Firehose stream (PutRecord/PutRecordBatch on it only)`,
        policy: this.stream.arn.apply((arn) => JSON.stringify(producerPolicy(arn))),
      },
      child,
    );

    this.streamName = this.stream.name;
    this.streamArn = this.stream.arn;
    this.producerPolicyArn = this.producerPolicy.arn;
    this.layout = layout;
    this.registerOutputs({
      streamName: this.streamName,
      streamArn: this.streamArn,
      producerPolicyArn: this.producerPolicyArn,
    });
  }
}
