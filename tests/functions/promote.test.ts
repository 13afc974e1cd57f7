import { tarGzBytes } from "../../components/forecast-model/tarball";
import { handlePromote } from "../../functions/promote";
import { readTarMembers } from "../../functions/model/artifact";
import { TAG_CHAMPION_MODEL, TAG_DATA_RUN } from "../../functions/model/data-watermark";
import { deployModel } from "../../functions/model/deploy";
import { buildUpdateEndpoint } from "../../functions/model/endpoint-config";
import { decideGate, parseGateMetrics } from "../../functions/model/gate";
import { modelMetricsKey } from "../../functions/model/names";
import type { PromoteSettings } from "../../functions/model/settings";
import { FakeS3, FakeSageMaker, KMS, metricsJson, promoteSettings, quietObservability } from "./model-fakes";
import { EMITTED } from "./model-fakes";
import { checkEmittedAfterAll } from "../support/metric-contract";

// What these tests made the handler publish: catalogued, and covering what the alarms and dashboard read.
checkEmittedAfterAll("promote", EMITTED);

const JOB = "warecast-dev-forecast-20261128030007";
const ARTIFACT_KEY = `training/${JOB}/output/model.tar.gz`;
const NOW = new Date("2026-11-28T04:10:00Z");
const event = (name = JOB, status = "Completed") => ({
  version: "0",
  id: "e-1",
  source: "aws.sagemaker",
  "detail-type": "SageMaker Training Job State Change",
  detail: { TrainingJobName: name, TrainingJobStatus: status },
});

function setup(
  opts: { challenger?: number; champion?: number | null; settings?: Partial<PromoteSettings> } = {},
) {
  const s3 = new FakeS3();
  const sm = new FakeSageMaker();
  sm.seedEndpoint("warecast-dev-forecast");
  sm.addJob(
    JOB,
    "Completed",
    new Date("2026-11-28T03:00:07Z"),
    [
      { Key: TAG_CHAMPION_MODEL, Value: "bootstrap-model" },
      { Key: TAG_DATA_RUN, Value: "runs/run-2.json" },
    ],
    {
      OutputDataConfig: { S3OutputPath: "s3://artifacts/training/" },
      HyperParameters: { sagemaker_submit_directory: '"s3://artifacts/code/sourcedir-abc.tar.gz"' },
    },
  );
  const champion = opts.champion === undefined ? 0.4 : opts.champion;
  s3.put(
    "artifacts",
    ARTIFACT_KEY,
    tarGzBytes([
      { path: "metrics.json", content: metricsJson(opts.challenger ?? 0.35, champion) },
      { path: "model_version", content: "2026-11-28T05-00-00Z-gbm\n" },
      { path: "model.pkl", content: "binary" },
    ]),
  );
  const obs = quietObservability();
  const deps = {
    sagemaker: sm.api(),
    s3: s3.api(),
    settings: promoteSettings(opts.settings),
    obs,
    now: () => NOW,
  };
  return { s3, sm, obs, deps };
}

const INSTANCE: Partial<PromoteSettings> = {
  serving: {
    kind: "instance",
    instanceType: "ml.m5.large",
    minInstances: 2,
    subnetIds: ["subnet-a", "subnet-b"],
    securityGroupIds: ["sg-endpoint"],
  },
  deployment: {
    blueGreen: true,
    canaryPercent: 50,
    waitSeconds: 600,
    terminationWaitSeconds: 300,
    rollbackAlarms: ["warecast-prod-forecast-5xx", "warecast-prod-forecast-latency"],
  },
};

