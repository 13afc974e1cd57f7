/**
 * The tune function's steps with the real AWS SDK v3 against moto, which records CreateHyperParameterTuningJob
 * (and marks the job Completed at once) and answers DescribeHyperParameterTuningJob with the stored request and a
 * canned best training job that is not ours.
 */
import { S3 } from "@aws-sdk/client-s3";
import { SageMaker } from "@aws-sdk/client-sagemaker";
import { buildTuningJobRequest } from "../../functions/model/tuning-job";
import { recordTuningResult, startTuning } from "../../functions/tune";
import { startMoto, type MotoServer } from "../support/moto";
import { quietObservability, tunerSettings } from "./model-fakes";

let moto: MotoServer;
let s3: S3;
let sagemaker: SageMaker;

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3({ endpoint: moto.endpoint, forcePathStyle: true, region: "eu-west-1", maxAttempts: 1 });
  sagemaker = new SageMaker({ endpoint: moto.endpoint, region: "eu-west-1", maxAttempts: 1 });
  for (const Bucket of ["processed", "artifacts"]) await s3.createBucket({ Bucket });
});
afterAll(async () => {
  s3?.destroy();
  sagemaker?.destroy();
  await moto?.stop();
});

const NOW = new Date("2026-12-01T04:00:09Z");

it("starts the tuning job SageMaker stores as sent, and refuses a best trial that is not in the search space", async () => {
  const deps = { sagemaker, s3, settings: tunerSettings(), obs: quietObservability(), now: () => NOW };
  expect(await startTuning(deps)).toMatchObject({
    started: false,
    reason: expect.stringContaining("no training data"),
  });
  await s3.putObject({ Bucket: "processed", Key: "demand_daily/part-0.parquet", Body: "x" });
  const started = await startTuning(deps);
  expect(started).toEqual({ started: true, tuningJobName: "warecast-dev-tune-2612010400", maxJobs: 20 });

  const request = buildTuningJobRequest(deps.settings, "warecast-dev-tune-2612010400");
  const stored = await sagemaker.describeHyperParameterTuningJob({
    HyperParameterTuningJobName: "warecast-dev-tune-2612010400",
  });
  expect(stored.HyperParameterTuningJobConfig).toEqual(request.HyperParameterTuningJobConfig);
  expect(stored.TrainingJobDefinition).toEqual(request.TrainingJobDefinition);
  const listed = await sagemaker.listHyperParameterTuningJobs({ NameContains: "warecast-dev-tune-" });
  expect(listed.HyperParameterTuningJobSummaries?.map((j) => j.HyperParameterTuningJobName)).toEqual([
    "warecast-dev-tune-2612010400",
  ]);

  // moto completes the job at once with a canned best trial ("string": …): never recorded as ours.
  await expect(recordTuningResult(deps, "warecast-dev-tune-2612010400")).rejects.toThrow(
    /tuned "string", which is not in the search space|optimised Accuracy, not the objective/,
  );
  const written = await s3.listObjectsV2({ Bucket: "artifacts", Prefix: "tuning/" });
  expect(written.KeyCount).toBe(0);
}, 60_000);
