import { handlePromote } from "../../functions/promote";
import { TAG_CHAMPION_MODEL } from "../../functions/model/data-watermark";
import {
  SETTINGS_KEY,
  pinVersion,
  redeploy,
  rollback,
  stackContext,
  unpin,
} from "../../functions/model/operator";
import { tarGzBytes } from "../../components/forecast-model/tarball";
import { FakeS3, FakeSageMaker, metricsJson, promoteSettings, quietObservability } from "./model-fakes";

/** Two trained versions promoted in turn (v1 then v2), as the promote function would leave them. */
async function twoPromotions() {
  const s3 = new FakeS3();
  const sm = new FakeSageMaker();
  sm.seedEndpoint("warecast-dev-forecast", "bootstrap-model", "s3://artifacts/bootstrap/model-0.tar.gz");
  const settings = promoteSettings();
  s3.put("artifacts", SETTINGS_KEY, JSON.stringify(settings));
  const obs = quietObservability();
  let champion = "bootstrap-model";
  for (const job of ["warecast-dev-forecast-20261101030000", "warecast-dev-forecast-20261108030000"]) {
    sm.addJob(job, "Completed", new Date(), [{ Key: TAG_CHAMPION_MODEL, Value: champion }], {
      OutputDataConfig: { S3OutputPath: "s3://artifacts/training/" },
    });
    s3.put(
      "artifacts",
      `training/${job}/output/model.tar.gz`,
      tarGzBytes([{ path: "metrics.json", content: metricsJson(0.3, 0.4) }]),
    );
    const r = await handlePromote(
      {
        source: "aws.sagemaker",
        "detail-type": "SageMaker Training Job State Change",
        detail: { TrainingJobName: job, TrainingJobStatus: "Completed" },
      },
      { sagemaker: sm.api(), s3: s3.api(), settings, obs },
    );
    expect(r).toMatchObject({ record: { outcome: "promoted" } });
    champion = job;
  }
  const deps = {
    sagemaker: sm.api(),
    s3: s3.api(),
    actor: "alice",
    now: () => new Date("2026-11-20T10:00:00Z"),
  };
  return { s3, sm, deps };
}

