/**
 * Encryption: the stack's customer-managed KMS key (rotation on) and its alias. Its key policy grants exactly the
 * services that use it (see `keyPolicy` in policy-documents.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";
import { keyPolicy } from "./policy-documents";

export interface EncryptionArgs {
  /** Region whose CloudWatch Logs may use the key. Required. */
  readonly region: pulumi.Input<string>;
  /** Alias name without the `alias/` prefix, e.g. `warecast-dev`. Required. */
  readonly alias: string;
  /** Protect the key from deletion (Pulumi protect + retainOnDelete) and use the longest deletion window. Default false. */
  readonly protect?: boolean;
}

export class Encryption extends pulumi.ComponentResource {
  /** The customer-managed key. */
  public readonly key: aws.kms.Key;
  public readonly keyArn: pulumi.Output<string>;
  public readonly keyId: pulumi.Output<string>;
  /** `alias/<alias>`. */
  public readonly aliasName: pulumi.Output<string>;

  constructor(name: string, args: EncryptionArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:foundation:Encryption", name, {}, opts);
    if (!/^[a-zA-Z0-9/_-]{1,250}$/.test(args.alias) || args.alias.startsWith("aws/")) {
      throw new Error(
        `Encryption ${name}: alias must be 1-250 of [A-Za-z0-9/_-] and not start with aws/; got "${args.alias}"`,
      );
    }
    const protect = args.protect ?? false;
    const ctx = accountContext(this, args.region);

    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Warecast ${args.alias}: data at rest (S3, Firehose, Glue, SageMaker, logs, SNS, CloudTrail)`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: protect ? 30 : 7,
        policy: ctx.apply((c) => JSON.stringify(keyPolicy(c))),
      },
      { parent: this, protect, retainOnDelete: protect },
    );
    const alias = new aws.kms.Alias(
      `${name}-alias`,
      { name: `alias/${args.alias}`, targetKeyId: this.key.keyId },
      { parent: this },
    );
    this.keyArn = this.key.arn;
    this.keyId = this.key.keyId;
    this.aliasName = alias.name;
    this.registerOutputs({ keyArn: this.keyArn, aliasName: this.aliasName });
  }
}
