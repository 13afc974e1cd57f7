/**
 * The whole stack (index.ts) under mocks, for each stack's config: every function, Glue job, API stage, Firehose
 * stream and flow log writes to a log group of the stack, and every log group of the stack has the stack's retention
 * and the stack key (they all come from components/log-group.ts). Components are covered as index.ts wires them.
 */
import { runStack, type RegisteredResource, type StackRun } from "../harness";

type Inputs = Record<string, unknown>;
const runs: Record<string, StackRun> = {};

// The whole program, twice (every function's closure is serialized): minutes on a busy 2-core machine.
beforeAll(async () => {
  runs.dev = await runStack("dev");
  runs.prod = await runStack("prod");
}, 600_000);

/** Every log group of the stack, by name, and by the ARN the mocks give it. */
function logGroups(run: StackRun): {
  byName: Map<string, RegisteredResource>;
  byArn: Map<string, RegisteredResource>;
} {
  const byName = new Map<string, RegisteredResource>();
  const byArn = new Map<string, RegisteredResource>();
  const region = run.config["aws:region"];
  for (const g of run.ofType("aws:cloudwatch/logGroup:LogGroup")) {
    const name = String(g.inputs.name);
    byName.set(name, g);
    byArn.set(`arn:aws:logs:${region}:123456789012:log-group:${name}`, g);
  }
  return { byName, byArn };
}

/** The log group each writer sends to, as `[writer, log group name or ARN, "name" | "arn"]`. */
function writers(run: StackRun): [string, string | undefined, "name" | "arn"][] {
  const out: [string, string | undefined, "name" | "arn"][] = [];
  for (const fn of run.ofType("aws:lambda/function:Function")) {
    const logging = fn.inputs.loggingConfig as Inputs | undefined;
    out.push([
      `function ${fn.name}`,
      (logging?.logGroup as string) ?? `/aws/lambda/${String(fn.inputs.name)}`,
      "name",
    ]);
  }
  for (const job of run.ofType("aws:glue/job:Job")) {
    const args = (job.inputs.defaultArguments ?? {}) as Record<string, string>;
    // Glue 5.0 always logs, to `<prefix>/output` (stdout/stderr) and `<prefix>/error` (driver, Spark, Glue
    // logger); without a custom prefix those are Glue's shared `/aws-glue/jobs/…` groups, outside the stack.
    const prefix = args["--custom-logGroup-prefix"];
    for (const stream of ["output", "error"]) {
      const writer = `Glue job ${job.name} (${stream}${prefix === undefined ? ": no --custom-logGroup-prefix" : ""})`;
      out.push([writer, prefix === undefined ? undefined : `${prefix}/${stream}`, "name"]);
    }
  }
  for (const stage of run.ofType("aws:apigateway/stage:Stage")) {
    const access = stage.inputs.accessLogSettings as Inputs | undefined;
    out.push([`API stage ${stage.name}`, access?.destinationArn as string | undefined, "arn"]);
  }
  for (const stream of run.ofType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")) {
    const s3 = (stream.inputs.extendedS3Configuration ?? {}) as Inputs;
    const logging = s3.cloudwatchLoggingOptions as Inputs | undefined;
    expect([stream.name, logging?.enabled]).toEqual([stream.name, true]);
    out.push([`Firehose stream ${stream.name}`, logging?.logGroupName as string | undefined, "name"]);
  }
  for (const flow of run.ofType("aws:ec2/flowLog:FlowLog")) {
    out.push([`flow log ${flow.name}`, flow.inputs.logDestination as string | undefined, "arn"]);
  }
  return out;
}

describe.each(["dev", "prod"])("log groups of the whole stack (%s)", (stack) => {
  const run = () => runs[stack];

  it("gives every log group the stack's retention and the stack key", () => {
    const groups = run().ofType("aws:cloudwatch/logGroup:LogGroup");
    expect(groups.length).toBeGreaterThan(0);
    const retention = Number(run().config["warecast:observabilityLogRetentionDays"]);
    const key = run().outputs.kmsKeyArn;
    expect(typeof key).toBe("string");
    for (const g of groups) {
      expect([g.name, g.inputs.retentionInDays, g.inputs.kmsKeyId]).toEqual([g.name, retention, key]);
    }
  });

  it("sends every function, Glue job, API stage, Firehose stream and flow log to one of those log groups", () => {
    const { byName, byArn } = logGroups(run());
    const all = writers(run());
    expect(all.length).toBeGreaterThan(0);
    const orphans = all.filter(
      ([, target, kind]) => !target || !(kind === "name" ? byName : byArn).has(target),
    );
    expect(orphans).toEqual([]);
  });

  it("gives each writer a log group of its own (each component creates its own)", () => {
    const { byName, byArn } = logGroups(run());
    const owner = new Map<string, string>();
    for (const [writer, target, kind] of writers(run())) {
      const group = target ? (kind === "name" ? byName : byArn).get(target) : undefined;
      if (!group) continue;
      const previous = owner.get(group.urn);
      expect([writer, previous ?? writer]).toEqual([writer, writer]);
      owner.set(group.urn, writer);
    }
  });
});

describe.each(["dev", "prod"])("observability of the whole stack (%s)", (stack) => {
  const run = () => runs[stack];
  const alarms = () => run().ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
  const ours = () =>
    alarms().filter((a) => String(a.inputs.name).startsWith(`warecast-${stack}-`) && a.inputs.alarmActions);

  it("alarms on the errors of every function of the stack, and counts ERROR lines in each one's log group", () => {
    const functions = run().ofType("aws:lambda/function:Function");
    expect(functions.length).toBeGreaterThanOrEqual(5);
    const watched = ours()
      .filter((a) => a.inputs.namespace === "AWS/Lambda")
      .map((a) => (a.inputs.dimensions as Inputs).FunctionName);
    // The mocks name an auto-named function after its logical name.
    expect([...watched].sort()).toEqual(functions.map((f) => f.name).sort());
    const filtered = new Set(
      run()
        .ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter")
        .filter((f) => (f.inputs.metricTransformation as Inputs).name === "LoggedErrors")
        .map((f) => f.inputs.logGroupName),
    );
    for (const fn of functions) expect(filtered.has((fn.inputs.loggingConfig as Inputs).logGroup)).toBe(true);
  });

  it("watches the stack's own streams, Glue job, endpoint and API stage", () => {
    const dims = ours().flatMap((a) => [
      a.inputs.dimensions as Inputs | undefined,
      ...((a.inputs.metricQueries as Inputs[] | undefined) ?? []).map(
        (q) => (q.metric as Inputs | undefined)?.dimensions as Inputs | undefined,
      ),
    ]);
    const values = (key: string) => new Set(dims.filter((d) => d && key in d).map((d) => d![key]));
    const streams = run()
      .ofType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
      .map((s) => s.name);
    expect([...values("DeliveryStreamName")].sort()).toEqual([...streams].sort());
    expect([...values("JobName")]).toEqual(
      run()
        .ofType("aws:glue/job:Job")
        .map((j) => j.inputs.name),
    );
    expect([...values("EndpointName")]).toEqual([run().outputs.forecastEndpointName]);
    const stage = run().ofType("aws:apigateway/stage:Stage")[0];
    expect([...values("Stage")]).toEqual([stage.inputs.stageName]);
    expect(run().outputs.alarmTopicArn).toEqual(expect.stringContaining(":sns:"));
  });
});
