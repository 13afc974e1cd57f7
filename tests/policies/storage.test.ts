/** Encryption and bucket rules, each on a compliant and a violating resource, through the real pack. */
import { doc, secureBucket } from "./fixtures";
import { findingsOf, KEY_ARN, OTHER_KEY_ARN, resource, STACK_KEY, usePack } from "./support";

usePack();

const SSE_KMS = (key: string) => ({
  rules: [
    {
      applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key },
      bucketKeyEnabled: true,
    },
  ],
});

describe("s3-kms-stack-key", () => {
  const rule = "s3-kms-stack-key";
  test("a SecureBucket-style bucket under the stack key passes", async () => {
    expect(await findingsOf(rule, [STACK_KEY, ...secureBucket("data")])).toEqual([]);
  });
  test("SSE-S3, another key, no bucket key and a bucket without encryption config are each reported", async () => {
    const aes = secureBucket("aes", {
      sse: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    });
    const other = secureBucket("other", { sse: SSE_KMS(OTHER_KEY_ARN) });
    const noBucketKey = secureBucket("nobk", {
      sse: {
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN } }],
      },
    });
    const bare = resource("aws:s3/bucket:Bucket", "bare", { bucket: "bare" }, { bucket: "bare" });
    expect((await findingsOf(rule, [STACK_KEY, ...aes, ...other, ...noBucketKey, bare])).sort()).toEqual([
      'aes-encryption: rules[0] uses sseAlgorithm "AES256"; it must be "aws:kms"',
      "bare: has no BucketServerSideEncryptionConfiguration; objects would be encrypted with S3-managed keys",
      "nobk-encryption: rules[0] does not enable the S3 Bucket Key (bucketKeyEnabled), which multiplies KMS requests",
      `other-encryption: rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId is "${OTHER_KEY_ARN}", which is not the stack's KMS key`,
    ]);
  });
  test("a server access log target may use SSE-S3, and only a log target", async () => {
    const logs = secureBucket("logs", {
      sse: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    });
    const logging = resource("aws:s3/bucketLogging:BucketLogging", "data-logging", {
      bucket: "data",
      targetBucket: "logs",
    });
    expect(await findingsOf(rule, [STACK_KEY, ...secureBucket("data"), ...logs, logging])).toEqual([]);
  });
});

describe("firehose-kms-stack-key", () => {
  const rule = "firehose-kms-stack-key";
  const stream = (name: string, sse: Record<string, unknown>) =>
    resource("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", name, {
      destination: "extended_s3",
      serverSideEncryption: sse,
    });
  test("a stream encrypted with the stack key passes", async () => {
    const ok = stream("events", { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: KEY_ARN });
    expect(await findingsOf(rule, [STACK_KEY, ok])).toEqual([]);
  });
  test("unencrypted and AWS-owned-key streams are reported", async () => {
    const off = stream("off", { enabled: false });
    const owned = stream("owned", { enabled: true, keyType: "AWS_OWNED_CMK" });
    expect(await findingsOf(rule, [STACK_KEY, off, owned])).toEqual([
      "off: serverSideEncryption is not enabled",
      'owned: serverSideEncryption.keyType is "AWS_OWNED_CMK"; it must be "CUSTOMER_MANAGED_CMK"',
    ]);
  });
});

describe("s3-lifecycle-rule-filter", () => {
  const lifecycle = (name: string, filter: Record<string, unknown> | undefined) =>
    resource("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", name, {
      bucket: "b",
      rules: [
        { id: "raw", status: "Enabled", filter: { prefix: "events/" }, expiration: { days: 30 } },
        { id: "whole", status: "Enabled", filter, noncurrentVersionExpiration: { noncurrentDays: 7 } },
      ],
    });
  test("a prefix on every rule passes, the whole bucket included", async () => {
    expect(await findingsOf("s3-lifecycle-rule-filter", [lifecycle("ok", { prefix: "" })])).toEqual([]);
  });
  test("an empty or missing filter is reported", async () => {
    expect(
      await findingsOf("s3-lifecycle-rule-filter", [lifecycle("empty", {}), lifecycle("missing", undefined)]),
    ).toEqual([
      'empty: rule "whole" has an empty filter; for the whole bucket write filter: { prefix: "" }',
      'missing: rule "whole" has no filter; for the whole bucket write filter: { prefix: "" }',
    ]);
  });
});

