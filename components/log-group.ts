/**
 * The one way to create a CloudWatch log group: encrypted with the stack key and with the stack's retention.
 * Every function, job, stage and flow log writes to a group made here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LOG_RETENTION_DAYS } from "../config";
import type { Encryption } from "./encryption";

/** What every log group of a stack shares. `Foundation.logs` provides it. */
export interface LogSettings {
  /** Key that encrypts the log events. */
  readonly key: Encryption;
  /** Retention in days; one of the values CloudWatch accepts (observabilityLogRetentionDays). */
  readonly retentionDays: number;
  /** Prefix of fixed log group names, e.g. `/warecast/dev`. */
  readonly namePrefix: string;
}

export interface LogGroupArgs extends LogSettings {
  /**
   * Log group name. Default: `<namePrefix>/<name>`. Services with fixed names (e.g. `/aws/sagemaker/TrainingJobs`)
   * pass theirs.
   */
  readonly logGroupName?: pulumi.Input<string>;
}

/** `<prefix>/<kind>/<name>`, e.g. `/warecast/dev/lambda/predict`. */
export function logGroupPath(namePrefix: string, ...parts: string[]): string {
  return [namePrefix.replace(/\/$/, ""), ...parts].join("/");
}

export function createLogGroup(
  name: string,
  args: LogGroupArgs,
  opts: pulumi.CustomResourceOptions = {},
): aws.cloudwatch.LogGroup {
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(args.retentionDays)) {
    throw new Error(
      `createLogGroup ${name}: retentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")}; got ${args.retentionDays}`,
    );
  }
  return new aws.cloudwatch.LogGroup(
    name,
    {
      name: args.logGroupName ?? logGroupPath(args.namePrefix, name),
      retentionInDays: args.retentionDays,
      kmsKeyId: args.key.keyArn,
    },
    opts,
  );
}
