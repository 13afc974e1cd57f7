/**
 * Foundation: the stack key, the network, the access-log bucket (when enabled) and the shared data buckets (raw,
 * processed, artifacts). It hands other components the settings they share (`buckets`, `logs`, `functions`) so
 * that every bucket, log group and function of the stack is made the same way.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { Encryption } from "./encryption";
import type { LogSettings } from "./log-group";
import { Network } from "./network";
import { INTERFACE_ENDPOINTS, type InterfaceEndpointService } from "./network-plan";
import type { FunctionSettings } from "./private-function";
import { SecureBucket, type AccessLogging, type BucketSettings } from "./secure-bucket";

export interface FoundationArgs {
  /** AWS region of the stack. Required. */
  readonly region: string;
  /** Prefix of fixed names (KMS alias, log groups), e.g. `warecast-dev`. Required. */
  readonly namePrefix: string;
  /** VPC CIDR, AZ count, NAT strategy and interface endpoints. Required. */
  readonly network: StackConfig["network"];
  /** Retention, protection, access logging. Required. */
  readonly storage: StackConfig["storage"];
  /** Retention of every log group, in days. Required. */
  readonly logRetentionDays: number;
  /** Defaults of every private function. Required. */
  readonly functions: StackConfig["lambda"];
}

export class Foundation extends pulumi.ComponentResource {
  public readonly encryption: Encryption;
  public readonly network: Network;
  /** The access-log bucket, when storage.accessLogging is on. */
  public readonly accessLogBucket: SecureBucket | undefined;
  /** Raw events (Firehose → `events/dt=…/`, `errors/`, served forecasts under `forecasts/`). */
  public readonly rawBucket: SecureBucket;
  /** Processed tables (Parquet + Glue catalog), ETL run manifests, accuracy. */
  public readonly processedBucket: SecureBucket;
  /** Model artifacts (model.tar.gz per version), training checkpoints. */
  public readonly artifactsBucket: SecureBucket;
  /** Spread into SecureBucketArgs for any further bucket. */
  public readonly buckets: BucketSettings;
  /** Pass to createLogGroup for any log group. */
  public readonly logs: LogSettings;
  /** Spread into PrivateFunctionArgs for any function. */
  public readonly functions: FunctionSettings;

  constructor(name: string, args: FoundationArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:foundation:Foundation", name, {}, opts);
    const child = { parent: this };
    const { storage } = args;

    this.encryption = new Encryption(
      `${name}-encryption`,
      { region: args.region, alias: args.namePrefix, protect: storage.protect },
      child,
    );
    this.logs = {
      key: this.encryption,
      retentionDays: args.logRetentionDays,
      namePrefix: `/${args.namePrefix.replace(/-/g, "/")}`,
    };
    this.network = new Network(
      `${name}-network`,
      {
        region: args.region,
        cidr: args.network.vpcCidr,
        azCount: args.network.azCount,
        nat: args.network.nat,
        interfaceEndpoints: args.network.interfaceEndpoints
          ? (Object.keys(INTERFACE_ENDPOINTS) as InterfaceEndpointService[])
          : [],
        logs: this.logs,
      },
      child,
    );

    this.accessLogBucket = storage.accessLogging
      ? new SecureBucket(
          `${name}-access-logs`,
          {
            kind: "accessLogs",
            region: args.region,
            protect: storage.protect,
            noncurrentVersionDays: storage.noncurrentVersionDays,
            expiry: [
              { id: "expire-access-logs", prefix: "", expireAfterDays: storage.accessLogRetentionDays },
            ],
          },
          child,
        )
      : undefined;
    const accessLogging: AccessLogging = this.accessLogBucket
      ? { enabled: true, bucket: this.accessLogBucket }
      : { enabled: false };
    this.buckets = {
      key: this.encryption,
      region: args.region,
      protect: storage.protect,
      noncurrentVersionDays: storage.noncurrentVersionDays,
      accessLogging,
    };

    this.rawBucket = new SecureBucket(
      `${name}-raw`,
      {
        ...this.buckets,
        expiry: [
          { id: "expire-raw-events", prefix: "events/", expireAfterDays: storage.rawRetentionDays },
          { id: "expire-delivery-errors", prefix: "errors/", expireAfterDays: storage.rawRetentionDays },
          { id: "expire-served-forecasts", prefix: "forecasts/", expireAfterDays: storage.rawRetentionDays },
        ],
      },
      child,
    );
    this.processedBucket = new SecureBucket(`${name}-processed`, { ...this.buckets }, child);
    this.artifactsBucket = new SecureBucket(`${name}-artifacts`, { ...this.buckets }, child);

    this.functions = {
      network: this.network,
      key: this.encryption,
      logs: this.logs,
      region: args.region,
      reservedConcurrency: args.functions.reservedConcurrency,
      memoryMiB: args.functions.memoryMiB,
      timeoutSeconds: args.functions.timeoutSeconds,
    };
    this.registerOutputs({
      keyArn: this.encryption.keyArn,
      vpcId: this.network.vpcId,
      rawBucket: this.rawBucket.name,
      processedBucket: this.processedBucket.name,
      artifactsBucket: this.artifactsBucket.name,
    });
  }
}