describe("glue-security-configuration-kms", () => {
  const rule = "glue-security-configuration-kms";
  const config = (cloudwatchMode: string) =>
    resource("aws:glue/securityConfiguration:SecurityConfiguration", "etl-security", {
      name: "etl-security",
      encryptionConfiguration: {
        s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: KEY_ARN },
        cloudwatchEncryption: { cloudwatchEncryptionMode: cloudwatchMode, kmsKeyArn: KEY_ARN },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: KEY_ARN },
      },
    });
  const job = (name: string, securityConfiguration?: string, logPrefix?: string) =>
    resource("aws:glue/job:Job", name, {
      command: { scriptLocation: "s3://x/job.py" },
      securityConfiguration,
      defaultArguments: logPrefix ? { "--custom-logGroup-prefix": logPrefix } : {},
    });
  const group = (name: string, kmsKeyId = KEY_ARN) =>
    resource("aws:cloudwatch/logGroup:LogGroup", name, { name, retentionInDays: 7, kmsKeyId });
  test("a KMS security configuration used by the job passes", async () => {
    expect(await findingsOf(rule, [STACK_KEY, config("SSE-KMS"), job("etl", "etl-security")])).toEqual([]);
  });
  test("with the configuration's log encryption off, the job must log to the stack's own KMS groups", async () => {
    const groups = [group("/warecast/glue/etl/output"), group("/warecast/glue/etl/error")];
    expect(
      await findingsOf(rule, [
        STACK_KEY,
        config("DISABLED"),
        ...groups,
        job("etl", "etl-security", "/warecast/glue/etl"),
      ]),
    ).toEqual([]);
    expect(
      await findingsOf(rule, [
        STACK_KEY,
        config("DISABLED"),
        group("/warecast/glue/etl/output"),
        group("/warecast/glue/etl/error", OTHER_KEY_ARN),
        job("shared-groups", "etl-security"),
        job("missing-group", "etl-security", "/warecast/glue/other"),
        job("other-key", "etl-security", "/warecast/glue/etl"),
      ]),
    ).toEqual([
      "shared-groups: logs to Glue's shared /aws-glue/jobs groups unencrypted (cloudwatchEncryption is off and no --custom-logGroup-prefix names the stack's groups)",
      "missing-group: logs to /warecast/glue/other/output, which is not a log group of this stack",
      "missing-group: logs to /warecast/glue/other/error, which is not a log group of this stack",
      `other-key: its log group /warecast/glue/etl/error: kmsKeyId is "${OTHER_KEY_ARN}", which is not the stack's KMS key`,
    ]);
  });
  test("unencrypted output and a job without a security configuration are reported", async () => {
    const noS3 = resource("aws:glue/securityConfiguration:SecurityConfiguration", "no-s3", {
      name: "no-s3",
      encryptionConfiguration: {
        s3Encryption: { s3EncryptionMode: "DISABLED" },
        cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: KEY_ARN },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: KEY_ARN },
      },
    });
    expect(await findingsOf(rule, [STACK_KEY, noS3, job("etl"), job("other", "elsewhere")])).toEqual([
      'no-s3: encryptionConfiguration.s3Encryption.s3EncryptionMode is "DISABLED"; it must be "SSE-KMS"',
      "etl: has no securityConfiguration, so its output, logs and bookmarks are not KMS-encrypted",
      'other: securityConfiguration "elsewhere" is not a security configuration of this stack',
    ]);
  });
});