describe("operator: pin, unpin, rollback", () => {
  it("finds the stack's settings from the endpoint alone", async () => {
    const { deps } = await twoPromotions();
    const ctx = await stackContext(deps, "warecast-dev-forecast");
    expect(ctx.settings.artifactsBucket).toBe("artifacts");
    expect(ctx.serving.modelName).toBe("warecast-dev-forecast-20261108030000");
    await expect(stackContext(deps, "warecast-dev-forecast", "elsewhere")).rejects.toThrow(
      /s3:\/\/elsewhere\/control\/promote-settings.json not found/,
    );
  });

  it("rolls back to the previous approved version and marks the current one rejected", async () => {
    const { s3, sm, deps } = await twoPromotions();
    const ctx = await stackContext(deps, "warecast-dev-forecast");
    const r = await rollback(deps, ctx, "spiky forecasts after promo change");
    expect(r.version.version).toBe(1);
    expect(r.deploy.action).toBe("updating");
    expect(sm.endpoint.config).toBe(r.deploy.endpointConfig);
    expect(sm.last("updateModelPackage")).toMatchObject({
      ModelPackageArn: sm.packages[1].arn,
      ModelApprovalStatus: "Rejected",
      ApprovalDescription: "rolled back by alice: spiky forecasts after promo change",
    });
    const record = JSON.parse(s3.text("artifacts", r.record) ?? "{}") as Record<string, unknown>;
    expect(record).toMatchObject({ action: "rollback", actor: "alice", from_version: 2, version: 1 });
    expect(r.record).toBe("decisions/operator/20261120100000-rollback.json");

    // A second rollback has nowhere to go: v1 is the oldest approved version.
    const again = await stackContext(deps, "warecast-dev-forecast");
    await expect(rollback(deps, again, "again")).rejects.toThrow("no Approved version older than 1");
  });

  it("pins a version (rollback then refuses), re-pins without redeploying, and unpins", async () => {
    const { s3, sm, deps } = await twoPromotions();
    const ctx = await stackContext(deps, "warecast-dev-forecast");
    const r = await pinVersion(deps, ctx, 1, "peak season freeze");
    expect(r.deploy.action).toBe("updating");
    expect(JSON.parse(s3.text("artifacts", "control/pin.json") ?? "{}")).toMatchObject({
      version: 1,
      pinned_by: "alice",
      reason: "peak season freeze",
    });
    await expect(rollback(deps, await stackContext(deps, "warecast-dev-forecast"), "x")).rejects.toThrow(
      "endpoint is pinned to version 1 by alice",
    );
    // Pinning the version already served does not redeploy.
    expect(
      (await pinVersion(deps, await stackContext(deps, "warecast-dev-forecast"), 1, "again")).deploy.action,
    ).toBe("already-serving");
    expect(await unpin(deps, ctx, "freeze over")).toMatchObject({ version: 1 });
    expect(s3.text("artifacts", "control/pin.json")).toBeUndefined();
    expect(await unpin(deps, ctx, "twice")).toBeUndefined();
    expect(sm.count("updateEndpoint")).toBe(3);
  });

  it("refuses unknown and rejected versions unless forced", async () => {
    const { sm, deps } = await twoPromotions();
    const ctx = await stackContext(deps, "warecast-dev-forecast");
    await expect(pinVersion(deps, ctx, 7, "x")).rejects.toThrow(
      "model package group warecast-dev-forecast has no version 7 (versions: 2, 1)",
    );
    sm.packages[0].status = "Rejected";
    await expect(pinVersion(deps, ctx, 1, "x")).rejects.toThrow(/version 1 is Rejected .* pass --force/);
    expect((await pinVersion(deps, ctx, 1, "x", true)).version.version).toBe(1);
    expect(sm.last("updateModelPackage")).toMatchObject({ ModelApprovalStatus: "Approved" });
  });

  it("cannot roll back from the bootstrap model", async () => {
    const s3 = new FakeS3();
    const sm = new FakeSageMaker();
    sm.seedEndpoint("warecast-dev-forecast", "bootstrap-model", "s3://artifacts/bootstrap/model-0.tar.gz");
    s3.put("artifacts", SETTINGS_KEY, JSON.stringify(promoteSettings()));
    const deps = { sagemaker: sm.api(), s3: s3.api(), actor: "bob" };
    const ctx = await stackContext(deps, "warecast-dev-forecast");
    await expect(rollback(deps, ctx, "x")).rejects.toThrow(/not in the registry \(the bootstrap model\)/);
  });

  it("redeploys the serving model with the stack's current serving settings, through the promotion path", async () => {
    const { s3, sm, deps } = await twoPromotions();
    const serving = "warecast-dev-forecast-20261108030000";
    // Unchanged settings: nothing to do.
    const same = await redeploy(deps, await stackContext(deps, "warecast-dev-forecast"), "no-op");
    expect(same).toMatchObject({ modelName: serving, deploy: { action: "already-serving" } });
    // `pulumi up` doubled the serverless memory: a new endpoint config for the same model, the endpoint moved to it.
    s3.put(
      "artifacts",
      SETTINGS_KEY,
      JSON.stringify(
        promoteSettings({ serving: { kind: "serverless", memorySizeMb: 4096, maxConcurrency: 2 } }),
      ),
    );
    const models = sm.count("createModel");
    const later = { ...deps, now: () => new Date("2026-11-20T11:00:00Z") };
    const bigger = await redeploy(later, await stackContext(later, "warecast-dev-forecast"), "more memory");
    expect(bigger).toMatchObject({ modelName: serving, deploy: { action: "updating", blueGreen: false } });
    expect(sm.count("createModel")).toBe(models + 1); // ensureModel's "already exists" is the same model
    expect(sm.configs.get(bigger.deploy.endpointConfig)).toMatchObject({
      ProductionVariants: [
        { ModelName: serving, ServerlessConfig: { MemorySizeInMB: 4096, MaxConcurrency: 2 } },
      ],
    });
    expect(sm.endpoint.config).toBe(bigger.deploy.endpointConfig);
    expect(bigger.record).toBe("decisions/operator/20261120110000-redeploy.json");
    expect(JSON.parse(s3.text("artifacts", bigger.record)!)).toMatchObject({
      action: "redeploy",
      actor: "alice",
      reason: "more memory",
      model_name: serving,
      endpoint_config: bigger.deploy.endpointConfig,
    });
  });

  it("redeploys into new subnets as a copy of the serving model (a model's VPC is fixed)", async () => {
    const { s3, sm, deps } = await twoPromotions();
    const instance = {
      kind: "instance" as const,
      instanceType: "ml.m5.large",
      minInstances: 2,
      subnetIds: ["subnet-new-1", "subnet-new-2"],
      securityGroupIds: ["sg-new"],
    };
    s3.put("artifacts", SETTINGS_KEY, JSON.stringify(promoteSettings({ serving: instance })));
    const r = await redeploy(deps, await stackContext(deps, "warecast-dev-forecast"), "into the VPC");
    expect(r.modelName).toMatch(/^warecast-dev-forecast-20261108030000-[0-9a-f]{8}$/);
    expect(sm.models.get(r.modelName)).toMatchObject({
      PrimaryContainer: sm.models.get("warecast-dev-forecast-20261108030000")!.PrimaryContainer,
      VpcConfig: { Subnets: instance.subnetIds, SecurityGroupIds: instance.securityGroupIds },
    });
    expect(sm.configs.get(r.deploy.endpointConfig)).toMatchObject({
      ProductionVariants: [{ ModelName: r.modelName, InstanceType: "ml.m5.large", InitialInstanceCount: 2 }],
    });
    expect(sm.endpoint.config).toBe(r.deploy.endpointConfig);
  });
});
