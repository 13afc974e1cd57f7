import type { PolicyResource } from "@pulumi/policy";
import {
  resourcePolicy,
  stackKeyProblem,
  stackPolicy,
  type ResourceRule,
  type WarecastPolicy,
} from "./lib/policy";
import { ofType, resolveRef } from "./lib/stack";
import { at, list, read, str, UNKNOWN } from "./lib/values";

/** Encryption at rest with the stack's own customer-managed KMS key, service by service. */

export const S3_BUCKET = "aws:s3/bucket:Bucket";
export const S3_LOGGING = "aws:s3/bucketLogging:BucketLogging";
export const S3_SSE =
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
export const FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream";
export const GLUE_SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration";
export const GLUE_JOB = "aws:glue/job:Job";
export const SAGEMAKER_ENDPOINT_CONFIGURATION = "aws:sagemaker/endpointConfiguration:EndpointConfiguration";
export const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
export const SNS_TOPIC = "aws:sns/topic:Topic";
export const SQS_QUEUE = "aws:sqs/queue:Queue";
/** Declared here, not imported from lambda.ts, which imports this module. */
const LAMBDA_FUNCTION_TYPE = "aws:lambda/function:Function";

/** Every bucket whose `bucket` argument points at this bucket (by dependency, name output or id). */
export function attachedTo(bucket: PolicyResource, candidates: PolicyResource[]): PolicyResource[] {
  const names = ["bucket", "id"]
    .map((f) => at(bucket.props, f))
    .filter((v): v is string => typeof v === "string");
  return candidates.filter((c) => {
    if ((c.propertyDependencies?.bucket ?? []).includes(bucket)) return true;
    const value = at(c.props, "bucket");
    return typeof value === "string" && names.includes(value);
  });
}

export const s3KmsEncryption: WarecastPolicy = stackPolicy(
  {
    name: "s3-kms-stack-key",
    description:
      "Every S3 bucket has default encryption with SSE-KMS under the stack's KMS key, with S3 Bucket Keys; server access log targets, which S3 can only write with SSE-S3, use AES256.",
    remediationSteps:
      "Create buckets through the SecureBucket component, or add an aws.s3.BucketServerSideEncryptionConfiguration " +
      'with sseAlgorithm "aws:kms", kmsMasterKeyId set to the stack key\'s ARN and bucketKeyEnabled: true.',
    severity: "high",
  },
  ({ resources }, report) => {
    const sseConfigs = ofType(resources, S3_SSE);
    const buckets = ofType(resources, S3_BUCKET);
    // S3 server access logging cannot deliver into an SSE-KMS bucket: log targets use SSE-S3, and only they may.
    const loggings = ofType(resources, S3_LOGGING);
    const logTargets = new Set(
      buckets.filter((b) =>
        loggings.some((l) => resolveRef(l, "targetBucket", [b], ["bucket", "id"]).kind === "resolved"),
      ),
    );
    for (const bucket of buckets) {
      if (attachedTo(bucket, sseConfigs).length === 0) {
        report(
          bucket,
          "has no BucketServerSideEncryptionConfiguration; objects would be encrypted with S3-managed keys",
        );
      }
    }
    for (const sse of sseConfigs) {
      const rules = list(sse.props, "rules");
      if (rules === UNKNOWN) continue;
      if (rules.length === 0) report(sse, "has no encryption rule");
      const logTarget = buckets.some((b) => logTargets.has(b) && attachedTo(b, [sse]).length > 0);
      rules.forEach((_, i) => {
        const algorithm = at(sse.props, `rules.${i}.applyServerSideEncryptionByDefault.sseAlgorithm`);
        // The documented exception: S3 delivers server access logs only into SSE-S3 target buckets.
        if (logTarget && algorithm === "AES256") return;
        if (algorithm !== UNKNOWN && algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") {
          report(sse, `rules[${i}] uses sseAlgorithm "${String(algorithm)}"; it must be "aws:kms"`);
          return;
        }
        const problem = stackKeyProblem(
          sse,
          `rules.${i}.applyServerSideEncryptionByDefault.kmsMasterKeyId`,
          resources,
        );
        if (problem) report(sse, problem);
        if (
          at(sse.props, `rules.${i}.bucketKeyEnabled`) !== true &&
          at(sse.props, `rules.${i}.bucketKeyEnabled`) !== UNKNOWN
        ) {
          report(
            sse,
            `rules[${i}] does not enable the S3 Bucket Key (bucketKeyEnabled), which multiplies KMS requests`,
          );
        }
      });
    }
  },
);

