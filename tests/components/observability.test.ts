/**
 * Observability and AuditTrail under Pulumi mocks (tests/harness), run for each stack's config: the alarm topic,
 * one alarm per failure mode wired to it, failure rules, metric filters on existing log groups only, the
 * dashboard, the budget, and the trail's settings.
 */
import * as path from "node:path";
import { alarmDefinitions, DEFAULT_THRESHOLDS, FAILURE_MODES } from "../../components/observability-alarms";
import { runStack, type RegisteredResource, type StackRun } from "../harness";
import { sampleResources } from "./fixtures/monitored-resources";

const program = path.join(__dirname, "fixtures", "observability-program.ts");
const runs: Record<string, StackRun> = {};

beforeAll(async () => {
  runs.dev = await runStack("dev", { program });
  runs.prod = await runStack("prod", { program });
});

type Inputs = Record<string, unknown>;
const byName = (run: StackRun, type: string, name: string): RegisteredResource => {
  const found = run.ofType(type).find((r) => r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
const observabilityOf = (run: StackRun) =>
  byName(run, "warecast:observability:Observability", "wc-observability");

describe.each(["dev", "prod"])("Observability (%s)", (stack) => {
  const run = () => runs[stack];
  const topicArn = () => run().outputs.topicArn as string;

  it("encrypts the alarm topic with the stack key and lets only this account's services publish", () => {
    const topic = byName(run(), "aws:sns/topic:Topic", "wc-observability-alarms");
    expect(topic.inputs.kmsMasterKeyId).toBe(run().outputs.keyArn);
    const policy = JSON.parse(
      byName(run(), "aws:sns/topicPolicy:TopicPolicy", "wc-observability-alarms-policy").inputs
        .policy as string,
    );
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"] },
        Action: "sns:Publish",
        Resource: topicArn(),
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      }),
    ]);
  });

  it("subscribes exactly the configured e-mail addresses", () => {
    const emails = JSON.parse(run().config["warecast:observabilityAlarmEmails"] ?? "[]") as string[];
    const subs = run().ofType("aws:sns/topicSubscription:TopicSubscription");
    expect(subs.map((s) => s.inputs.endpoint).sort()).toEqual([...emails].sort());
    for (const s of subs) expect(s.inputs).toMatchObject({ protocol: "email", topic: topicArn() });
    if (stack === "prod") expect(subs.length).toBeGreaterThan(0);
  });

  it("has one alarm per catalogue entry, every failure mode covered, each wired to the topic for ALARM and OK", () => {
    const alarms = run().ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
    // The fixture program has the same parts and function ids as the sample.
    const expected = alarmDefinitions(sampleResources, DEFAULT_THRESHOLDS);
    expect(alarms.map((a) => a.name).sort()).toEqual(expected.map((d) => `wc-observability-${d.id}`).sort());
    for (const mode of FAILURE_MODES) expect(expected.some((d) => d.failureMode === mode)).toBe(true);
    for (const a of alarms) {
      expect(a.inputs.name).toBe(a.name.replace("wc-observability-", `warecast-${stack}-`));
      expect(a.inputs.alarmActions).toEqual([topicArn()]);
      expect(a.inputs.okActions).toEqual([topicArn()]);
      expect(a.inputs.alarmDescription).toMatch(/Runbook: docs\/operations\.md#[a-z0-9-]+$/);
      expect(a.parent).toBe(observabilityOf(run()).urn);
    }
    // Exported for `warecast smoke`, which reads exactly these.
    expect([...(run().outputs.alarmNames as string[])].sort()).toEqual(
      alarms.map((a) => a.inputs.name).sort(),
    );
  });

  it("passes the resources' names and the configured accuracy thresholds into the alarms", () => {
    const prefix = `warecast-${stack}`;
    const alarm = (id: string) =>
      byName(run(), "aws:cloudwatch/metricAlarm:MetricAlarm", `wc-observability-${id}`).inputs;
    expect(alarm("accuracy-wape")).toMatchObject({
      namespace: "Warecast",
      metricName: "ForecastWAPE",
      dimensions: { JobName: `${prefix}-etl`, Group: "__all__" },
      statistic: "Maximum",
      threshold: Number(run().config["warecast:observabilityWapeThreshold"] ?? "0.5"),
    });
    expect(alarm("accuracy-bias").threshold).toBe(
      Number(run().config["warecast:observabilityBiasThreshold"] ?? "0.25"),
    );
    expect(alarm("api-latency")).toMatchObject({
      dimensions: { ApiName: `${prefix}-api`, Stage: "v1" },
      extendedStatistic: "p99",
    });
    expect(alarm("api-latency").statistic).toBeUndefined();
    expect(alarm("endpoint-5xx").dimensions).toEqual({
      EndpointName: `${prefix}-forecast`,
      VariantName: "AllTraffic",
    });
    expect(alarm("function-predict-errors").dimensions).toEqual({ FunctionName: `${prefix}-predict` });
    const stalled = alarm("etl-stalled").metricQueries as Inputs[];
    expect(stalled.map((q) => q.id)).toEqual(["alarm", "incoming", "runs"]);
    expect(stalled[0]).toMatchObject({
      returnData: true,
      expression: expect.stringContaining("FILL(incoming, 0)"),
    });
    expect(stalled[1].metric).toMatchObject({ dimensions: { DeliveryStreamName: `${prefix}-events` } });
  });

  it("turns failed Glue runs and training jobs into counted events, also mailed to the topic", () => {
    const prefix = `warecast-${stack}`;
    const etl = byName(run(), "aws:cloudwatch/eventRule:EventRule", "wc-observability-etl-failed");
    expect(JSON.parse(etl.inputs.eventPattern as string).detail).toEqual({
      jobName: [`${prefix}-etl`],
      state: ["FAILED", "TIMEOUT", "ERROR"],
    });
    const training = byName(run(), "aws:cloudwatch/eventRule:EventRule", "wc-observability-training-failed");
    expect(JSON.parse(training.inputs.eventPattern as string).detail.TrainingJobName).toEqual([
      { prefix: `${prefix}-train` },
    ]);
    for (const target of run().ofType("aws:cloudwatch/eventTarget:EventTarget")) {
      expect(target.inputs.arn).toBe(topicArn());
      const template = JSON.parse(
        (target.inputs.inputTransformer as Inputs).inputTemplate as string,
      ) as string;
      expect(template).toMatch(/^Warecast (ETL|training): /);
    }
    const alarm = byName(run(), "aws:cloudwatch/metricAlarm:MetricAlarm", "wc-observability-etl-failed");
    expect(alarm.inputs).toMatchObject({ namespace: "AWS/Events", metricName: "TriggeredRules" });
    expect((alarm.inputs.dimensions as Inputs).RuleName).toBe("wc-observability-etl-failed");
  });

  it("reads the functions' own log groups with metric filters and creates no log group of its own", () => {
    const obs = observabilityOf(run());
    expect(
      run()
        .descendantsOf(obs.urn)
        .filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup"),
    ).toEqual([]);
    const groups = new Set(
      run()
        .ofType("aws:cloudwatch/logGroup:LogGroup")
        .map((g) => g.inputs.name),
    );
    const filters = run().ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter");
    expect(filters.map((f) => f.name).sort()).toEqual([
      "wc-observability-backtest-challenger",
      "wc-observability-backtest-champion",
      "wc-observability-predict-logged-errors",
      "wc-observability-promote-logged-errors",
    ]);
    for (const f of filters) {
      expect(groups.has(f.inputs.logGroupName)).toBe(true);
      expect(f.inputs.metricTransformation).toMatchObject({
        namespace: "Warecast",
        dimensions: { service: "$.service" },
      });
    }
    const challenger = filters.find((f) => f.name.endsWith("backtest-challenger"));
    expect(challenger?.inputs.logGroupName).toBe(`/warecast-${stack}/wc-promote-logs`);
    expect(challenger?.inputs.metricTransformation).toMatchObject({
      name: "BacktestScore",
      value: "$.gate.challenger",
    });
  });

  it("builds a dashboard with every alarm's status and a row per failure mode", () => {
    const dashboard = byName(run(), "aws:cloudwatch/dashboard:Dashboard", "wc-observability-dashboard");
    expect(dashboard.inputs.dashboardName).toBe(`warecast-${stack}-health`);
    const body = JSON.parse(dashboard.inputs.dashboardBody as string) as {
      widgets: { type: string; properties: Inputs }[];
    };
    const shown = body.widgets
      .filter((w) => w.type === "alarm")
      .flatMap((w) => w.properties.alarms as string[]);
    expect(shown).toHaveLength(run().ofType("aws:cloudwatch/metricAlarm:MetricAlarm").length);
    expect(shown.every((arn) => arn.includes(":cloudwatch:"))).toBe(true);
    expect(body.widgets.filter((w) => w.type === "text")).toHaveLength(7);
  });

  it("guards cost with a monthly budget from config, on the stack's tag, alerting the topic", () => {
    const budget = byName(run(), "aws:budgets/budget:Budget", "wc-observability-budget");
    const limit = Number(run().config["warecast:observabilityMonthlyBudgetUsd"]);
    expect(budget.inputs).toMatchObject({
      name: `warecast-${stack}-monthly-cost`,
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: limit.toFixed(2),
      limitUnit: "USD",
      costFilters: [{ name: "TagKeyValue", values: [`user:environment$${stack}`] }],
    });
    const notifications = budget.inputs.notifications as Inputs[];
    expect(notifications.map((n) => [n.notificationType, n.threshold])).toEqual([
      ["ACTUAL", 80],
      ["FORECASTED", 100],
    ]);
    for (const n of notifications) expect(n.subscriberSnsTopicArns).toEqual([topicArn()]);
    // Budgets checks its permission to publish when the budget is created: the topic policy comes first.
    const topicPolicy = byName(run(), "aws:sns/topicPolicy:TopicPolicy", "wc-observability-alarms-policy");
    expect(budget.dependencies).toContain(topicPolicy.urn);
  });
});