describe("single-key encryption rules", () => {
  test("sagemaker-endpoint-kms-stack-key: set → pass, missing → reported", async () => {
    const ok = resource("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "ok", {
      kmsKeyArn: KEY_ARN,
    });
    const bad = resource("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "bad", {});
    expect(await findingsOf("sagemaker-endpoint-kms-stack-key", [STACK_KEY, ok])).toEqual([]);
    expect(await findingsOf("sagemaker-endpoint-kms-stack-key", [STACK_KEY, bad])).toEqual([
      "bad: kmsKeyArn is not set; it must name the stack's KMS key",
    ]);
  });
  test("log-group-kms-stack-key: stack key → pass, another key → reported", async () => {
    const ok = resource("aws:cloudwatch/logGroup:LogGroup", "ok", {
      name: "/warecast/ok",
      retentionInDays: 7,
      kmsKeyId: KEY_ARN,
    });
    const bad = resource("aws:cloudwatch/logGroup:LogGroup", "bad", {
      name: "/warecast/bad",
      retentionInDays: 7,
      kmsKeyId: OTHER_KEY_ARN,
    });
    expect(await findingsOf("log-group-kms-stack-key", [STACK_KEY, ok])).toEqual([]);
    expect(await findingsOf("log-group-kms-stack-key", [STACK_KEY, bad])).toEqual([
      `bad: kmsKeyId is "${OTHER_KEY_ARN}", which is not the stack's KMS key`,
    ]);
  });
  test("sns-topic-kms-stack-key: an alias of the stack key → pass, the AWS managed key → reported", async () => {
    const alias = resource("aws:kms/alias:Alias", "stack-alias", {
      name: "alias/warecast-test",
      targetKeyId: "key-stack",
    });
    const ok = resource("aws:sns/topic:Topic", "alarms", { kmsMasterKeyId: "alias/warecast-test" });
    const bad = resource("aws:sns/topic:Topic", "managed", { kmsMasterKeyId: "alias/aws/sns" });
    expect(await findingsOf("sns-topic-kms-stack-key", [STACK_KEY, alias, ok])).toEqual([]);
    expect(await findingsOf("sns-topic-kms-stack-key", [STACK_KEY, alias, bad])).toEqual([
      'managed: kmsMasterKeyId is "alias/aws/sns", which is not the stack\'s KMS key',
    ]);
  });
  test("sqs-queue-kms-stack-key: the stack key passes; SSE-SQS is reported", async () => {
    const ok = resource("aws:sqs/queue:Queue", "jobs", { kmsMasterKeyId: KEY_ARN });
    const sqsManaged = resource("aws:sqs/queue:Queue", "dlq", { sqsManagedSseEnabled: true });
    expect(await findingsOf("sqs-queue-kms-stack-key", [STACK_KEY, ok])).toEqual([]);
    expect(await findingsOf("sqs-queue-kms-stack-key", [STACK_KEY, sqsManaged])).toEqual([
      "dlq: kmsMasterKeyId is not set; it must name the stack's KMS key",
    ]);
  });
  test("lambda-environment-kms-stack-key: the stack key passes; the default Lambda key is reported", async () => {
    const ok = resource("aws:lambda/function:Function", "ok", { runtime: "nodejs22.x", kmsKeyArn: KEY_ARN });
    const plain = resource("aws:lambda/function:Function", "plain", { runtime: "nodejs22.x" });
    expect(await findingsOf("lambda-environment-kms-stack-key", [STACK_KEY, ok])).toEqual([]);
    expect(await findingsOf("lambda-environment-kms-stack-key", [STACK_KEY, plain])).toEqual([
      "plain: kmsKeyArn is not set; it must name the stack's KMS key",
    ]);
  });
  test("kms-key-rotation: a rotating key passes; a symmetric key without rotation is reported", async () => {
    const asymmetric = resource("aws:kms/key:Key", "signing", {
      customerMasterKeySpec: "RSA_2048",
      keyUsage: "SIGN_VERIFY",
    });
    expect(await findingsOf("kms-key-rotation", [STACK_KEY, asymmetric])).toEqual([]);
    const still = resource("aws:kms/key:Key", "still", { enableKeyRotation: false });
    expect(await findingsOf("kms-key-rotation", [still])).toEqual([
      "still: does not rotate (enableKeyRotation is not true)",
    ]);
  });
  test("a stack without a KMS key says so", async () => {
    const topic = resource("aws:sns/topic:Topic", "t", { kmsMasterKeyId: KEY_ARN });
    expect(await findingsOf("sns-topic-kms-stack-key", [topic])).toEqual([
      `t: kmsMasterKeyId is "${KEY_ARN}" but the stack declares no KMS key`,
    ]);
  });
});

describe("bucket rules", () => {
  test("s3-tls-only: the TLS-deny statement passes; a policy without it, or no policy, is reported", async () => {
    const ok = secureBucket("ok");
    const weak = secureBucket("weak", {
      policy: JSON.parse(
        doc({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::weak/*" }),
      ),
    });
    const none = secureBucket("none").filter((r) => r.type !== "aws:s3/bucketPolicy:BucketPolicy");
    expect(await findingsOf("s3-tls-only", [STACK_KEY, ...ok])).toEqual([]);
    expect(await findingsOf("s3-tls-only", [STACK_KEY, ...weak, ...none])).toEqual([
      "weak: its bucket policy has no statement denying requests without aws:SecureTransport",
      "none: has no bucket policy, so plain-HTTP requests are not denied",
    ]);
  });
  test("s3-public-access-blocked: all four flags pass; one off is reported", async () => {
    expect(await findingsOf("s3-public-access-blocked", secureBucket("ok"))).toEqual([]);
    expect(
      await findingsOf(
        "s3-public-access-blocked",
        secureBucket("open", { block: { blockPublicPolicy: false } }),
      ),
    ).toEqual(["open-public-access: does not set blockPublicPolicy to true"]);
  });
  test("s3-data-bucket-versioning: enabled passes; suspended or missing is reported unless exempted in config", async () => {
    const suspended = secureBucket("suspended", {
      versioning: { versioningConfiguration: { status: "Suspended" } },
    });
    const missing = secureBucket("scratch", { versioning: null });
    expect(await findingsOf("s3-data-bucket-versioning", secureBucket("ok"))).toEqual([]);
    expect(await findingsOf("s3-data-bucket-versioning", [...suspended, ...missing])).toEqual([
      'suspended: versioning status is "Suspended", not "Enabled"',
      "scratch: has no BucketVersioning",
    ]);
    const exempt = {
      all: { enforcementLevel: "mandatory" as const },
      "s3-data-bucket-versioning": { properties: { exemptNamePatterns: ["^scratch$"] } },
    };
    expect(await findingsOf("s3-data-bucket-versioning", missing, exempt)).toEqual([]);
  });
});