export const firehoseKmsEncryption: WarecastPolicy = stackPolicy(
  {
    name: "firehose-kms-stack-key",
    description:
      "Firehose delivery streams encrypt records at rest with the stack's KMS key (customer-managed CMK).",
    remediationSteps:
      'Set serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: <stack key ARN> } on the ' +
      "delivery stream; if extendedS3Configuration.kmsKeyArn is set, it must be the stack key too.",
    severity: "high",
  },
  ({ resources }, report) => {
    for (const stream of ofType(resources, FIREHOSE)) {
      const sse = stream.props.serverSideEncryption as unknown;
      if (at(sse, "enabled") !== true && at(sse, "enabled") !== UNKNOWN) {
        report(stream, "serverSideEncryption is not enabled");
        continue;
      }
      const keyType = at(sse, "keyType");
      if (keyType !== UNKNOWN && keyType !== "CUSTOMER_MANAGED_CMK") {
        report(
          stream,
          `serverSideEncryption.keyType is "${String(keyType ?? "AWS_OWNED_CMK")}"; it must be "CUSTOMER_MANAGED_CMK"`,
        );
        continue;
      }
      const problem = stackKeyProblem(stream, "serverSideEncryption.keyArn", resources);
      if (problem) report(stream, problem);
      if (at(stream.props, "extendedS3Configuration.kmsKeyArn") !== undefined) {
        const s3Problem = stackKeyProblem(stream, "extendedS3Configuration.kmsKeyArn", resources);
        if (s3Problem) report(stream, s3Problem);
      }
    }
  },
);

const GLUE_MODES: [string, string, string][] = [
  ["s3Encryption", "s3EncryptionMode", "SSE-KMS"],
  ["cloudwatchEncryption", "cloudwatchEncryptionMode", "SSE-KMS"],
  ["jobBookmarksEncryption", "jobBookmarksEncryptionMode", "CSE-KMS"],
];

/** Glue 5.0 writes a job's logs to `<--custom-logGroup-prefix>/output` and `/error`. */
const GLUE_LOG_STREAMS = ["output", "error"];

export const glueKmsEncryption: WarecastPolicy = stackPolicy(
  {
    name: "glue-security-configuration-kms",
    description:
      "Glue security configurations encrypt S3 output and job bookmarks with the stack's KMS key, and every Glue job uses one. Its logs are encrypted with the stack key either by the configuration (cloudwatchEncryption) or, with that off, by the stack's own log groups the job writes to (--custom-logGroup-prefix).",
    remediationSteps:
      "Give each aws.glue.SecurityConfiguration s3Encryption SSE-KMS and jobBookmarksEncryption CSE-KMS, each with " +
      "kmsKeyArn = the stack key; set securityConfiguration on every aws.glue.Job. For logs, either cloudwatchEncryption " +
      "SSE-KMS with the stack key, or DISABLED with --custom-logGroup-prefix naming <prefix>/output and <prefix>/error " +
      "groups made with the shared log-group helper (stack key).",
    severity: "high",
  },
  ({ resources }, report) => {
    const configs = ofType(resources, GLUE_SECURITY_CONFIGURATION);
    /** Configurations whose CloudWatch encryption is off: their jobs' own log groups must carry the key. */
    const logsByGroup = new Set<PolicyResource>();
    for (const sc of configs) {
      for (const [block, modeField, wanted] of GLUE_MODES) {
        const mode = at(sc.props, `encryptionConfiguration.${block}.${modeField}`);
        if (mode === UNKNOWN) continue;
        if (block === "cloudwatchEncryption" && (mode === undefined || mode === "DISABLED")) {
          logsByGroup.add(sc);
          continue;
        }
        if (mode !== wanted) {
          report(
            sc,
            `encryptionConfiguration.${block}.${modeField} is "${String(mode ?? "DISABLED")}"; it must be "${wanted}"`,
          );
          continue;
        }
        const problem = stackKeyProblem(sc, `encryptionConfiguration.${block}.kmsKeyArn`, resources);
        if (problem) report(sc, problem);
      }
    }
    const groups = ofType(resources, LOG_GROUP);
    for (const job of ofType(resources, GLUE_JOB)) {
      const sc = at(job.props, "securityConfiguration");
      if (sc === UNKNOWN) continue;
      const used =
        configs.find((c) => (job.propertyDependencies?.securityConfiguration ?? []).includes(c)) ??
        configs.find((c) => typeof sc === "string" && str(c.props, "name") === sc);
      if (typeof sc !== "string" || sc === "") {
        report(job, "has no securityConfiguration, so its output, logs and bookmarks are not KMS-encrypted");
        continue;
      }
      if (!used) {
        report(job, `securityConfiguration "${sc}" is not a security configuration of this stack`);
        continue;
      }
      if (!logsByGroup.has(used)) continue;
      const prefix = at(job.props, "defaultArguments.--custom-logGroup-prefix");
      if (prefix === UNKNOWN) continue;
      if (typeof prefix !== "string" || prefix === "") {
        report(
          job,
          "logs to Glue's shared /aws-glue/jobs groups unencrypted (cloudwatchEncryption is off and no --custom-logGroup-prefix names the stack's groups)",
        );
        continue;
      }
      for (const stream of GLUE_LOG_STREAMS) {
        const group = groups.find((g) => str(g.props, "name") === `${prefix}/${stream}`);
        if (!group) {
          report(job, `logs to ${prefix}/${stream}, which is not a log group of this stack`);
          continue;
        }
        const problem = stackKeyProblem(group, "kmsKeyId", resources);
        if (problem) report(job, `its log group ${prefix}/${stream}: ${problem}`);
      }
    }
  },
);