describe.each(["dev", "prod"])("AuditTrail (%s)", (stack) => {
  const run = () => runs[stack];
  const trail = () => byName(run(), "aws:cloudtrail/trail:Trail", "wc-audit").inputs;

  it("is multi-region, validates log files, uses the stack key and its own bucket", () => {
    expect(trail()).toMatchObject({
      name: `warecast-${stack}-audit`,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      enableLogging: true,
      kmsKeyId: run().outputs.keyArn,
    });
    const bucket = byName(run(), "aws:s3/bucket:Bucket", "wc-audit-logs");
    expect(trail().s3BucketName).toBe(bucket.id);
    expect(run().outputs.auditBucketArn).toBe(`arn:aws:s3:::${bucket.id}`);
    const encryption = byName(
      run(),
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "wc-audit-logs-encryption",
    );
    expect(JSON.stringify(encryption.inputs.rules)).toContain(run().outputs.keyArn as string);
  });

  it("expires log files after the configured retention", () => {
    const lifecycle = byName(
      run(),
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "wc-audit-logs-lifecycle",
    );
    const days = Number(run().config["warecast:observabilityAuditRetentionDays"]);
    expect(lifecycle.inputs.rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: "expire-trail-logs",
          filter: { prefix: "AWSLogs/" },
          expiration: { days },
        }),
      ]),
    );
  });

  it("lets CloudTrail write only this trail's logs into the bucket", () => {
    const bucketArn = run().outputs.auditBucketArn as string;
    const trailArn = `arn:aws:cloudtrail:eu-west-1:123456789012:trail/warecast-${stack}-audit`;
    const policy = JSON.parse(
      byName(run(), "aws:s3/bucketPolicy:BucketPolicy", "wc-audit-logs-policy").inputs.policy as string,
    );
    const sids = (policy.Statement as Inputs[]).map((s) => s.Sid);
    expect(sids).toEqual(
      expect.arrayContaining(["DenyInsecureTransport", "CloudTrailAclCheck", "CloudTrailWrite"]),
    );
    const write = (policy.Statement as Inputs[]).find((s) => s.Sid === "CloudTrailWrite");
    expect(write).toEqual({
      Sid: "CloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${bucketArn}/AWSLogs/123456789012/*`,
      Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn } },
    });
  });

  it("admits CloudTrail's SSE-S3 digest files and nothing else without the stack key", () => {
    const bucketArn = run().outputs.auditBucketArn as string;
    const policy = JSON.parse(
      byName(run(), "aws:s3/bucketPolicy:BucketPolicy", "wc-audit-logs-policy").inputs.policy as string,
    ) as { Statement: Statement[] };
    const key = run().outputs.keyArn as string;
    const put = (path: string, sse: Record<string, string>) =>
      denyingStatements(policy.Statement, `${bucketArn}/${path}`, sse);
    const digest = "AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2026/11/20/digest.json.gz";
    const log = "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/20/log.json.gz";
    const kms = {
      "s3:x-amz-server-side-encryption": "aws:kms",
      "s3:x-amz-server-side-encryption-aws-kms-key-id": key,
    };
    expect(put(digest, { "s3:x-amz-server-side-encryption": "AES256" })).toEqual([]);
    expect(put(log, kms)).toEqual([]);
    expect(put(log, { "s3:x-amz-server-side-encryption": "AES256" })).toEqual([
      "DenyOtherEncryption",
      "DenyOtherKmsKeys",
    ]);
    expect(put("elsewhere/x.json", { "s3:x-amz-server-side-encryption": "AES256" })).toEqual([
      "DenyOtherEncryption",
      "DenyOtherKmsKeys",
    ]);
  });

  it("protects the trail in prod (storageProtect)", () => {
    const t = byName(run(), "aws:cloudtrail/trail:Trail", "wc-audit");
    expect([t.protect, t.retainOnDelete]).toEqual(stack === "prod" ? [true, true] : [false, false]);
  });

  it("records S3 data events on the data buckets exactly when config says so", () => {
    const selectors = trail().eventSelectors as Inputs[];
    expect(selectors).toHaveLength(1);
    expect(selectors[0]).toMatchObject({ readWriteType: "All", includeManagementEvents: true });
    const on = run().config["warecast:observabilityCloudTrailS3DataEvents"] === "true";
    expect(on).toBe(stack === "prod");
    const expected = on
      ? [
          {
            type: "AWS::S3::Object",
            values: [`${run().outputs.rawBucketArn}/`, `${run().outputs.processedBucketArn}/`],
          },
        ]
      : [];
    expect(selectors[0].dataResources).toEqual(expected);
  });
});

