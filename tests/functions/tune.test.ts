/**
 * Tuning: the CreateHyperParameterTuningJob request built from the stack's settings (checked against the API's
 * documented shape), the tune function's start and record steps with fake clients, and the hand-off of the best
 * hyperparameters to retraining. tune.moto.test.ts runs the same steps with the real SDK against moto.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type {
  DescribeHyperParameterTuningJobCommandOutput,
  HyperParameterTuningJobSummary,
} from "@aws-sdk/client-sagemaker";
import { tuningMetricDefinitions } from "../../components/forecast-model/training";
import type { SageMakerTuningApi } from "../../functions/model/ports";
import { TAG_TUNING_JOB } from "../../functions/model/training-job";
import { tuningJobPrefix } from "../../components/forecast-model/tuning-plan";
import { buildTuningJobRequest, tuningJobName } from "../../functions/model/tuning-job";
import { TuneSettingsSchema, type TuneSettings } from "../../functions/model/tuning-settings";
import { parseTunedParams } from "../../functions/model/tuned-params";
import { handleRetrain } from "../../functions/retrain";
import { handleTune, recordTuningResult, startTuning, TUNING_STATE_CHANGE } from "../../functions/tune";
import { apiShapeProblems } from "../support/aws/api-shape";
import {
  FakeS3,
  FakeSageMaker,
  KMS,
  ROLE,
  quietObservability,
  retrainSettings,
  tunerSettings,
} from "./model-fakes";
import { EMITTED } from "./model-fakes";
import { checkEmittedAfterAll } from "../support/metric-contract";

// What these tests made the handlers publish (tune and retrain's tuned-parameter read) is catalogued.
checkEmittedAfterAll("tune", EMITTED);

const NOW = new Date("2026-12-01T04:00:09Z");
const SPACE_FILE = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "..", "model", "search_space.json"), "utf8"),
) as { objective: { metric: string; type: string }; space: Record<string, number[]> };

/** The tuning slice of SageMaker, in memory: jobs by name, every call recorded. */
class FakeTuning {
  readonly calls: { op: string; input: Record<string, unknown> }[] = [];
  readonly jobs: HyperParameterTuningJobSummary[] = [];
  described: Partial<DescribeHyperParameterTuningJobCommandOutput> = {};
  api(): SageMakerTuningApi {
    const rec = (op: string, input: object) => this.calls.push({ op, input: { ...input } });
    return {
      createHyperParameterTuningJob: async (input) => {
        rec("create", input);
        return { HyperParameterTuningJobArn: `arn:${input.HyperParameterTuningJobName}`, $metadata: {} };
      },
      describeHyperParameterTuningJob: async (input) => {
        rec("describe", input);
        return {
          HyperParameterTuningJobName: input.HyperParameterTuningJobName,
          ...this.described,
        } as DescribeHyperParameterTuningJobCommandOutput;
      },
      listHyperParameterTuningJobs: async (input) => {
        rec("list", input);
        const hits = this.jobs.filter(
          (j) =>
            j.HyperParameterTuningJobName!.includes(input.NameContains ?? "") &&
            (!input.StatusEquals || j.HyperParameterTuningJobStatus === input.StatusEquals),
        );
        return { HyperParameterTuningJobSummaries: hits, $metadata: {} };
      },
    };
  }
}

function setup(over: Partial<TuneSettings> = {}) {
  const s3 = new FakeS3();
  const sm = new FakeTuning();
  const obs = quietObservability();
  const deps = { sagemaker: sm.api(), s3: s3.api(), settings: tunerSettings(over), obs, now: () => NOW };
  return { s3, sm, obs, deps };
}

/** A completed tuning job as DescribeHyperParameterTuningJob reports it. */
function completed(tuned: Record<string, string>, value = 0.8123, metric = "tuning:model:rmsse") {
  return {
    HyperParameterTuningJobStatus: "Completed" as const,
    HyperParameterTuningEndTime: new Date("2026-12-01T09:12:00Z"),
    TrainingJobStatusCounters: {
      Completed: 19,
      InProgress: 0,
      RetryableError: 0,
      NonRetryableError: 1,
      Stopped: 0,
    },
    BestTrainingJob: {
      TrainingJobName: "warecast-dev-tune-2612010400-014-5f2a9c1e",
      TrainingJobArn: "arn:aws:sagemaker:eu-west-1:123456789012:training-job/x",
      CreationTime: new Date("2026-12-01T06:00:00Z"),
      TrainingJobStatus: "Completed" as const,
      TunedHyperParameters: tuned,
      ObjectiveStatus: "Succeeded" as const,
      FinalHyperParameterTuningJobObjectiveMetric: { MetricName: metric, Value: value },
    },
  };
}

