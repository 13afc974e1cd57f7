/**
 * Retrain and promote with the real AWS SDK v3 against a moto server. moto records CreateTrainingJob (and marks
 * it Completed at once), CreateModel/EndpointConfig/Endpoint and the model registry, but it does not implement
 * UpdateEndpoint: the promotion test wraps the real client and records that one call instead (its arguments are
 * checked here and, with a fake endpoint that changes state, in promote.test.ts).
 */
import { S3 } from "@aws-sdk/client-s3";
import { SageMaker, type UpdateEndpointCommandInput } from "@aws-sdk/client-sagemaker";
import { tarGzBytes } from "../../components/forecast-model/tarball";
import { handlePromote } from "../../functions/promote";
import { handleRetrain } from "../../functions/retrain";
import type { SageMakerApi } from "../../functions/model/ports";
import { startMoto, type MotoServer } from "../support/moto";
import { KMS, ROLE, metricsJson, promoteSettings, quietObservability, retrainSettings } from "./model-fakes";

let moto: MotoServer;
let s3: S3;
let sagemaker: SageMaker;

const ENDPOINT = "warecast-dev-forecast";
const BOOTSTRAP_ARTIFACT = "s3://artifacts/bootstrap/model-0123.tar.gz";

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3({ endpoint: moto.endpoint, forcePathStyle: true, region: "eu-west-1", maxAttempts: 1 });
  sagemaker = new SageMaker({ endpoint: moto.endpoint, region: "eu-west-1", maxAttempts: 1 });
});
afterAll(async () => {
  s3?.destroy();
  sagemaker?.destroy();
  await moto?.stop();
});

/** What `pulumi up` leaves behind: buckets, the bootstrap model behind the endpoint, the registry. */
async function deployedStack(): Promise<void> {
  await moto.reset();
  for (const Bucket of ["processed", "artifacts"]) await s3.createBucket({ Bucket });
  await sagemaker.createModel({
    ModelName: "bootstrap-model",
    ExecutionRoleArn: ROLE,
    PrimaryContainer: { Image: "img", ModelDataUrl: BOOTSTRAP_ARTIFACT },
  });
  await sagemaker.createEndpointConfig({
    EndpointConfigName: "bootstrap-config",
    ProductionVariants: [
      {
        VariantName: "AllTraffic",
        ModelName: "bootstrap-model",
        InstanceType: "ml.m5.large",
        InitialInstanceCount: 1,
      },
    ],
  });
  await sagemaker.createEndpoint({ EndpointName: ENDPOINT, EndpointConfigName: "bootstrap-config" });
  await sagemaker.createModelPackageGroup({ ModelPackageGroupName: "warecast-dev-forecast" });
}

async function putManifest(runId: string, rows: number): Promise<void> {
  await s3.putObject({
    Bucket: "processed",
    Key: `runs/${runId}.json`,
    Body: JSON.stringify({ run_id: runId, records_in: rows, valid: rows, demand_rows_written: rows }),
  });
}

/** `status`, when given, overrides the EndpointStatus moto reports (moto's endpoints never leave InService). */
function withRecordedUpdate(status?: { value?: string }): {
  api: SageMakerApi;
  updates: UpdateEndpointCommandInput[];
} {
  const updates: UpdateEndpointCommandInput[] = [];
  const api: SageMakerApi = {
    createTrainingJob: (i) => sagemaker.createTrainingJob(i),
    describeTrainingJob: (i) => sagemaker.describeTrainingJob(i),
    listTrainingJobs: (i) => sagemaker.listTrainingJobs(i),
    listTags: (i) => sagemaker.listTags(i),
    describeEndpoint: async (i) => {
      const real = await sagemaker.describeEndpoint(i);
      return status?.value ? { ...real, EndpointStatus: status.value as "Updating" } : real;
    },
    describeEndpointConfig: (i) => sagemaker.describeEndpointConfig(i),
    describeModel: (i) => sagemaker.describeModel(i),
    createModel: (i) => sagemaker.createModel(i),
    createEndpointConfig: (i) => sagemaker.createEndpointConfig(i),
    createModelPackage: (i) => sagemaker.createModelPackage(i),
    describeModelPackage: (i) => sagemaker.describeModelPackage(i),
    listModelPackages: (i) => sagemaker.listModelPackages(i),
    updateModelPackage: (i) => sagemaker.updateModelPackage(i),
    updateEndpoint: async (i) => {
      updates.push(i);
      return {
        EndpointArn: `arn:aws:sagemaker:eu-west-1:123456789012:endpoint/${i.EndpointName}`,
        $metadata: {},
      };
    },
  };
  return { api, updates };
}

