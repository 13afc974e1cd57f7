import { handleRetrain } from "../../functions/retrain";
import {
  TAG_CHAMPION_MODEL,
  TAG_DATA_AS_OF,
  TAG_DATA_RUN,
  decideNewData,
} from "../../functions/model/data-watermark";
import { compactTimestamp, endpointConfigName, trainingJobName } from "../../functions/model/names";
import { parseSettings } from "../../functions/lambda-wiring";
import { RetrainSettingsSchema } from "../../functions/model/settings";
import { buildTrainingJobRequest } from "../../functions/model/training-job";
import { FakeS3, FakeSageMaker, KMS, ROLE, quietObservability, retrainSettings } from "./model-fakes";
import { EMITTED } from "./model-fakes";
import { checkEmittedAfterAll } from "../support/metric-contract";

// What these tests made the handler publish: catalogued, and covering what the alarms and dashboard read.
checkEmittedAfterAll("retrain", EMITTED);

const NOW = new Date("2026-11-28T03:00:07Z");
const manifest = (rows: number) =>
  JSON.stringify({ run_id: "r", records_in: rows, demand_rows_written: rows });

function setup() {
  const s3 = new FakeS3();
  const sm = new FakeSageMaker();
  sm.seedEndpoint("warecast-dev-forecast");
  const obs = quietObservability();
  const deps = { sagemaker: sm.api(), s3: s3.api(), settings: retrainSettings(), obs, now: () => NOW };
  return { s3, sm, obs, deps };
}

describe("training job request", () => {
  const champion = {
    modelName: "bootstrap-model",
    modelDataUrl: "s3://artifacts/bootstrap/model-1.tar.gz",
  };
  const data = { key: "runs/run-7.json", lastModified: new Date("2026-11-27T22:10:00Z") };

  it("asks for managed spot with checkpoints, a max wait, private subnets, KMS and metric definitions", () => {
    const req = buildTrainingJobRequest(retrainSettings(), {
      jobName: "warecast-dev-forecast-20261128030007",
      data,
      champion,
    });
    expect(req.EnableManagedSpotTraining).toBe(true);
    expect(req.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 1800, MaxWaitTimeInSeconds: 3600 });
    expect(req.CheckpointConfig).toEqual({
      S3Uri: "s3://artifacts/checkpoints/warecast-dev-forecast-20261128030007/",
      LocalPath: "/opt/ml/checkpoints",
    });
    expect(req.VpcConfig).toEqual({ Subnets: ["subnet-a", "subnet-b"], SecurityGroupIds: ["sg-train"] });
    expect(req.OutputDataConfig).toEqual({ S3OutputPath: "s3://artifacts/training/", KmsKeyId: KMS });
    expect(req.ResourceConfig).toEqual({
      InstanceType: "ml.m5.large",
      InstanceCount: 1,
      VolumeSizeInGB: 30,
      VolumeKmsKeyId: KMS,
    });
    expect(req.RoleArn).toBe(ROLE);
    expect(req.AlgorithmSpecification?.MetricDefinitions).toEqual([
      { Name: "backtest:wape", Regex: "backtest wape=([0-9.eE+-]+)" },
    ]);
    expect(req.EnableInterContainerTrafficEncryption).toBe(false);
  });

  it("passes the source, the data and the champion, and tags the job with its data watermark", () => {
    const req = buildTrainingJobRequest(retrainSettings(), { jobName: "j-1", data, champion });
    expect(req.HyperParameters).toEqual({
      learning_rate: "0.05",
      sagemaker_program: '"warecast_train.py"',
      sagemaker_submit_directory: '"s3://artifacts/code/sourcedir-abc.tar.gz"',
      sagemaker_region: '"eu-west-1"',
      sagemaker_container_log_level: "20",
      sagemaker_job_name: '"j-1"',
    });
    expect(req.InputDataConfig?.map((c) => [c.ChannelName, c.DataSource?.S3DataSource?.S3Uri])).toEqual([
      ["train", "s3://processed/demand_daily/"],
      ["champion", "s3://artifacts/bootstrap/model-1.tar.gz"],
    ]);
    expect(req.Tags).toEqual([
      { Key: TAG_DATA_RUN, Value: "runs/run-7.json" },
      { Key: TAG_DATA_AS_OF, Value: "2026-11-27T22:10:00.000Z" },
      { Key: TAG_CHAMPION_MODEL, Value: "bootstrap-model" },
    ]);
  });

  it("drops the max wait on demand, and refuses spot with a max wait shorter than the run time", () => {
    const onDemand = buildTrainingJobRequest(retrainSettings({ spot: false }), {
      jobName: "j",
      data,
      champion,
    });
    expect(onDemand.EnableManagedSpotTraining).toBe(false);
    expect(onDemand.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 1800 });
    expect(() =>
      buildTrainingJobRequest(retrainSettings({ maxWaitSeconds: 600 }), { jobName: "j", data, champion }),
    ).toThrow("maxWaitSeconds (600) must be at least maxRuntimeSeconds (1800)");
  });
});