const TUNED = {
  max_iter: '"250"',
  max_leaf_nodes: '"63"',
  min_samples_leaf: '"40"',
  l2_regularization: '"5.0"',
  weight_power: '"0.5"',
};

describe("the tuning job request, built from the stack's settings", () => {
  const request = buildTuningJobRequest(tunerSettings(), "warecast-dev-tune-2612010400");

  it("runs retraining's training job as trials: image, code, data, role, subnets, key, spot with checkpoints", () => {
    const t = retrainSettings();
    const d = request.TrainingJobDefinition!;
    expect(d.AlgorithmSpecification).toEqual({
      TrainingImage: t.trainingImage,
      TrainingInputMode: "File",
      MetricDefinitions: tuningMetricDefinitions(),
    });
    expect(d.RoleArn).toBe(ROLE);
    expect(d.InputDataConfig?.map((c) => [c.ChannelName, c.DataSource?.S3DataSource?.S3Uri])).toEqual([
      ["train", "s3://processed/demand_daily/"],
    ]);
    expect(d.VpcConfig).toEqual({ Subnets: ["subnet-a", "subnet-b"], SecurityGroupIds: ["sg-train"] });
    expect(d.OutputDataConfig).toEqual({
      S3OutputPath: "s3://artifacts/training/tuning/warecast-dev-tune-2612010400/",
      KmsKeyId: KMS,
    });
    expect(d.ResourceConfig).toEqual({
      InstanceType: "ml.m5.large",
      InstanceCount: 1,
      VolumeSizeInGB: 30,
      VolumeKmsKeyId: KMS,
    });
    expect(d.EnableManagedSpotTraining).toBe(true);
    expect(d.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 });
    expect(d.CheckpointConfig).toEqual({
      S3Uri: "s3://artifacts/checkpoints/warecast-dev-tune-2612010400/",
      LocalPath: "/opt/ml/checkpoints",
    });
    // Config's values and the trial switch are static; the code is retraining's tarball.
    expect(d.StaticHyperParameters).toEqual({
      learning_rate: "0.05",
      tuning_origins: "2",
      sagemaker_program: '"warecast_train.py"',
      sagemaker_submit_directory: `"${t.sourceDirUri}"`,
      sagemaker_region: '"eu-west-1"',
      sagemaker_container_log_level: "20",
      sagemaker_job_name: '"warecast-dev-tune-2612010400"',
    });
  });

  it("searches model/search_space.json (less what config fixes) for its objective, within the configured bounds", () => {
    const c = request.HyperParameterTuningJobConfig!;
    expect(c.Strategy).toBe("Bayesian");
    expect(c.HyperParameterTuningJobObjective).toEqual({
      Type: SPACE_FILE.objective.type,
      MetricName: SPACE_FILE.objective.metric,
    });
    expect(c.ResourceLimits).toEqual({
      MaxNumberOfTrainingJobs: 20,
      MaxParallelTrainingJobs: 4,
      MaxRuntimeInSeconds: 43200,
    });
    // learning_rate is fixed in config (retrainSettings), so it is static and not searched.
    const { learning_rate: _fixed, ...searched } = SPACE_FILE.space;
    expect(c.ParameterRanges).toEqual({
      CategoricalParameterRanges: Object.entries(searched).map(([Name, values]) => ({
        Name,
        Values: values.map(String),
      })),
    });
    // The objective is scraped from what a trial prints on the tuning windows (model/train.py).
    const objective = tuningMetricDefinitions().find((m) => m.Name === SPACE_FILE.objective.metric)!;
    expect(new RegExp(objective.Regex).exec("metric tuning_model_rmsse=0.812300")?.[1]).toBe("0.812300");
    expect(new RegExp(objective.Regex).exec("metric model_rmsse=0.812300")).toBeNull();
  });

  it("conforms to CreateHyperParameterTuningJob's documented input shape", () => {
    expect(apiShapeProblems("sagemaker", "CreateHyperParameterTuningJob", request)).toEqual([]);
    // The check is real: a name SageMaker refuses and an unknown strategy are reported.
    const bad = {
      ...request,
      HyperParameterTuningJobName: `${"x".repeat(30)}-2612010400`,
      HyperParameterTuningJobConfig: { ...request.HyperParameterTuningJobConfig, Strategy: "Greedy" },
    };
    expect(apiShapeProblems("sagemaker", "CreateHyperParameterTuningJob", bad)).toEqual([
      "CreateHyperParameterTuningJob.HyperParameterTuningJobName: 41 characters, more than 32",
      expect.stringContaining(
        "HyperParameterTuningJobName: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-2612010400' does not match",
      ),
      expect.stringContaining("HyperParameterTuningJobConfig.Strategy: 'Greedy' is not one of"),
    ]);
  });

  it("refuses settings that would overrun the bounds or search nothing, naming the problem", () => {
    expect(() => buildTuningJobRequest(tunerSettings({ maxParallelJobs: 30 }), "j")).toThrow(
      "maxParallelJobs (30) must be at most maxJobs (20)",
    );
    expect(() => buildTuningJobRequest(tunerSettings({ maxWaitSeconds: 60 }), "j")).toThrow(
      "maxWaitSeconds (60) must be at least maxRuntimeSeconds (3600)",
    );
    expect(() => buildTuningJobRequest(tunerSettings({ metricDefinitions: [] }), "j")).toThrow(
      'the objective metric "tuning:model:rmsse" has no metric definition',
    );
    const everything = Object.fromEntries(Object.keys(SPACE_FILE.space).map((k) => [k, "1"]));
    expect(() => buildTuningJobRequest(tunerSettings({ hyperparameters: everything }), "j")).toThrow(
      "nothing to search",
    );
    expect(TuneSettingsSchema.safeParse(tunerSettings()).success).toBe(true);
    expect(TuneSettingsSchema.safeParse(tunerSettings({ tuningJobPrefix: "x".repeat(22) })).success).toBe(
      false,
    );
  });

  it("names tuning jobs by start minute within SageMaker's 32 characters, for every environment name config allows", () => {
    expect(tuningJobPrefix("warecast-prod")).toBe("warecast-prod-tune");
    // The longest environment (16 characters): a stable, distinct prefix that still fits, never `…-forecast-`.
    const long = tuningJobPrefix("warecast-abcdefghijklmnop");
    expect(long).toMatch(/^warecast-abcdef-[0-9a-f]{5}$/);
    expect(tuningJobPrefix("warecast-abcdefghijklmnop")).toBe(long);
    expect(tuningJobPrefix("warecast-abcdefghijklmnoq")).not.toBe(long);
    expect(tuningJobName(long, NOW)).toHaveLength(32);
    expect(long.startsWith("warecast-abcdefghijklmnop-forecast")).toBe(false);
    expect(tuningJobName("warecast-dev-tune", NOW)).toBe("warecast-dev-tune-2612010400");
    expect(tuningJobName("x".repeat(21), NOW)).toHaveLength(32);
    expect(() => tuningJobName("x".repeat(22), NOW)).toThrow("longer than 21");
  });
});