describe("metric gate", () => {
  const m = (c: number, ch: number | null) => parseGateMetrics(metricsJson(c, ch));
  const gate = { metric: "wape", tolerance: 0.02 };

  it("promotes within the tolerance and rejects beyond it", () => {
    expect(decideGate(m(0.408, 0.4), gate)).toMatchObject({
      promote: true,
      challenger: 0.408,
      champion: 0.4,
    });
    expect(decideGate(m(0.408, 0.4), gate).threshold).toBeCloseTo(0.408, 10);
    expect(decideGate(m(0.409, 0.4), gate)).toMatchObject({ promote: false });
    expect(decideGate(m(0.39, 0.4), { metric: "wape", tolerance: -0.05 })).toMatchObject({ promote: false });
  });

  it("refuses without a champion score or without the metric", () => {
    expect(decideGate(m(0.1, null), gate)).toMatchObject({
      promote: false,
      reason: "metrics.json has no champion score on the same windows",
    });
    expect(decideGate(m(0.1, 0.4), { metric: "crps", tolerance: 0 })).toMatchObject({
      promote: false,
      reason: 'challenger has no finite "crps" score',
    });
    expect(() => parseGateMetrics("{}")).toThrow(/metrics.json does not have the gate's fields: setup/);
    expect(() => parseGateMetrics("nope")).toThrow(/metrics.json is not JSON/);
  });

  it("reads metrics.json with the inventory backtest beside the scores (model/train.py writes both)", () => {
    const pooled = { fill_rate: 0.97, cycle_service_level: 0.96, avg_on_hand: 120.5, stockout_days: 4 };
    const withStock = {
      ...(JSON.parse(metricsJson(0.3, 0.4)) as object),
      inventory: {
        settings: { lead_time_days: 7, review_period_days: 7, service_level: 0.95 },
        policies: { model: { pooled, series: { "WH1|A": pooled } } },
        goal: { met: false, checks: {} },
      },
    };
    expect(decideGate(parseGateMetrics(JSON.stringify(withStock)), gate)).toMatchObject({
      promote: true,
      challenger: 0.3,
      champion: 0.4,
    });
  });
});

describe("artifact reader", () => {
  it("finds named members and rejects non-archives", async () => {
    const tgz = tarGzBytes([{ path: "metrics.json", content: "{}" }]);
    expect([...(await readTarMembers(tgz, ["metrics.json"])).keys()]).toEqual(["metrics.json"]);
    await expect(readTarMembers(Buffer.from("not a tarball at all, not even close"), ["x"])).rejects.toThrow(
      /not a readable tar.gz/,
    );
  });
});

describe("blue/green update", () => {
  it("uses a canary with alarm rollback on instances, and a plain update for serverless", () => {
    const s = promoteSettings(INSTANCE);
    expect(buildUpdateEndpoint("ep", "cfg", s.serving, s.deployment)).toEqual({
      EndpointName: "ep",
      EndpointConfigName: "cfg",
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: "CANARY",
            CanarySize: { Type: "CAPACITY_PERCENT", Value: 50 },
            WaitIntervalInSeconds: 600,
          },
          TerminationWaitInSeconds: 300,
        },
        AutoRollbackConfiguration: {
          Alarms: [
            { AlarmName: "warecast-prod-forecast-5xx" },
            { AlarmName: "warecast-prod-forecast-latency" },
          ],
        },
      },
    });
    const dev = promoteSettings({ deployment: { ...s.deployment, blueGreen: true } });
    expect(buildUpdateEndpoint("ep", "cfg", dev.serving, dev.deployment)).toEqual({
      EndpointName: "ep",
      EndpointConfigName: "cfg",
    });
  });
});