describe("names and settings", () => {
  it("derives sortable job names and content-addressed endpoint config names", () => {
    expect(compactTimestamp(NOW)).toBe("20261128030007");
    expect(trainingJobName("warecast-dev-forecast", NOW)).toBe("warecast-dev-forecast-20261128030007");
    expect(() => trainingJobName("x".repeat(39), NOW)).toThrow("longer than 38");
    const a = endpointConfigName("m", { b: 1, a: [1, 2] });
    expect(a).toMatch(/^m-[0-9a-f]{8}$/);
    expect(endpointConfigName("m", { a: [1, 2], b: 1 })).toBe(a);
    expect(endpointConfigName("m", { a: [2, 1], b: 1 })).not.toBe(a);
  });

  it("rejects settings with a message that names the variable and the field", () => {
    const bad = JSON.stringify({ ...retrainSettings(), subnetIds: [] });
    expect(() => parseSettings(RetrainSettingsSchema, "WARECAST_RETRAIN", bad)).toThrow(
      /WARECAST_RETRAIN is invalid: subnetIds: /,
    );
    expect(() => parseSettings(RetrainSettingsSchema, "WARECAST_RETRAIN", undefined)).toThrow(
      "WARECAST_RETRAIN is not set",
    );
    expect(parseSettings(RetrainSettingsSchema, "X", JSON.stringify(retrainSettings()))).toEqual(
      retrainSettings(),
    );
  });
});

describe("new-data decision", () => {
  const m = (key: string, iso: string) => ({ key, lastModified: new Date(iso) });
  const rows = (table: Record<string, number | undefined>) => async (ref: { key: string }) => table[ref.key];

  it("orders manifests by time then key, and compares against the watermark", async () => {
    const ms = [m("runs/b.json", "2026-11-02T00:00:00Z"), m("runs/a.json", "2026-11-01T00:00:00Z")];
    const none = await decideNewData(
      ms,
      { key: "runs/b.json", asOf: new Date("2026-11-02T00:00:00Z") },
      rows({}),
    );
    expect(none).toMatchObject({ due: false, reason: "no ETL run since runs/b.json", newRuns: 0 });
    const due = await decideNewData(
      ms,
      { key: "runs/a.json", asOf: new Date("2026-11-01T00:00:00Z") },
      rows({ "runs/b.json": 5 }),
    );
    expect(due).toMatchObject({ due: true, reason: "runs/b.json wrote 5 demand rows", newRuns: 1 });
    expect(due.latest?.key).toBe("runs/b.json");
    // Same second, later key: still newer.
    const tie = await decideNewData(
      [m("runs/a.json", "2026-11-01T00:00:00Z"), m("runs/a2.json", "2026-11-01T00:00:00Z")],
      { key: "runs/a.json", asOf: new Date("2026-11-01T00:00:00Z") },
      rows({ "runs/a2.json": 1 }),
    );
    expect(tie.due).toBe(true);
  });

  it("treats empty runs as no data and unreadable manifests as data", async () => {
    const ms = [m("runs/a.json", "2026-11-01T00:00:00Z"), m("runs/b.json", "2026-11-02T00:00:00Z")];
    expect(await decideNewData(ms, undefined, rows({ "runs/a.json": 0, "runs/b.json": 0 }))).toMatchObject({
      due: false,
      reason: "2 new ETL run(s) wrote no demand rows",
    });
    expect(
      await decideNewData(ms, undefined, rows({ "runs/a.json": 0, "runs/b.json": undefined })),
    ).toMatchObject({
      due: true,
      reason: "run manifest runs/b.json is unreadable; treated as new data",
    });
    expect(await decideNewData([], undefined, rows({}))).toMatchObject({
      due: false,
      reason: "no ETL run manifest yet",
    });
  });
});