describe("the tune function with fake clients", () => {
  it("starts a tuning job when none of ours runs and training data exists", async () => {
    const { s3, sm, deps } = setup();
    s3.put("processed", "demand_daily/warehouse_id=W1/part-0.parquet", "x");
    sm.jobs.push({
      HyperParameterTuningJobName: "other-warecast-dev-tune-x",
      HyperParameterTuningJobStatus: "InProgress",
    } as HyperParameterTuningJobSummary);
    const result = await handleTune(
      { "detail-type": "Scheduled Event", source: "aws.events", detail: {} },
      deps,
    );
    expect(result).toEqual({ started: true, tuningJobName: "warecast-dev-tune-2612010400", maxJobs: 20 });
    const create = sm.calls.find((c) => c.op === "create")!.input;
    expect(create).toEqual(buildTuningJobRequest(deps.settings, "warecast-dev-tune-2612010400"));
  });

  it("rejects any other event, logged whole and counted, and starts nothing", async () => {
    const { sm, obs, deps } = setup();
    const addMetric = jest.spyOn(obs.metrics, "addMetric");
    const stray = {
      source: "aws.sagemaker",
      "detail-type": TUNING_STATE_CHANGE,
      detail: { HyperParameterTuningJobStatus: "Completed" },
    };
    const result = await handleTune(stray, deps);
    expect(result).toEqual({
      rejected: true,
      reason: expect.stringMatching(
        /^not a schedule tick or a tuning job state change: .*HyperParameterTuningJobName/,
      ),
    });
    expect(await handleTune({ source: "aws.s3", "detail-type": "Object Created" }, deps)).toMatchObject({
      rejected: true,
    });
    expect(sm.calls).toEqual([]);
    expect(obs.logs.filter((l) => l.message === "event rejected").map((l) => l.extra.event)).toEqual([
      stray,
      { source: "aws.s3", "detail-type": "Object Created" },
    ]);
    expect(addMetric).toHaveBeenCalledWith("EventsRejected", "Count", 1);
  });

  it("skips while one of ours runs, and before the ETL has written training data", async () => {
    const { s3, sm, deps } = setup();
    expect(await startTuning(deps)).toEqual({
      started: false,
      reason: "no training data under s3://processed/demand_daily/ yet",
    });
    s3.put("processed", "demand_daily/part-0.parquet", "x");
    sm.jobs.push({
      HyperParameterTuningJobName: "warecast-dev-tune-2611010400",
      HyperParameterTuningJobStatus: "InProgress",
    } as HyperParameterTuningJobSummary);
    expect(await startTuning(deps)).toEqual({
      started: false,
      reason: "tuning job warecast-dev-tune-2611010400 is still running",
    });
    expect(sm.calls.filter((c) => c.op === "create")).toEqual([]);
  });

  it("records a completed job's best trial as the document retraining reads, and its own result", async () => {
    const { s3, sm, deps } = setup();
    sm.described = completed(TUNED);
    const event = {
      "detail-type": TUNING_STATE_CHANGE,
      source: "aws.sagemaker",
      detail: {
        HyperParameterTuningJobName: "warecast-dev-tune-2612010400",
        HyperParameterTuningJobStatus: "Completed",
      },
    };
    expect(await handleTune(event, deps)).toEqual({
      recorded: true,
      tuningJobName: "warecast-dev-tune-2612010400",
      key: "tuning/results/warecast-dev-tune-2612010400.json",
      best: true,
    });
    const best = s3.text("artifacts", "tuning/best.json")!;
    expect(s3.text("artifacts", "tuning/results/warecast-dev-tune-2612010400.json")).toBe(best);
    expect(JSON.parse(best)).toEqual({
      tuningJobName: "warecast-dev-tune-2612010400",
      source: "sagemaker",
      objective: { metric: "tuning:model:rmsse", type: "Minimize" },
      score: 0.8123,
      hyperParameters: {
        max_iter: "250",
        max_leaf_nodes: "63",
        min_samples_leaf: "40",
        l2_regularization: "5.0",
        weight_power: "0.5",
      },
      bestTrainingJob: "warecast-dev-tune-2612010400-014-5f2a9c1e",
      completedAt: "2026-12-01T09:12:00.000Z",
      trainingJobs: { Completed: 19, InProgress: 0, RetryableError: 0, NonRetryableError: 1, Stopped: 0 },
    });
    expect(parseTunedParams(best, "best.json").hyperParameters.max_iter).toBe("250");
    const put = s3.calls.find((c) => c.op === "putObject")!.input;
    expect(put).toMatchObject({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: KMS });
  });

  it("keeps a newer tuning job's parameters when an older job completes later", async () => {
    const { s3, sm, deps } = setup();
    sm.described = completed(TUNED);
    s3.put(
      "artifacts",
      "tuning/best.json",
      JSON.stringify({
        ...JSON.parse(JSON.stringify(completed(TUNED))),
        tuningJobName: "warecast-dev-tune-2612150400",
        source: "sagemaker",
        objective: { metric: "tuning:model:rmsse", type: "Minimize" },
        score: 0.7,
        hyperParameters: { max_iter: "400" },
      }),
    );
    const r = await recordTuningResult(deps, "warecast-dev-tune-2612010400");
    expect(r).toMatchObject({ recorded: true, best: false });
    expect(parseTunedParams(s3.text("artifacts", "tuning/best.json")!, "best").tuningJobName).toBe(
      "warecast-dev-tune-2612150400",
    );
  });

  it("refuses a best trial outside the search space or for another metric, and writes nothing", async () => {
    for (const [tuned, metric, message] of [
      [
        { ...TUNED, threads: '"4"' },
        "tuning:model:rmsse",
        'tuned "threads", which is not in the search space',
      ],
      [
        { ...TUNED, max_iter: '"9999"' },
        "tuning:model:rmsse",
        "tuned max_iter=9999, not one of 150, 250, 400",
      ],
      [TUNED, "backtest:model:rmsse", "optimised backtest:model:rmsse, not the objective tuning:model:rmsse"],
    ] as const) {
      const { s3, sm, deps } = setup();
      sm.described = completed(tuned, 0.8, metric);
      await expect(recordTuningResult(deps, "warecast-dev-tune-2612010400")).rejects.toThrow(message);
      expect(s3.calls.filter((c) => c.op === "putObject")).toEqual([]);
    }
    const { sm, deps } = setup();
    sm.described = { ...completed(TUNED), HyperParameterTuningJobStatus: "Stopped" };
    expect(await recordTuningResult(deps, "warecast-dev-tune-2612010400")).toMatchObject({
      recorded: false,
      reason: "tuning job status is Stopped, not Completed",
    });
    expect(await recordTuningResult(deps, "warecast-prod-tune-2612010400")).toMatchObject({
      recorded: false,
      reason: "not a tuning job of this stack",
    });
  });
});

