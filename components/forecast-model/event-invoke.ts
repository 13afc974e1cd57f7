import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { PrivateFunction } from "../private-function";

/** An EventBridge rule → function target, with the permission for this rule only. Both are named `name`. */
export function invokeOnEvent(
  name: string,
  rule: aws.cloudwatch.EventRule,
  fn: PrivateFunction,
  opts: pulumi.CustomResourceOptions,
): void {
  new aws.cloudwatch.EventTarget(name, { rule: rule.name, arn: fn.arn }, opts);
  new aws.lambda.Permission(
    name,
    {
      action: "lambda:InvokeFunction",
      function: fn.functionName,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    },
    opts,
  );
}
