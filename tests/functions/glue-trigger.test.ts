import type { GetJobRunsCommandInput, JobRun, StartJobRunCommandInput } from "@aws-sdk/client-glue";
import type { ListObjectsV2CommandInput, _Object } from "@aws-sdk/client-s3";
import {
  CATCH_UP_DETAIL_TYPE,
  CATCH_UP_SOURCE,
  handleGlueTrigger,
  isThrottling,
  type GlueApi,
  type GlueTriggerSettings,
  type S3ListApi,
  type TriggerEvent,
} from "../../functions/glue-trigger";
import objectCreated from "./events/glue-trigger/object-created.json";
import jobSucceeded from "./events/glue-trigger/job-succeeded.json";
import scheduled from "./events/glue-trigger/scheduled.json";
import { quietObservability } from "./model-fakes";

const SETTINGS: GlueTriggerSettings = {
  jobName: "warecast-dev-etl",
  rawBucket: "warecast-dev-raw",
  eventsPrefix: "events/",
};

function named(name: string): Error {
  return Object.assign(new Error(name), { name });
}

/** A Glue job with max concurrency 1, and a raw bucket listing. */
class Fakes {
  runs: JobRun[] = [];
  objects: _Object[] = [];
  startError?: Error;
  readonly calls: { op: string; input: unknown }[] = [];

  glue: GlueApi = {
    getJobRuns: async (input: GetJobRunsCommandInput) => {
      this.calls.push({ op: "getJobRuns", input });
      return { JobRuns: this.runs, $metadata: {} };
    },
    startJobRun: async (input: StartJobRunCommandInput) => {
      this.calls.push({ op: "startJobRun", input });
      if (this.startError) throw this.startError;
      const id = `jr_${this.runs.length + 1}`;
      this.runs.unshift({ Id: id, JobName: input.JobName, JobRunState: "RUNNING", StartedOn: new Date() });
      return { JobRunId: id, $metadata: {} };
    },
  };

  s3: S3ListApi = {
    listObjectsV2: async (input: ListObjectsV2CommandInput) => {
      this.calls.push({ op: "listObjectsV2", input });
      const keys = this.objects.filter((o) => o.Key! > (input.StartAfter ?? ""));
      return { Contents: keys, IsTruncated: false, $metadata: {} };
    },
  };

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }
}

function setup(settings: GlueTriggerSettings = SETTINGS, now?: Date) {
  const fakes = new Fakes();
  const obs = quietObservability();
  const handle = (event: unknown) =>
    handleGlueTrigger(event as TriggerEvent, {
      glue: fakes.glue,
      s3: fakes.s3,
      settings,
      obs,
      ...(now ? { now: () => now } : {}),
    });
  return { fakes, obs, handle };
}

