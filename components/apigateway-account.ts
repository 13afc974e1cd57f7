/**
 * API Gateway's account-level CloudWatch Logs role. AWS keeps one such setting per account and region
 * (aws.apigateway.Account), and a stage with access logging fails to create in an account without it. Exactly one
 * stack per account and region owns it (config `accountSharedResources`, docs/deploy.md); the others rely on it.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";
import {
  assumeRolePolicy,
  policyDocument,
  type AccountContext,
  type PolicyStatement,
} from "./policy-documents";

/** What API Gateway needs to write access and execution logs (the actions of AmazonAPIGatewayPushToCloudWatchLogs). */
export function apiGatewayLoggingStatements(c: AccountContext): PolicyStatement[] {
  const groups = `arn:${c.partition}:logs:${c.region}:${c.accountId}:log-group:*`;
  return [
    {
      Sid: "ApiGatewayWritesLogs",
      Effect: "Allow",
      Action: [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
      ],
      // Every API of the account logs through this one role, so it cannot be narrower than the account's groups.
      Resource: [groups, `${groups}:log-stream:*`],
    },
  ];
}

/**
 * The role and the account setting that points at it. Order every stage after the returned Account. The role is
 * retained on delete: the account setting outlives this stack's resources, and other stacks' stages use it.
 */
export function apiGatewayAccountLogging(
  name: string,
  region: pulumi.Input<string>,
  opts: { parent: pulumi.Resource },
): aws.apigateway.Account {
  const ctx = accountContext(opts.parent, region);
  const role = new aws.iam.Role(
    `${name}-cloudwatch`,
    {
      description:
        "API Gateway (account and region): pushes stage access and execution logs to CloudWatch Logs",
      assumeRolePolicy: ctx.apply((c) =>
        JSON.stringify(assumeRolePolicy("apigateway.amazonaws.com", c.accountId)),
      ),
    },
    { ...opts, retainOnDelete: true },
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-cloudwatch`,
    {
      role: role.id,
      policy: ctx.apply((c) => JSON.stringify(policyDocument(apiGatewayLoggingStatements(c)))),
    },
    { ...opts, retainOnDelete: true },
  );
  return new aws.apigateway.Account(
    `${name}-account`,
    { cloudwatchRoleArn: role.arn },
    { ...opts, dependsOn: [policy] },
  );
}