/** One property that must name the stack key, on every resource of one type. */
function keyedType(
  name: string,
  type: string,
  path: string,
  what: string,
  remediation: string,
): WarecastPolicy {
  return stackPolicy(
    {
      name,
      description: `${what} are encrypted with the stack's KMS key (${path}).`,
      remediationSteps: remediation,
      severity: "high",
    },
    ({ resources }, report) => {
      for (const res of ofType(resources, type)) {
        const problem = read(() => stackKeyProblem(res, path, resources));
        if (problem && problem !== UNKNOWN) report(res, problem);
      }
    },
  );
}

export const sagemakerEndpointKms = keyedType(
  "sagemaker-endpoint-kms-stack-key",
  SAGEMAKER_ENDPOINT_CONFIGURATION,
  "kmsKeyArn",
  "SageMaker endpoint configurations (storage volumes and async output)",
  "Set kmsKeyArn on every aws.sagemaker.EndpointConfiguration to the stack key's ARN (instance types with local " +
    "NVMe storage cannot take a key: choose one without it). The promote function must copy the key into the " +
    "endpoint configurations it creates.",
);

export const logGroupKms = keyedType(
  "log-group-kms-stack-key",
  LOG_GROUP,
  "kmsKeyId",
  "CloudWatch log groups",
  "Create log groups through the shared log-group helper, or set kmsKeyId to the stack key's ARN; the key policy " +
    "must allow logs.<region>.amazonaws.com.",
);

export const snsKms = keyedType(
  "sns-topic-kms-stack-key",
  SNS_TOPIC,
  "kmsMasterKeyId",
  "SNS topics",
  "Set kmsMasterKeyId on every aws.sns.Topic to the stack key's ARN (not alias/aws/sns, which CloudWatch alarms " +
    "cannot use); the key policy must allow cloudwatch.amazonaws.com to use it.",
);

export const sqsKms = keyedType(
  "sqs-queue-kms-stack-key",
  SQS_QUEUE,
  "kmsMasterKeyId",
  "SQS queues",
  "Set kmsMasterKeyId on every aws.sqs.Queue (dead-letter queues included) to the stack key's ARN instead of " +
    "SSE-SQS (sqsManagedSseEnabled); producers and consumers need kms:GenerateDataKey / kms:Decrypt on it.",
);

export const lambdaEnvironmentKms = keyedType(
  "lambda-environment-kms-stack-key",
  LAMBDA_FUNCTION_TYPE,
  "kmsKeyArn",
  "Lambda functions' environment variables",
  "Create functions with the shared private-function helper, which passes the stack key as kmsKeyArn; settings " +
    "such as bucket names, role ARNs and subnet IDs travel in the environment.",
);

export const kmsKeyRotation: ResourceRule = resourcePolicy(
  {
    name: "kms-key-rotation",
    description: "The stack's symmetric customer-managed KMS keys rotate automatically (enableKeyRotation).",
    remediationSteps:
      "Set enableKeyRotation: true (and rotationPeriodInDays if yearly is too slow) on the aws.kms.Key; the " +
      "Encryption component does this.",
    severity: "medium",
  },
  ["aws:kms/key:Key"],
  (props, _args, report) => {
    const spec = props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    if (spec === "SYMMETRIC_DEFAULT" && props.enableKeyRotation !== true) {
      report("does not rotate (enableKeyRotation is not true)");
    }
  },
);

export const encryptionPolicies = [
  kmsKeyRotation,
  s3KmsEncryption,
  firehoseKmsEncryption,
  glueKmsEncryption,
  sagemakerEndpointKms,
  logGroupKms,
  snsKms,
  sqsKms,
  lambdaEnvironmentKms,
];