async function artifactOf(job: string): Promise<string> {
  const d = await sagemaker.describeTrainingJob({ TrainingJobName: job });
  return d.ModelArtifacts?.S3ModelArtifacts as string;
}

async function putArtifact(uri: string, challenger: number, champion: number): Promise<void> {
  const key = uri.replace("s3://artifacts/", "");
  await s3.putObject({
    Bucket: "artifacts",
    Key: key,
    Body: tarGzBytes([
      { path: "metrics.json", content: metricsJson(challenger, champion) },
      { path: "model_version", content: "v-moto" },
    ]),
  });
}

/** A deployed stack, an ETL run, the training job the retrain function starts, and its artifact's scores. */
async function trainedChallenger(challenger: number, champion: number) {
  await deployedStack();
  await putManifest("run-1", 500);
  const obs = quietObservability();
  const started = await handleRetrain({ sagemaker, s3, settings: retrainSettings(), obs });
  if (!started.started) throw new Error(started.reason);
  await putArtifact(await artifactOf(started.trainingJobName), challenger, champion);
  return { obs, started };
}

const completed = (name: string) => ({
  source: "aws.sagemaker",
  "detail-type": "SageMaker Training Job State Change",
  detail: { TrainingJobName: name, TrainingJobStatus: "Completed" },
});

