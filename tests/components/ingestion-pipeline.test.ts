/**
 * IngestionPipeline under mocks, dev and prod: stream settings (encryption, prefixes, GZIP, buffering per stack,
 * logging), the scope of the delivery role and of the producer policy, EventBridge notifications, and reuse for
 * the served-forecast stream. Runs a test program with both streams (tests/components/programs).
 */
import * as path from "node:path";
import { MOCK_ACCOUNT_ID, runStack, type RegisteredResource, type StackRun } from "../harness";

const STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream";
const PROGRAM = path.join(__dirname, "programs", "ingestion-pipelines.ts");

let dev: StackRun;
let prod: StackRun;
// Two stack runs under mocks: with the whole suite in parallel on 2 shared cores they can pass jest's 60 s.
beforeAll(async () => {
  dev = await runStack("dev", { program: PROGRAM });
  prod = await runStack("prod", { program: PROGRAM });
}, 300_000);

const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v) as Record<string, unknown>;
type Stmt = { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown };

function stream(run: StackRun, purpose: "events" | "forecasts"): RegisteredResource {
  const s = run
    .ofType(STREAM)
    .filter((r) => (r.inputs.extendedS3Configuration as { prefix: string }).prefix.startsWith(`${purpose}/`));
  expect(s).toHaveLength(1);
  return s[0];
}
const s3conf = (s: RegisteredResource) => s.inputs.extendedS3Configuration as Record<string, unknown>;
const rawBucket = (run: StackRun) => run.ofType("aws:s3/bucket:Bucket").find((b) => b.name.endsWith("-raw"))!;
const keyArn = (run: StackRun) =>
  `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT_ID}:key/${run.ofType("aws:kms/key:Key")[0].id}`;