describe("handleRetrain with fake clients", () => {
  it("does nothing before the first ETL run", async () => {
    const { sm, deps } = setup();
    expect(await handleRetrain(deps)).toEqual({ started: false, reason: "no ETL run manifest yet" });
    expect(sm.count("createTrainingJob")).toBe(0);
  });

  it("starts one job on new data, with the endpoint's current model as the champion", async () => {
    const { s3, sm, deps, obs } = setup();
    s3.put("processed", "runs/run-1.json", manifest(120), new Date("2026-11-27T22:00:00Z"));
    s3.put("processed", "demand_daily/warehouse_id=W1/month=2026-11/part-0.parquet", "x");
    const result = await handleRetrain(deps);
    expect(result).toEqual({
      started: true,
      trainingJobName: "warecast-dev-forecast-20261128030007",
      reason: "runs/run-1.json wrote 120 demand rows",
      champion: "bootstrap-model",
      tuned: "none (no tuning job has completed)",
    });
    const req = sm.last("createTrainingJob");
    expect(req.EnableManagedSpotTraining).toBe(true);
    expect(req.VpcConfig).toEqual({ Subnets: ["subnet-a", "subnet-b"], SecurityGroupIds: ["sg-train"] });
    expect((req.InputDataConfig as { ChannelName: string }[]).map((c) => c.ChannelName)).toEqual([
      "train",
      "champion",
    ]);
    expect(obs.logs.map((l) => l.message)).toContain("retrain started");
  });

  it("skips when the last completed training already saw the newest run", async () => {
    const { s3, sm, deps } = setup();
    const at = new Date("2026-11-27T22:00:00Z");
    s3.put("processed", "runs/run-1.json", manifest(120), at);
    sm.addJob("warecast-dev-forecast-20261127230000", "Completed", new Date("2026-11-27T23:00:00Z"), [
      { Key: TAG_DATA_RUN, Value: "runs/run-1.json" },
      { Key: TAG_DATA_AS_OF, Value: at.toISOString() },
    ]);
    // An older, failed job must not hide the completed one.
    sm.addJob("warecast-dev-forecast-20261120230000", "Failed", new Date("2026-11-20T23:00:00Z"));
    expect(await handleRetrain(deps)).toEqual({ started: false, reason: "no ETL run since runs/run-1.json" });
    expect(sm.count("createTrainingJob")).toBe(0);
  });

  it("retrains when a run newer than the watermark wrote rows, even after a failed attempt", async () => {
    const { s3, sm, deps } = setup();
    s3.put("processed", "runs/run-1.json", manifest(120), new Date("2026-11-20T22:00:00Z"));
    s3.put("processed", "runs/run-2.json", manifest(7), new Date("2026-11-27T22:00:00Z"));
    sm.addJob("warecast-dev-forecast-20261120230000", "Completed", new Date("2026-11-20T23:00:00Z"), [
      { Key: TAG_DATA_RUN, Value: "runs/run-1.json" },
      { Key: TAG_DATA_AS_OF, Value: "2026-11-20T22:00:00.000Z" },
    ]);
    sm.addJob("warecast-dev-forecast-20261127230000", "Failed", new Date("2026-11-27T23:00:00Z"));
    const result = await handleRetrain(deps);
    expect(result).toMatchObject({ started: true, reason: "runs/run-2.json wrote 7 demand rows" });
    expect((sm.last("createTrainingJob").Tags as { Key: string; Value: string }[])[0]).toEqual({
      Key: TAG_DATA_RUN,
      Value: "runs/run-2.json",
    });
  });

  it("never starts a second job while one of ours is running, and ignores other stacks' jobs", async () => {
    const { s3, sm, deps } = setup();
    s3.put("processed", "runs/run-1.json", manifest(120));
    sm.addJob("warecast-dev-forecast-20261128020000", "InProgress", new Date("2026-11-28T02:00:00Z"));
    expect(await handleRetrain(deps)).toEqual({
      started: false,
      reason: "training job warecast-dev-forecast-20261128020000 is still running",
    });
    sm.jobs.clear();
    sm.addJob("other-warecast-dev-forecast-20261128020000", "InProgress", new Date("2026-11-28T02:00:00Z"));
    expect((await handleRetrain(deps)).started).toBe(true);
  });

  it("fails clearly when the endpoint does not exist yet", async () => {
    const { s3, deps } = setup();
    s3.put("processed", "runs/run-1.json", manifest(1));
    await expect(
      handleRetrain({ ...deps, settings: retrainSettings({ endpointName: "missing" }) }),
    ).rejects.toThrow('endpoint "missing" does not exist: deploy the stack (pulumi up) first');
  });
});