describe("retrain and promote against moto", () => {
  it("starts a spot training job on new data with checkpoint, VPC and KMS, then skips until more data", async () => {
    await deployedStack();
    await putManifest("run-1", 500);
    const deps = {
      sagemaker,
      s3,
      settings: retrainSettings(),
      obs: quietObservability(),
      now: () => new Date("2026-11-28T03:00:00Z"),
    };
    const first = await handleRetrain(deps);
    expect(first).toMatchObject({ started: true, trainingJobName: "warecast-dev-forecast-20261128030000" });

    const job = await sagemaker.describeTrainingJob({
      TrainingJobName: "warecast-dev-forecast-20261128030000",
    });
    expect(job.EnableManagedSpotTraining).toBe(true);
    expect(job.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 1800, MaxWaitTimeInSeconds: 3600 });
    expect(job.CheckpointConfig).toEqual({
      S3Uri: "s3://artifacts/checkpoints/warecast-dev-forecast-20261128030000/",
      LocalPath: "/opt/ml/checkpoints",
    });
    expect(job.VpcConfig).toEqual({ Subnets: ["subnet-a", "subnet-b"], SecurityGroupIds: ["sg-train"] });
    expect(job.OutputDataConfig).toEqual({ S3OutputPath: "s3://artifacts/training/", KmsKeyId: KMS });
    expect(job.ResourceConfig?.VolumeKmsKeyId).toBe(KMS);
    expect(
      job.InputDataConfig?.find((c) => c.ChannelName === "champion")?.DataSource?.S3DataSource?.S3Uri,
    ).toBe(BOOTSTRAP_ARTIFACT);

    // moto completes the job at once: the next tick sees no newer run and does nothing.
    const second = await handleRetrain({ ...deps, now: () => new Date("2026-11-29T03:00:00Z") });
    expect(second).toEqual({ started: false, reason: "no ETL run since runs/run-1.json" });

    // A later run with rows makes retraining due again. LastModified has one-second resolution.
    await new Promise((r) => setTimeout(r, 1100));
    await putManifest("run-2", 3);
    const third = await handleRetrain({ ...deps, now: () => new Date("2026-11-30T03:00:00Z") });
    expect(third).toMatchObject({ started: true, reason: "runs/run-2.json wrote 3 demand rows" });
  });

  it("promotes a better model: registry, Model and EndpointConfig in moto, the UpdateEndpoint call recorded", async () => {
    const { obs, started } = await trainedChallenger(0.3, 0.4);

    const { api, updates } = withRecordedUpdate();
    const deps = { sagemaker: api, s3, settings: promoteSettings(), obs };
    const result = await handlePromote(completed(started.trainingJobName), deps);
    expect(result).toMatchObject({ handled: true, duplicate: false, record: { outcome: "promoted" } });

    const model = await sagemaker.describeModel({ ModelName: started.trainingJobName });
    expect(model.PrimaryContainer?.Environment?.SAGEMAKER_SUBMIT_DIRECTORY).toBe("/opt/ml/model/code");
    const configName = (result as { record: { endpoint_config: string } }).record.endpoint_config;
    const config = await sagemaker.describeEndpointConfig({ EndpointConfigName: configName });
    expect(config.ProductionVariants?.[0]?.ModelName).toBe(started.trainingJobName);
    expect(updates).toEqual([{ EndpointName: ENDPOINT, EndpointConfigName: configName }]);

    const packages = await sagemaker.listModelPackages({ ModelPackageGroupName: "warecast-dev-forecast" });
    expect(packages.ModelPackageSummaryList?.map((p) => p.ModelApprovalStatus)).toEqual(["Approved"]);

    const record = await s3.getObject({
      Bucket: "artifacts",
      Key: `decisions/${started.trainingJobName}.json`,
    });
    expect(JSON.parse(await record.Body!.transformToString())).toMatchObject({
      outcome: "promoted",
      gate: { metric: "wape", challenger: 0.3, champion: 0.4 },
    });
    const published = await s3.getObject({ Bucket: "artifacts", Key: "models/v-moto/metrics.json" });
    expect(await published.Body!.transformToString()).toBe(metricsJson(0.3, 0.4));

    // The same event again: the record is found, nothing else happens.
    const again = await handlePromote(completed(started.trainingJobName), deps);
    expect(again).toMatchObject({ duplicate: true });
    expect(updates).toHaveLength(1);
    const after = await sagemaker.listModelPackages({ ModelPackageGroupName: "warecast-dev-forecast" });
    expect(after.ModelPackageSummaryList).toHaveLength(1);
  });

  it("defers a winner while the endpoint is busy, marker in S3, and promotes it on the endpoint's next event", async () => {
    const { obs, started } = await trainedChallenger(0.3, 0.4);
    const status = { value: "Updating" as string | undefined };
    const { api, updates } = withRecordedUpdate(status);
    const deps = { sagemaker: api, s3, settings: promoteSettings(), obs };

    expect(await handlePromote(completed(started.trainingJobName), deps)).toMatchObject({ deferred: true });
    const marker = `decisions/deferred/${started.trainingJobName}.json`;
    const listed = await s3.listObjectsV2({ Bucket: "artifacts", Prefix: "decisions/" });
    expect(listed.Contents?.map((o) => o.Key)).toEqual([marker]);
    const packages = await sagemaker.listModelPackages({ ModelPackageGroupName: "warecast-dev-forecast" });
    expect(packages.ModelPackageSummaryList).toEqual([]);

    status.value = undefined;
    const endpointEvent = {
      source: "aws.sagemaker",
      "detail-type": "SageMaker Endpoint State Change",
      detail: { EndpointName: ENDPOINT, EndpointStatus: "IN_SERVICE" },
    };
    const result = await handlePromote(endpointEvent, deps);
    expect(result).toMatchObject({ redriven: [{ record: { outcome: "promoted" } }], waiting: 0 });
    expect(updates).toHaveLength(1);
    const after = await s3.listObjectsV2({ Bucket: "artifacts", Prefix: "decisions/" });
    expect(after.Contents?.map((o) => o.Key)).toEqual([`decisions/${started.trainingJobName}.json`]);
  });

  it("rejects a worse model entirely in moto: Rejected in the registry, endpoint untouched", async () => {
    const { obs, started } = await trainedChallenger(0.6, 0.4);

    const result = await handlePromote(completed(started.trainingJobName), {
      sagemaker,
      s3,
      settings: promoteSettings(),
      obs,
    });
    expect(result).toMatchObject({ record: { outcome: "rejected" } });
    const endpoint = await sagemaker.describeEndpoint({ EndpointName: ENDPOINT });
    expect(endpoint.EndpointConfigName).toBe("bootstrap-config");
    const packages = await sagemaker.listModelPackages({ ModelPackageGroupName: "warecast-dev-forecast" });
    expect(packages.ModelPackageSummaryList?.map((p) => p.ModelApprovalStatus)).toEqual(["Rejected"]);
  });
});