describe("handlePromote with fake clients", () => {
  it("promotes a better model: registers it Approved, deploys it, and records the decision", async () => {
    const { s3, sm, obs, deps } = setup({ challenger: 0.35, champion: 0.4 });
    const result = await handlePromote(event(), deps);
    expect(result).toMatchObject({ handled: true, duplicate: false, record: { outcome: "promoted" } });

    expect(sm.last("createModel")).toEqual({
      ModelName: JOB,
      ExecutionRoleArn: deps.settings.roleArn,
      PrimaryContainer: {
        Image: deps.settings.inferenceImage,
        ModelDataUrl: `s3://artifacts/${ARTIFACT_KEY}`,
        Environment: {
          SAGEMAKER_PROGRAM: "inference.py",
          SAGEMAKER_SUBMIT_DIRECTORY: "/opt/ml/model/code",
          SAGEMAKER_REGION: "eu-west-1",
          SAGEMAKER_CONTAINER_LOG_LEVEL: "20",
          SAGEMAKER_MODEL_SERVER_WORKERS: "2",
        },
      },
    });
    const cfg = sm.last("createEndpointConfig");
    expect(cfg.ProductionVariants).toEqual([
      {
        VariantName: "AllTraffic",
        ModelName: JOB,
        ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 2 },
      },
    ]);
    expect(cfg.KmsKeyId).toBeUndefined();
    expect(sm.last("updateEndpoint")).toEqual({
      EndpointName: "warecast-dev-forecast",
      EndpointConfigName: cfg.EndpointConfigName,
    });
    const pkg = sm.last("createModelPackage");
    expect(pkg).toMatchObject({
      ModelPackageGroupName: "warecast-dev-forecast",
      ModelApprovalStatus: "Approved",
      ClientToken: JOB,
      CustomerMetadataProperties: {
        outcome: "promoted",
        training_job: JOB,
        model_version: "2026-11-28T05-00-00Z-gbm",
        data_run: "runs/run-2.json",
        challenger_wape: "0.35",
        champion_wape: "0.4",
      },
    });

    const record = JSON.parse(s3.text("artifacts", `decisions/${JOB}.json`) ?? "null") as Record<
      string,
      unknown
    >;
    expect(record).toMatchObject({
      schema_version: 1,
      decided_at: NOW.toISOString(),
      training_job: JOB,
      outcome: "promoted",
      model_version: "2026-11-28T05-00-00Z-gbm",
      gate: { metric: "wape", tolerance: 0.02, challenger: 0.35, champion: 0.4 },
      // The windows of the real training run in tests/fixtures/training-metrics.json.
      evaluation: { freq: "D", horizon: 7, origins: ["2018-12-17", "2018-12-24"] },
      champion_model: "bootstrap-model",
      serving_model: "bootstrap-model",
      model_name: JOB,
      endpoint_config: cfg.EndpointConfigName,
      model_package_arn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/warecast-dev-forecast/1",
    });
    const line = obs.logs.find((l) => l.message === "promotion decision");
    expect(line?.extra).toMatchObject({ outcome: "promoted", training_job: JOB, recordWritten: true });
    // The API's GET /v1/model reads the served version's backtest from here.
    expect(s3.text("artifacts", "models/2026-11-28T05-00-00Z-gbm/metrics.json")).toBe(metricsJson(0.35, 0.4));
  });

  it("publishes a loser's metrics too (a pin may serve it), but never under a version that is not a plain name", async () => {
    const { s3, deps } = setup({ challenger: 0.5, champion: 0.4 });
    await handlePromote(event(), deps);
    expect(s3.text("artifacts", "models/2026-11-28T05-00-00Z-gbm/metrics.json")).toBe(metricsJson(0.5, 0.4));

    const odd = setup();
    odd.s3.put(
      "artifacts",
      ARTIFACT_KEY,
      tarGzBytes([
        { path: "metrics.json", content: metricsJson(0.3, 0.4) },
        { path: "model_version", content: "../control/pin\n" },
      ]),
    );
    await handlePromote(event(), odd.deps);
    expect([...odd.s3.objects.keys()].filter((k) => k.startsWith("artifacts/models/"))).toEqual([]);
    expect(modelMetricsKey("models/", "2026-11-28T05-00-00Z-gbm")).toBe(
      "models/2026-11-28T05-00-00Z-gbm/metrics.json",
    );
    for (const bad of ["", "a/b", "..", "v..1", "-x", "x y"])
      expect(modelMetricsKey("models/", bad)).toBeUndefined();
  });

  it("does nothing on a duplicated event", async () => {
    const { sm, deps } = setup();
    await handlePromote(event(), deps);
    const before = sm.calls.length;
    const again = await handlePromote(event(), deps);
    expect(again).toMatchObject({ handled: true, duplicate: true, record: { outcome: "promoted" } });
    expect(sm.calls.length).toBe(before);
  });

  it("keeps the champion when the challenger is worse, and says why", async () => {
    const { s3, sm, deps } = setup({ challenger: 0.5, champion: 0.4 });
    const result = await handlePromote(event(), deps);
    expect(result).toMatchObject({ record: { outcome: "rejected" } });
    expect(sm.count("updateEndpoint")).toBe(0);
    expect(sm.count("createModel")).toBe(0);
    expect(sm.last("createModelPackage").ModelApprovalStatus).toBe("Rejected");
    const record = JSON.parse(s3.text("artifacts", `decisions/${JOB}.json`) ?? "{}") as { reason: string };
    expect(record.reason).toBe("challenger wape 0.5000 > 0.4080 (champion 0.4000 × (1 + 0.02))");
  });

  it("does not promote a win against a champion that has since been replaced", async () => {
    const { sm, deps } = setup();
    sm.models.set("newer-model", { PrimaryContainer: { ModelDataUrl: "s3://artifacts/x.tar.gz" } });
    sm.configs.set("newer-config", { ProductionVariants: [{ ModelName: "newer-model" }] });
    sm.endpoint.config = "newer-config";
    const result = await handlePromote(event(), deps);
    expect(result).toMatchObject({
      record: {
        outcome: "stale-champion",
        reason: "scored against bootstrap-model, but the endpoint now serves newer-model",
      },
    });
    expect(sm.count("updateEndpoint")).toBe(0);
  });

  it("holds a winner while an operator pin is in place", async () => {
    const { s3, sm, deps } = setup();
    s3.put(
      "artifacts",
      "control/pin.json",
      JSON.stringify({
        model_package_arn: "arn:p/1",
        version: 1,
        pinned_at: "2026-11-27T00:00:00Z",
        pinned_by: "alice",
        reason: "peak season freeze",
      }),
    );
    const result = await handlePromote(event(), deps);
    expect(result).toMatchObject({ record: { outcome: "held-pinned" } });
    expect((result as { record: { reason: string } }).record.reason).toMatch(
      /held: endpoint pinned to version 1 by alice \(peak season freeze\)$/,
    );
    expect(sm.last("createModelPackage").ModelApprovalStatus).toBe("PendingManualApproval");
    expect(sm.count("updateEndpoint")).toBe(0);
  });

  it("records an artifact without metrics.json as invalid", async () => {
    const { s3, sm, deps } = setup();
    s3.put("artifacts", ARTIFACT_KEY, tarGzBytes([{ path: "model.pkl", content: "x" }]));
    const result = await handlePromote(event(), deps);
    expect(result).toMatchObject({
      record: { outcome: "invalid-artifact", reason: `s3://artifacts/${ARTIFACT_KEY} has no metrics.json` },
    });
    expect(sm.count("updateEndpoint")).toBe(0);
  });

  it("deploys to instances with KMS, VPC, the current fleet size and blue/green with rollback alarms", async () => {
    const { sm, deps } = setup({ settings: INSTANCE });
    sm.endpoint.instances = 4;
    await handlePromote(event(), deps);
    expect(sm.last("createModel").VpcConfig).toEqual({
      Subnets: ["subnet-a", "subnet-b"],
      SecurityGroupIds: ["sg-endpoint"],
    });
    const cfg = sm.last("createEndpointConfig");
    expect(cfg.KmsKeyId).toBe(KMS);
    expect(cfg.ProductionVariants).toEqual([
      { VariantName: "AllTraffic", ModelName: JOB, InstanceType: "ml.m5.large", InitialInstanceCount: 4 },
    ]);
    const update = sm.last("updateEndpoint") as { DeploymentConfig: { AutoRollbackConfiguration: unknown } };
    expect(update.DeploymentConfig.AutoRollbackConfiguration).toEqual({
      Alarms: [{ AlarmName: "warecast-prod-forecast-5xx" }, { AlarmName: "warecast-prod-forecast-latency" }],
    });
  });

  it("defers a winner while another deployment runs: a marker, no package, no record", async () => {
    const { s3, sm, obs, deps } = setup();
    sm.endpoint.status = "Updating";
    sm.endpoint.pending = "someone-elses-config";
    const reason =
      "endpoint warecast-dev-forecast is Updating (to someone-elses-config); the promotion waits for it";
    expect(await handlePromote(event(), deps)).toEqual({
      handled: true,
      deferred: true,
      trainingJob: JOB,
      reason,
    });
    expect(JSON.parse(s3.text("artifacts", `decisions/deferred/${JOB}.json`) ?? "null")).toEqual({
      schema_version: 1,
      training_job: JOB,
      deferred_at: NOW.toISOString(),
      reason,
      pending_endpoint_config: "someone-elses-config",
    });
    expect(s3.text("artifacts", `decisions/${JOB}.json`)).toBeUndefined();
    expect(sm.count("createModelPackage")).toBe(0);
    expect(sm.count("updateEndpoint")).toBe(0);
    expect(obs.logs.find((l) => l.message === "promotion deferred")?.extra).toMatchObject({
      training_job: JOB,
    });
  });

  it("treats maintenance and rollbacks as busy too, and keeps a marker's first time when deferred again", async () => {
    const { s3, sm, deps } = setup();
    sm.endpoint.status = "SystemUpdating";
    await handlePromote(event(), deps);
    const later = { ...deps, now: () => new Date("2026-11-28T04:20:00Z") };
    sm.endpoint.status = "RollingBack";
    expect(await handlePromote(event(), later)).toMatchObject({ deferred: true });
    const marker = JSON.parse(s3.text("artifacts", `decisions/deferred/${JOB}.json`) ?? "null") as {
      deferred_at: string;
      reason: string;
    };
    expect(marker.deferred_at).toBe(NOW.toISOString());
    expect(marker.reason).toMatch(/is RollingBack;/);
  });

  it("records a loser at once even while the endpoint is busy", async () => {
    const { s3, sm, deps } = setup({ challenger: 0.5, champion: 0.4 });
    sm.endpoint.status = "Updating";
    expect(await handlePromote(event(), deps)).toMatchObject({ record: { outcome: "rejected" } });
    expect(s3.text("artifacts", `decisions/deferred/${JOB}.json`)).toBeUndefined();
  });

  const endpointEvent = (name = "warecast-dev-forecast", status = "IN_SERVICE") => ({
    version: "0",
    source: "aws.sagemaker",
    "detail-type": "SageMaker Endpoint State Change",
    detail: { EndpointName: name, EndpointStatus: status },
  });

  it("waits while the endpoint is still busy, then promotes the deferred winner when it settles", async () => {
    const { s3, sm, deps } = setup();
    sm.endpoint.status = "Updating";
    await handlePromote(event(), deps);

    expect(await handlePromote(endpointEvent("warecast-dev-forecast", "UPDATING"), deps)).toEqual({
      handled: true,
      redriven: [],
      waiting: 1,
    });
    expect(sm.count("createModelPackage")).toBe(0);

    // The other update rolled back: the champion this job was scored against still serves.
    sm.endpoint.status = "InService";
    sm.endpoint.pending = undefined;
    const result = await handlePromote(endpointEvent(), deps);
    expect(result).toMatchObject({
      handled: true,
      waiting: 0,
      redriven: [{ duplicate: false, record: { training_job: JOB, outcome: "promoted" } }],
    });
    expect(sm.count("createModelPackage")).toBe(1);
    expect(sm.count("updateEndpoint")).toBe(1);
    expect(s3.text("artifacts", `decisions/${JOB}.json`)).toBeDefined();
    expect(s3.text("artifacts", `decisions/deferred/${JOB}.json`)).toBeUndefined();
    expect(await handlePromote(endpointEvent(), deps)).toEqual({
      handled: false,
      reason: "no promotion is waiting for the endpoint",
    });
  });

  it("records a deferred winner as stale when the update it waited for put another model live", async () => {
    const { s3, sm, deps } = setup();
    sm.endpoint.status = "Updating";
    await handlePromote(event(), deps);
    sm.models.set("newer-model", { PrimaryContainer: { ModelDataUrl: "s3://artifacts/x.tar.gz" } });
    sm.configs.set("newer-config", { ProductionVariants: [{ ModelName: "newer-model" }] });
    sm.endpoint.config = "newer-config";
    sm.endpoint.status = "InService";
    const result = await handlePromote(endpointEvent(), deps);
    expect(result).toMatchObject({ redriven: [{ record: { outcome: "stale-champion" } }], waiting: 0 });
    expect(sm.count("updateEndpoint")).toBe(0);
    expect(s3.text("artifacts", `decisions/deferred/${JOB}.json`)).toBeUndefined();
  });

  it("decides the most recently deferred job first; the other one then faces the model that won", async () => {
    const { s3, sm, deps } = setup();
    const other = "warecast-dev-forecast-20261128050007";
    sm.addJob(other, "Completed", new Date("2026-11-28T05:00:07Z"), [
      { Key: TAG_CHAMPION_MODEL, Value: "bootstrap-model" },
    ]);
    s3.put(
      "artifacts",
      `training/${other}/output/model.tar.gz`,
      tarGzBytes([{ path: "metrics.json", content: metricsJson(0.3, 0.4) }]),
    );
    sm.endpoint.status = "Updating";
    await handlePromote(event(other), deps);
    s3.clock = new Date("2026-11-01T00:01:00Z"); // S3 LastModified of the second marker
    await handlePromote(event(), deps);
    sm.endpoint.status = "InService";
    const result = await handlePromote(endpointEvent(), deps);
    expect(result).toMatchObject({
      redriven: [
        { record: { training_job: JOB, outcome: "promoted" } },
        { record: { training_job: other, outcome: "stale-champion" } },
      ],
      waiting: 0,
    });
  });

  it("still refuses to deploy into a busy endpoint when the update starts between the check and the call", async () => {
    const { sm, deps } = setup();
    sm.endpoint.status = "Updating";
    sm.endpoint.pending = "someone-elses-config";
    const s = deps.settings;
    const spec = { modelName: JOB, image: "img", modelDataUrl: "s3://a/m.tar.gz", environment: {} };
    const target = {
      endpointName: s.endpointName,
      roleArn: s.roleArn,
      kmsKeyArn: s.kmsKeyArn,
      serving: s.serving,
      deployment: s.deployment,
    };
    await expect(deployModel(deps.sagemaker, spec, target)).rejects.toThrow(
      /already updating to someone-elses-config; retry when it is InService/,
    );
    expect(sm.count("updateEndpoint")).toBe(0);
  });

  it("leaves another endpoint's events alone", async () => {
    const { sm, deps } = setup();
    expect(await handlePromote(endpointEvent("someone-elses-endpoint"), deps)).toEqual({
      handled: false,
      reason: "someone-elses-endpoint is not this stack's endpoint",
    });
    expect(sm.calls).toEqual([]);
  });

  it("ignores other jobs, unfinished jobs and foreign events", async () => {
    const { sm, deps } = setup();
    expect(await handlePromote(event("someone-else-20261128030007"), deps)).toEqual({
      handled: false,
      reason: "someone-else-20261128030007 is not one of ours",
    });
    expect(await handlePromote(event(JOB, "Failed"), deps)).toEqual({
      handled: false,
      reason: `${JOB} is Failed, not Completed`,
    });
    expect(await handlePromote({ source: "aws.s3" }, deps)).toMatchObject({ handled: false });
    expect(sm.calls).toEqual([]);
  });
});