describe("glue-trigger", () => {
  it("starts the job for a new raw object, with only the job's name (its arguments are the job's defaults)", async () => {
    const { fakes, obs, handle } = setup();
    const result = await handle(objectCreated);
    expect(result).toEqual({
      action: "started",
      jobRunId: "jr_1",
      reason: "object created: events/dt=2024-03-11/warecast-dev-events-1-2024-03-11-10-00-00-abc.ndjson.gz",
    });
    expect(fakes.calls).toEqual([
      { op: "getJobRuns", input: { JobName: "warecast-dev-etl", MaxResults: 10 } },
      { op: "startJobRun", input: { JobName: "warecast-dev-etl" } },
    ]);
    expect(obs.logs[0]).toMatchObject({
      message: "glue trigger started",
      extra: { eventId: objectCreated.id },
    });
  });

  it("is idempotent for a duplicated event: the second delivery finds the run in progress", async () => {
    const { fakes, handle } = setup();
    await handle(objectCreated);
    const again = await handle(objectCreated);
    expect(again).toEqual({ action: "skipped", reason: "run jr_1 is RUNNING; its completion re-checks" });
    expect(fakes.ops().filter((op) => op === "startJobRun")).toHaveLength(1);
  });

  it("treats ConcurrentRunsExceededException (a racing trigger won) as a skip, not an error", async () => {
    const { fakes, handle } = setup();
    fakes.startError = named("ConcurrentRunsExceededException");
    await expect(handle(objectCreated)).resolves.toEqual({
      action: "skipped",
      reason: "another trigger started a run first (ConcurrentRunsExceededException)",
    });
  });

  it("rethrows throttling after the SDK's retries so Lambda retries the event, and logs it", async () => {
    const { fakes, obs, handle } = setup();
    fakes.startError = named("ThrottlingException");
    await expect(handle(objectCreated)).rejects.toThrow("ThrottlingException");
    expect(obs.logs.at(-1)).toMatchObject({ message: "glue trigger failed", extra: { throttled: true } });
    expect(isThrottling(named("TooManyRequestsException"))).toBe(true);
    expect(isThrottling(named("AccessDeniedException"))).toBe(false);
  });

  it("ignores objects outside events/ and other buckets", async () => {
    const { fakes, handle } = setup();
    const errors = { ...objectCreated, detail: { ...objectCreated.detail, object: { key: "errors/x.gz" } } };
    const other = { ...objectCreated, detail: { ...objectCreated.detail, bucket: { name: "someone-else" } } };
    expect((await handle(errors)).action).toBe("skipped");
    expect((await handle(other)).action).toBe("skipped");
    expect(fakes.calls).toEqual([]);
  });

  it("after a successful run, starts again when objects arrived after that run started", async () => {
    const { fakes, handle } = setup();
    const startedOn = new Date("2024-03-11T10:00:05Z");
    fakes.runs = [{ Id: "jr_0123456789abcdef", JobRunState: "SUCCEEDED", StartedOn: startedOn }];
    fakes.objects = [
      { Key: "events/dt=2024-03-10/old.ndjson.gz", LastModified: new Date("2024-03-10T23:00:00Z") },
      { Key: "events/dt=2024-03-11/during.ndjson.gz", LastModified: new Date("2024-03-11T10:07:00Z") },
    ];
    const result = await handle(jobSucceeded);
    expect(result).toMatchObject({
      action: "started",
      reason: "raw objects arrived during run jr_0123456789abcdef",
    });
    const list = fakes.calls.find((c) => c.op === "listObjectsV2")!.input;
    expect(list).toEqual({
      Bucket: "warecast-dev-raw",
      Prefix: "events/",
      StartAfter: "events/dt=2024-03-11",
      ContinuationToken: undefined,
    });
  });

  it("after a successful run with nothing newer, does not start; failed runs are not retried in a loop", async () => {
    const { fakes, handle } = setup();
    fakes.runs = [
      { Id: "jr_0123456789abcdef", JobRunState: "SUCCEEDED", StartedOn: new Date("2024-03-11T10:00:05Z") },
    ];
    fakes.objects = [
      { Key: "events/dt=2024-03-11/before.ndjson.gz", LastModified: new Date("2024-03-11T09:59:00Z") },
    ];
    expect(await handle(jobSucceeded)).toEqual({
      action: "skipped",
      reason: "no raw object arrived after run jr_0123456789abcdef started",
    });
    const failed = { ...jobSucceeded, detail: { ...jobSucceeded.detail, state: "FAILED" } };
    expect(await handle(failed)).toEqual({
      action: "skipped",
      reason: "run jr_0123456789abcdef ended FAILED; not retried here",
    });
    const otherJob = { ...jobSucceeded, detail: { ...jobSucceeded.detail, jobName: "someone-elses-job" } };
    expect((await handle(otherJob)).reason).toBe("not our job (someone-elses-job)");
    expect(fakes.ops()).not.toContain("startJobRun");
  });

  it("the safety-net schedule starts the job unless a run is in progress", async () => {
    const { fakes, handle } = setup();
    expect(await handle(scheduled)).toMatchObject({ action: "started", reason: "safety-net schedule" });
    expect((await handle(scheduled)).action).toBe("skipped");
    expect(fakes.ops().filter((op) => op === "startJobRun")).toHaveLength(1);
  });
});