describe("hand-off to retraining", () => {
  const manifest = JSON.stringify({ run_id: "r", demand_rows_written: 120 });

  function retrainSetup() {
    const s3 = new FakeS3();
    const sm = new FakeSageMaker();
    sm.seedEndpoint("warecast-dev-forecast");
    const obs = quietObservability();
    s3.put("processed", "runs/run-1.json", manifest, new Date("2026-11-27T22:00:00Z"));
    const deps = { sagemaker: sm.api(), s3: s3.api(), settings: retrainSettings(), obs, now: () => NOW };
    return { s3, sm, obs, deps };
  }

  it("the next training job uses the recorded best hyperparameters, config's fixed values winning", async () => {
    const tuning = setup();
    tuning.sm.described = completed({ ...TUNED });
    await recordTuningResult(tuning.deps, "warecast-dev-tune-2612010400");
    const { s3, sm, deps } = retrainSetup();
    s3.put("artifacts", "tuning/best.json", tuning.s3.text("artifacts", "tuning/best.json")!);
    // A fixed value in config wins over a tuned one (the tuning job never searches it; a local file might).
    const local = JSON.parse(s3.text("artifacts", "tuning/best.json")!) as { hyperParameters: object };
    s3.put(
      "artifacts",
      "tuning/best.json",
      JSON.stringify({ ...local, hyperParameters: { ...local.hyperParameters, learning_rate: "0.1" } }),
    );
    const result = await handleRetrain(deps);
    expect(result).toMatchObject({ started: true, tuned: "warecast-dev-tune-2612010400" });
    const req = sm.last("createTrainingJob") as { HyperParameters: Record<string, string>; Tags: unknown[] };
    expect(req.HyperParameters).toMatchObject({
      max_iter: "250",
      max_leaf_nodes: "63",
      min_samples_leaf: "40",
      l2_regularization: "5.0",
      weight_power: "0.5",
      learning_rate: "0.05",
    });
    expect(req.Tags).toContainEqual({ Key: TAG_TUNING_JOB, Value: "warecast-dev-tune-2612010400" });
  });

  it("without a tuning result the job uses config only; a broken one is logged and ignored, not fatal", async () => {
    const plain = retrainSetup();
    expect(await handleRetrain(plain.deps)).toMatchObject({
      started: true,
      tuned: "none (no tuning job has completed)",
    });
    expect(Object.keys(plain.sm.last("createTrainingJob").HyperParameters as object)).not.toContain(
      "max_iter",
    );

    const { s3, sm, obs, deps } = retrainSetup();
    s3.put("artifacts", "tuning/best.json", JSON.stringify({ max_iter: 250 }));
    const result = await handleRetrain(deps);
    expect(result).toMatchObject({ started: true });
    expect((result as { tuned: string }).tuned).toMatch(
      /^ignored: s3:\/\/artifacts\/tuning\/best.json is not a tuned-hyperparameters document .*hyperParameters/,
    );
    expect(Object.keys(sm.last("createTrainingJob").HyperParameters as object)).not.toContain("max_iter");
    expect(obs.logs.map((l) => l.message)).toContain("tuned hyperparameters ignored");
  });
});