describe.each(["dev", "prod"])("%s stack", (stack) => {
  const run = () => (stack === "dev" ? dev : prod);

  it("delivers events to the raw bucket as GZIP under events/dt=<UTC date>/, with an error prefix", () => {
    const conf = s3conf(stream(run(), "events"));
    expect(run().byUrn(stream(run(), "events").parent!).type).toBe("warecast:ingestion:IngestionPipeline");
    expect(conf).toMatchObject({
      bucketArn: `arn:aws:s3:::${rawBucket(run()).id}`,
      prefix: "events/dt=!{timestamp:yyyy-MM-dd}/",
      errorOutputPrefix: "errors/events/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
      customTimeZone: "UTC",
      compressionFormat: "GZIP",
      fileExtension: ".ndjson.gz",
    });
    expect(stream(run(), "events").inputs.destination).toBe("extended_s3");
  });

  it("encrypts the stream and its objects with the stack key", () => {
    const s = stream(run(), "events");
    expect(s.inputs.serverSideEncryption).toEqual({
      enabled: true,
      keyType: "CUSTOMER_MANAGED_CMK",
      keyArn: keyArn(run()),
    });
    expect(s3conf(s).kmsKeyArn).toBe(keyArn(run()));
  });

  it("logs delivery errors to its own encrypted log group", () => {
    const logging = s3conf(stream(run(), "events")).cloudwatchLoggingOptions as Record<string, unknown>;
    expect(logging).toEqual({
      enabled: true,
      logGroupName: `/warecast/${stack}/firehose/warecast-${stack}-ingest`,
      logStreamName: "DestinationDelivery",
    });
    const group = run()
      .ofType("aws:cloudwatch/logGroup:LogGroup")
      .find((g) => g.inputs.name === logging.logGroupName)!;
    expect(group.inputs.kmsKeyId).toBe(keyArn(run()));
    const streams = run()
      .ofType("aws:cloudwatch/logStream:LogStream")
      .filter((l) => l.inputs.logGroupName === logging.logGroupName);
    expect(streams.map((l) => l.inputs.name)).toEqual(["DestinationDelivery"]);
  });

  it("scopes the delivery role to its own prefixes, its own key and its own log group, trusted by Firehose of this account", () => {
    const s = stream(run(), "events");
    const roleName = (s3conf(s).roleArn as string).split("/").pop();
    const role = run()
      .ofType("aws:iam/role:Role")
      .find((r) => r.id === roleName)!;
    expect(json(role.inputs.assumeRolePolicy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "firehose.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID } },
        },
      ],
    });
    const policies = run()
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === role.id);
    expect(policies).toHaveLength(1);
    expect(
      run()
        .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((a) => a.inputs.role === role.id),
    ).toEqual([]);
    const statements = json(policies[0].inputs.policy).Statement as Stmt[];
    const bucketArn = `arn:aws:s3:::${rawBucket(run()).id}`;
    expect(statements.find((x) => x.Sid === "WriteOwnPrefixes")!.Resource).toEqual([
      `${bucketArn}/events/*`,
      `${bucketArn}/errors/events/*`,
    ]);
    expect(statements.find((x) => x.Sid === "EncryptWithStackKeyThroughS3")!.Resource).toBe(keyArn(run()));
    expect(statements.find((x) => x.Sid === "LogDeliveryErrors")!.Resource).toBe(
      `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT_ID}:log-group:/warecast/${stack}/firehose/warecast-${stack}-ingest:log-stream:*`,
    );
    const actions = statements.flatMap((x) => x.Action);
    expect(actions.sort()).toEqual([
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "logs:PutLogEvents",
      "s3:AbortMultipartUpload",
      "s3:GetBucketLocation",
      "s3:PutObject",
    ]);
  });

  it("offers producers PutRecord/PutRecordBatch on this stream only", () => {
    const s = stream(run(), "events");
    const policy = run()
      .ofType("aws:iam/policy:Policy")
      .find((p) => p.name === `warecast-${stack}-ingest-producer`)!;
    expect(json(policy.inputs.policy).Statement).toEqual([
      {
        Sid: "PutRecordsToStream",
        Effect: "Allow",
        Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
        Resource: run().outputs.eventsStreamArn,
      },
    ]);
    expect(run().outputs.eventsProducerPolicyArn).toBe(`arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/${policy.id}`);
    expect(run().outputs.eventsStream).toBe(s.name);
  });

  it("turns on EventBridge notifications for the raw bucket, once", () => {
    const notes = run().ofType("aws:s3/bucketNotification:BucketNotification");
    expect(notes.map((n) => [n.inputs.bucket, n.inputs.eventbridge])).toEqual([[rawBucket(run()).id, true]]);
  });

  it("reuses the component for the served-forecast log: own prefixes, own role scope, same bucket and key", () => {
    const f = stream(run(), "forecasts");
    expect(s3conf(f)).toMatchObject({
      bucketArn: `arn:aws:s3:::${rawBucket(run()).id}`,
      prefix: "forecasts/dt=!{timestamp:yyyy-MM-dd}/",
      errorOutputPrefix: "errors/forecasts/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
      kmsKeyArn: keyArn(run()),
    });
    const roleName = (s3conf(f).roleArn as string).split("/").pop();
    const policy = run()
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .find((p) => p.inputs.role === roleName)!;
    const write = (json(policy.inputs.policy).Statement as Stmt[]).find((x) => x.Sid === "WriteOwnPrefixes")!;
    const bucketArn = `arn:aws:s3:::${rawBucket(run()).id}`;
    expect(write.Resource).toEqual([`${bucketArn}/forecasts/*`, `${bucketArn}/errors/forecasts/*`]);
  });
});

it("buffers per stack config: dev small and fast, prod larger and cheaper", () => {
  const hints = (run: StackRun) => {
    const c = s3conf(stream(run, "events"));
    return { interval: c.bufferingInterval, size: c.bufferingSize };
  };
  for (const run of [dev, prod]) {
    expect(hints(run)).toEqual({
      interval: Number(run.config["warecast:ingestionBufferSeconds"]),
      size: Number(run.config["warecast:ingestionBufferMiB"]),
    });
  }
  expect(hints(dev)).toEqual({ interval: 60, size: 1 });
  expect(hints(prod)).toEqual({ interval: 300, size: 64 });
});

it("is part of the stack (index.ts), with its stream, the raw bucket and the producer policy as outputs", async () => {
  const run = await runStack("dev");
  const streams = run.ofType(STREAM);
  expect(streams.map((s) => s3conf(s).prefix)).toContain("events/dt=!{timestamp:yyyy-MM-dd}/");
  const events = streams.find((s) => s3conf(s).prefix === "events/dt=!{timestamp:yyyy-MM-dd}/")!;
  expect(run.outputs.ingestStreamName).toBe(events.name);
  expect(run.outputs.rawBucketName).toBe(rawBucket(run).id);
  expect(run.outputs.ingestProducerPolicyArn).toMatch(
    /^arn:aws:iam::123456789012:policy\/warecast-dev-ingest-producer/,
  );
}, 300_000);