type Statement = {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
};

/**
 * The Deny statements of a bucket policy that refuse a TLS PutObject of `resource` with the given condition keys:
 * IAM's matching for what these policies use (wildcards in ARNs, NotResource, StringNotEqualsIfExists, Bool).
 */
function denyingStatements(
  statements: Statement[],
  resource: string,
  keys: Record<string, string>,
): string[] {
  const list = (v: string | string[] | boolean | undefined) =>
    v === undefined ? [] : [v].flat().map(String);
  const glob = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split("*")
        .map((p) => p.replace(/[.?+^$()[\]{}|\\]/g, "\\$&"))
        .join(".*")}$`,
    );
  const matches = (patterns: string[]) => patterns.some((p) => glob(p).test(resource));
  const context: Record<string, string> = { "aws:SecureTransport": "true", ...keys };
  return statements
    .filter((st) => st.Effect === "Deny" && list(st.Action).some((a) => a === "s3:PutObject" || a === "s3:*"))
    .filter((st) => (st.NotResource ? !matches(list(st.NotResource)) : matches(list(st.Resource))))
    .filter((st) =>
      Object.entries(st.Condition ?? {}).every(([op, conditions]) =>
        Object.entries(conditions).every(([k, v]) => {
          const actual = context[k];
          if (op === "StringNotEqualsIfExists") return actual === undefined || !list(v).includes(actual);
          if (op === "Bool") return actual === String(v);
          throw new Error(`condition ${op} not modelled`);
        }),
      ),
    )
    .map((st) => st.Sid);
}
