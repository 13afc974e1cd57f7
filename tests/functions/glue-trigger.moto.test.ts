import { Glue } from "@aws-sdk/client-glue";
import { S3 } from "@aws-sdk/client-s3";
import { handleGlueTrigger, type GlueTriggerDeps, type TriggerEvent } from "../../functions/glue-trigger";
import { startMoto, type MotoServer } from "../support/moto";
import { fixMotoGlueTimestamps, patchResponses } from "./moto-timestamps";
import objectCreated from "./events/glue-trigger/object-created.json";
import jobSucceeded from "./events/glue-trigger/job-succeeded.json";
import { quietObservability } from "./model-fakes";

/**
 * The real AWS SDK against moto: moto records StartJobRun (and completes the run at once; it runs nothing). Its
 * Glue timestamps are date strings where AWS sends epoch seconds: the client is patched (test-only) to read them.
 */
let moto: MotoServer;
let glue: Glue;
let s3: S3;
let deps: GlueTriggerDeps;
const JOB = "warecast-dev-etl";
const BUCKET = "warecast-dev-raw";

beforeAll(async () => {
  moto = await startMoto();
  glue = new Glue({ endpoint: moto.endpoint, region: "eu-west-1", maxAttempts: 1 });
  patchResponses(glue, fixMotoGlueTimestamps);
  s3 = new S3({ endpoint: moto.endpoint, region: "eu-west-1", forcePathStyle: true, maxAttempts: 1 });
  await s3.createBucket({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } });
  await glue.createJob({
    Name: JOB,
    Role: "arn:aws:iam::123456789012:role/warecast-dev-glue",
    Command: { Name: "glueetl", ScriptLocation: "s3://artifacts/etl/job.py", PythonVersion: "3" },
    GlueVersion: "5.0",
    ExecutionProperty: { MaxConcurrentRuns: 1 },
    DefaultArguments: { "--raw": `s3://${BUCKET}`, "--processed": "s3://warecast-dev-processed" },
  });
  deps = {
    glue,
    s3,
    settings: { jobName: JOB, rawBucket: BUCKET, eventsPrefix: "events/" },
    obs: quietObservability(),
  };
});

afterAll(async () => {
  await moto?.stop();
});

async function runs() {
  return (await glue.getJobRuns({ JobName: JOB })).JobRuns ?? [];
}

describe("glue-trigger against moto", () => {
  it("records StartJobRun for the job when an object lands, and again after a run when newer data exists", async () => {
    const first = await handleGlueTrigger(objectCreated as TriggerEvent, deps);
    expect(first.action).toBe("started");
    const recorded = await runs();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ Id: (first as { jobRunId: string }).jobRunId, JobName: JOB });
    const run = await glue.getJobRun({ JobName: JOB, RunId: recorded[0].Id! });
    expect(run.JobRun?.JobName).toBe(JOB);

    // The run "finished" (moto completes it at once); an object lands after its start → a new run.
    await new Promise((r) => setTimeout(r, 1100)); // S3 LastModified has one-second resolution
    const today = new Date().toISOString().slice(0, 10);
    await s3.putObject({ Bucket: BUCKET, Key: `events/dt=${today}/late.ndjson.gz`, Body: "x" });
    const done = { ...jobSucceeded, detail: { ...jobSucceeded.detail, jobRunId: recorded[0].Id } };
    const second = await handleGlueTrigger(done as TriggerEvent, deps);
    expect(second).toMatchObject({
      action: "started",
      reason: `raw objects arrived during run ${recorded[0].Id}`,
    });
    expect(await runs()).toHaveLength(2);
  });
});