describe("glue-trigger with batched runs (minIntervalMinutes 60)", () => {
  const BATCHED = { ...SETTINGS, minIntervalMinutes: 60 };
  const NOW = new Date("2024-03-11T10:40:00Z");
  const catchUp = { source: CATCH_UP_SOURCE, "detail-type": CATCH_UP_DETAIL_TYPE };
  const lastRun = (startedOn: string): JobRun[] => [
    { Id: "jr_older", JobRunState: "SUCCEEDED", StartedOn: new Date("2024-03-11T08:00:00Z") },
    { Id: "jr_last", JobRunState: "SUCCEEDED", StartedOn: new Date(startedOn) },
  ];
  const waiting =
    "run jr_last started 40.0 min ago; runs start at most every 60 min (etlMinIntervalMinutes), and the next trigger after that takes this data";

  it("does not start for landing data while the newest run started within the interval", async () => {
    const { fakes, handle } = setup(BATCHED, NOW);
    fakes.runs = lastRun("2024-03-11T10:00:00Z");
    expect(await handle(objectCreated)).toEqual({ action: "skipped", reason: waiting });
    fakes.objects = [
      { Key: "events/dt=2024-03-11/during.ndjson.gz", LastModified: new Date("2024-03-11T10:07:00Z") },
    ];
    const succeeded = { ...jobSucceeded, detail: { ...jobSucceeded.detail, jobRunId: "jr_last" } };
    expect(await handle(succeeded)).toEqual({ action: "skipped", reason: waiting });
    expect(fakes.ops()).not.toContain("startJobRun");
  });

  it("starts for landing data once the interval has passed", async () => {
    const { fakes, handle } = setup(BATCHED, NOW);
    fakes.runs = lastRun("2024-03-11T09:39:59Z");
    expect(await handle(objectCreated)).toMatchObject({ action: "started" });
  });

  it("the catch-up tick starts only when data landed since the newest run, and not within the interval", async () => {
    const { fakes, handle } = setup(BATCHED, NOW);
    fakes.runs = lastRun("2024-03-11T09:30:00Z");
    fakes.objects = [
      { Key: "events/dt=2024-03-11/before.ndjson.gz", LastModified: new Date("2024-03-11T09:29:00Z") },
    ];
    expect(await handle(catchUp)).toEqual({
      action: "skipped",
      reason: "no raw object arrived after run jr_last started",
    });
    fakes.objects.push({
      Key: "events/dt=2024-03-11/after.ndjson.gz",
      LastModified: new Date("2024-03-11T09:31:00Z"),
    });
    expect(await handle(catchUp)).toEqual({
      action: "started",
      jobRunId: "jr_3",
      reason: "catch-up: raw objects landed since the newest run started",
    });
    // The run it started is active now: the next tick leaves it alone.
    expect(await handle(catchUp)).toMatchObject({
      action: "skipped",
      reason: "run jr_3 is RUNNING; its completion re-checks",
    });
    fakes.runs = lastRun("2024-03-11T10:00:00Z");
    expect(await handle(catchUp)).toEqual({ action: "skipped", reason: waiting });
  });

  it("the safety-net schedule ignores the interval, and without batching a catch-up event is not ours", async () => {
    const { fakes, handle } = setup(BATCHED, NOW);
    fakes.runs = lastRun("2024-03-11T10:30:00Z");
    expect(await handle(scheduled)).toMatchObject({ action: "started", reason: "safety-net schedule" });
    const plain = setup(SETTINGS, NOW);
    plain.fakes.runs = lastRun("2024-03-11T10:30:00Z");
    expect(await plain.handle(objectCreated)).toMatchObject({ action: "started" });
    expect(await plain.handle({ source: "someone.else", "detail-type": CATCH_UP_DETAIL_TYPE })).toEqual({
      action: "rejected",
      reason: `not an event of the ETL trigger's rules: source: Invalid input: expected "${CATCH_UP_SOURCE}"`,
    });
  });
});

describe("glue-trigger event parsing", () => {
  const rejects: [string, unknown, string][] = [
    [
      "an Object Created event without the object's key",
      { ...objectCreated, detail: { ...objectCreated.detail, object: {} } },
      "detail.object.key: Invalid input: expected string, received undefined",
    ],
    [
      "a job state change without its run id",
      { ...jobSucceeded, detail: { ...jobSucceeded.detail, jobRunId: undefined } },
      "detail.jobRunId: Invalid input: expected string, received undefined",
    ],
    ["an event of another kind", { ...scheduled, "detail-type": "Tag Change on Resource" }, "detail-type:"],
    ["not an object at all", "Object Created", "(root):"],
  ];

  it.each(rejects)(
    "rejects %s: names the field, logs the whole event, counts it, calls nothing",
    async (_, event, field) => {
      const { fakes, obs, handle } = setup();
      const result = await handle(event);
      expect(result).toMatchObject({ action: "rejected" });
      expect(result.reason).toContain(field);
      expect(fakes.ops()).toEqual([]);
      expect(obs.logs).toEqual([{ message: "event rejected", extra: { reason: result.reason, event } }]);
      expect(obs.metrics.serializeMetrics()).toMatchObject({ EventsRejected: 1 });
    },
  );

  it("takes each event its rules deliver, as stored", async () => {
    for (const event of [objectCreated, jobSucceeded, scheduled]) {
      const { handle } = setup();
      expect((await handle(event)).action).not.toBe("rejected");
    }
  });
});
