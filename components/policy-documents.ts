/**
 * Pure IAM / KMS / S3 policy documents for the foundation pieces. No Pulumi here: plain data in, plain JSON-able
 * objects out, so the documents are unit-tested directly and reused by other components.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface AccountContext {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** The services whose principals in this account may use the stack key, through the service (kms:ViaService). */
export const KEY_USER_SERVICES = [
  "s3",
  "firehose",
  "glue",
  "sagemaker",
  "sns",
  "sqs",
  "lambda",
  "ec2",
] as const;

/** Crypto actions a service or role needs to read and write data under the key. */
export const KEY_USE_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:DescribeKey",
] as const;

/** Key administration (no crypto use): lets the account's IAM administrators manage the key and its policy. */
export const KEY_ADMIN_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
] as const;

/**
 * The stack key's policy. It grants exactly:
 * - the account (through IAM) key administration, without crypto use;
 * - roles of this account crypto use only through the services that store Warecast data (S3, Firehose, Glue,
 *   SageMaker, SNS, SQS, Lambda environment, EC2 volumes of SageMaker instances, CloudWatch Logs), and grants only
 *   for AWS resources. A role still needs its own IAM permission (see `keyUseStatement`);
 * - CloudWatch Logs of this region, for this account's log groups (encryption context);
 * - CloudTrail, for this account's trails (encryption context);
 * - CloudWatch alarms, EventBridge and AWS Budgets, to publish to SNS topics encrypted with the key, for this
 *   account only (aws:SourceAccount).
 */
export function keyPolicy(ctx: AccountContext): PolicyDocument {
  const { partition, accountId, region } = ctx;
  const root = `arn:${partition}:iam::${accountId}:root`;
  return policyDocument([
    {
      Sid: "KeyAdministration",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: [...KEY_ADMIN_ACTIONS],
      Resource: "*",
    },
    {
      Sid: "UseThroughWarecastServices",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: [...KEY_USE_ACTIONS],
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:CallerAccount": accountId,
          "kms:ViaService": KEY_USER_SERVICES.map((s) => `${s}.${region}.amazonaws.com`),
        },
      },
    },
    {
      Sid: "GrantsForAwsResources",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      Resource: "*",
      Condition: {
        Bool: { "kms:GrantIsForAWSResource": true },
        StringEquals: {
          "kms:CallerAccount": accountId,
          "kms:ViaService": KEY_USER_SERVICES.map((s) => `${s}.${region}.amazonaws.com`),
        },
      },
    },
    {
      Sid: "CloudWatchLogs",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*`,
        },
      },
    },
    {
      Sid: "CloudTrailEncrypt",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:GenerateDataKey*",
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": accountId },
        StringLike: {
          "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${partition}:cloudtrail:*:${accountId}:trail/*`,
        },
      },
    },
    {
      Sid: "CloudTrailDescribe",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "kms:DescribeKey",
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    },
    {
      Sid: "PublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"] },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    },
  ]);
}

/**
 * The IAM statement a role needs to read/write data encrypted with the stack key through `services` (default: all
 * services the key policy admits). Add it to every role that touches the buckets, streams or topics.
 */
export function keyUseStatement(
  keyArn: string,
  region: string,
  services: readonly (typeof KEY_USER_SERVICES)[number][] = KEY_USER_SERVICES,
): PolicyStatement {
  return {
    Sid: "UseStackKey",
    Effect: "Allow",
    Action: ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*"],
    Resource: keyArn,
    Condition: { StringEquals: { "kms:ViaService": services.map((s) => `${s}.${region}.amazonaws.com`) } },
  };
}

/**
 * Base bucket policy of every SecureBucket: deny any request without TLS, and for KMS buckets deny uploads that ask
 * for another encryption (anything but SSE-KMS with the stack key), except under `otherEncryptionPrefixes` (keys
 * an AWS service writes with its own encryption, such as CloudTrail's SSE-S3 digest files). `extra` follows.
 */
export function bucketPolicy(args: {
  bucketArn: string;
  kmsKeyArn?: string;
  otherEncryptionPrefixes?: readonly string[];
  extra?: readonly PolicyStatement[];
}): PolicyDocument {
  const { bucketArn, kmsKeyArn } = args;
  const exempt = (args.otherEncryptionPrefixes ?? []).map((p) => `${bucketArn}/${p}*`);
  // Every object but the exempt ones (a Deny with NotResource: nothing else in the bucket escapes it).
  const objects = exempt.length > 0 ? { NotResource: exempt } : { Resource: `${bucketArn}/*` };
  const statements: PolicyStatement[] = [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": false } },
    },
  ];
  if (kmsKeyArn) {
    statements.push(
      {
        Sid: "DenyOtherEncryption",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        ...objects,
        Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      },
      {
        Sid: "DenyOtherKmsKeys",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        ...objects,
        Condition: {
          StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyArn },
        },
      },
    );
  }
  return policyDocument([...statements, ...(args.extra ?? [])]);
}

/** Lets S3 server access logging write into the access-log bucket, for source buckets of this account only. */
export function accessLogDeliveryStatement(bucketArn: string, accountId: string): PolicyStatement {
  return {
    Sid: "S3ServerAccessLogsDelivery",
    Effect: "Allow",
    Principal: { Service: "logging.s3.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: `${bucketArn}/*`,
    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
  };
}

/** Trust policy letting one AWS service assume a role, for this account only. */
export function assumeRolePolicy(service: string, accountId?: string): PolicyDocument {
  return policyDocument([
    {
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      ...(accountId ? { Condition: { StringEquals: { "aws:SourceAccount": accountId } } } : {}),
    },
  ]);
}

/** Network-interface permissions a Lambda function needs to run in a VPC (the managed policy's actions). */
export function lambdaVpcAccessStatement(): PolicyStatement {
  return {
    Sid: "VpcNetworkInterfaces",
    Effect: "Allow",
    Action: [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ],
    Resource: "*",
  };
}

/** Write access to exactly one log group's streams. */
export function logWriteStatement(logGroupArn: string): PolicyStatement {
  return {
    Sid: "WriteOwnLogGroup",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
    Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
  };
}

/** X-Ray segment upload (active tracing); X-Ray has no resource-level permissions. */
export function xrayWriteStatement(): PolicyStatement {
  return {
    Sid: "XRayTracing",
    Effect: "Allow",
    Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    Resource: "*",
  };
}

/**
 * ListBucket on a bucket, limited to keys under the given prefixes. Besides listing, it makes GetObject of a
 * missing key under them a 404 instead of a 403, which is how readers tell "absent" from "denied".
 */
export function listUnder(sid: string, bucketArn: string, prefixes: readonly string[]): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: bucketArn,
    Condition: { StringLike: { "s3:prefix": prefixes.map((p) => `${p}*`) } },
  };
}
