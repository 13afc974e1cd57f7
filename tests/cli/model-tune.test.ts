/**
 * `warecast model tune` through commander, with the real AWS SDK against moto (AWS_ENDPOINT_URL) and a stand-in
 * `pulumi` for the stack outputs; and `warecast train --params`, which reads the document tuning writes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { S3 } from "@aws-sdk/client-s3";
import { SageMaker } from "@aws-sdk/client-sagemaker";
import { buildProgram } from "../../cli/main";
import * as python from "../../cli/python";
import { buildTuningJobRequest } from "../../functions/model/tuning-job";
import { TUNE_SETTINGS_KEY } from "../../functions/model/tuning-settings";
import { startMoto, type MotoServer } from "../support/moto";
import { tunerSettings } from "../functions/model-fakes";

let moto: MotoServer;
let s3: S3;
let sagemaker: SageMaker;
let bin: string;
const saved = { endpoint: process.env.AWS_ENDPOINT_URL, region: process.env.AWS_REGION };

beforeAll(async () => {
  moto = await startMoto();
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  process.env.AWS_REGION = "eu-west-1";
  s3 = new S3({ forcePathStyle: true, maxAttempts: 1 });
  sagemaker = new SageMaker({ maxAttempts: 1 });
  bin = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-tune-bin-"));
  const outputs = { artifactsBucketName: "artifacts", region: "eu-west-1" };
  fs.writeFileSync(
    path.join(bin, "pulumi"),
    [
      "#!/bin/sh",
      `if [ "$*" = "stack output --json --stack dev" ]; then echo '${JSON.stringify(outputs)}'; exit 0; fi`,
      'echo "error: no stack named $5" >&2; exit 255',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  sagemaker?.destroy();
  await moto?.stop();
  process.env.AWS_ENDPOINT_URL = saved.endpoint;
  process.env.AWS_REGION = saved.region;
  if (bin) fs.rmSync(bin, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

async function run(...args: string[]): Promise<string> {
  const lines: string[] = [];
  jest.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  await buildProgram()
    .exitOverride()
    .parseAsync(["node", "warecast", ...args]);
  return lines.join("\n");
}

describe("warecast model tune", () => {
  it("starts the stack's tuning job with the settings the stack keeps, found from its outputs", async () => {
    await moto.reset();
    for (const Bucket of ["processed", "artifacts"]) await s3.createBucket({ Bucket });
    await expect(
      run("model", "tune", "--stack", "dev", "--pulumi", path.join(bin, "pulumi")),
    ).rejects.toThrow(
      `s3://artifacts/${TUNE_SETTINGS_KEY} not found: is artifacts the artifacts bucket of a stack deployed with tuning?`,
    );
    const settings = tunerSettings();
    await s3.putObject({ Bucket: "artifacts", Key: TUNE_SETTINGS_KEY, Body: JSON.stringify(settings) });
    expect(await run("model", "tune", "--bucket", "artifacts")).toBe(
      "not started: no training data under s3://processed/demand_daily/ yet",
    );
    await s3.putObject({ Bucket: "processed", Key: "demand_daily/part-0.parquet", Body: "x" });
    const out = JSON.parse(
      await run("model", "tune", "--stack", "dev", "--pulumi", path.join(bin, "pulumi"), "--json"),
    ) as { started: boolean; tuningJobName: string };
    expect(out).toMatchObject({ started: true, maxJobs: 20 });
    expect(out.tuningJobName).toMatch(/^warecast-dev-tune-\d{10}$/);
    const job = await sagemaker.describeHyperParameterTuningJob({
      HyperParameterTuningJobName: out.tuningJobName,
    });
    const request = buildTuningJobRequest(settings, out.tuningJobName);
    expect(job.TrainingJobDefinition).toEqual(request.TrainingJobDefinition);
    expect(job.HyperParameterTuningJobConfig).toEqual(request.HyperParameterTuningJobConfig);
  }, 60_000);

  it("asks for exactly one of --stack and --bucket, and says when the stack's outputs cannot be read", async () => {
    await expect(run("model", "tune")).rejects.toThrow("pass --stack <name> or --bucket <name>");
    await expect(run("model", "tune", "--stack", "dev", "--bucket", "b")).rejects.toThrow(
      "pass --stack <name> or --bucket <name>",
    );
    await expect(
      run("model", "tune", "--stack", "prod", "--pulumi", path.join(bin, "pulumi")),
    ).rejects.toThrow(
      /cannot read the outputs of stack prod \(error: no stack named prod\); pass --bucket and --region instead/,
    );
  });
});

describe("warecast train --params", () => {
  const document = {
    tuningJobName: "warecast-dev-tune-2612010400",
    source: "sagemaker",
    objective: { metric: "tuning:model:rmsse", type: "Minimize" },
    score: 0.81,
    hyperParameters: { max_iter: "400", learning_rate: 0.06 },
  };

  function files() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-params-"));
    const data = path.join(dir, "sales.csv");
    fs.writeFileSync(data, "warehouse_id,sku,date,units_sold\nW1,A,2026-01-01,3\n");
    return { dir, data };
  }

  it("passes the document's hyperparameters to train.py, --hp winning", async () => {
    const { dir, data } = files();
    const params = path.join(dir, "best.json");
    fs.writeFileSync(params, JSON.stringify(document));
    const calls: { module: string; env: Record<string, string> }[] = [];
    jest.spyOn(python, "runPython").mockImplementation(async (module, _args, r) => {
      calls.push({ module, env: (r.env ?? {}) as Record<string, string> });
      throw new Error("stop after the call");
    });
    await expect(
      run(
        "train",
        "--workspace",
        path.join(dir, "ws"),
        "--data",
        data,
        "--params",
        params,
        "--hp",
        "max_iter=150",
      ),
    ).rejects.toThrow("stop after the call");
    expect(calls.map((c) => c.module)).toEqual(["model.train"]);
    expect(JSON.parse(calls[0].env.SM_HPS)).toMatchObject({ learning_rate: "0.06", max_iter: "150" });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a file that is not the document, naming the file and the field, before running anything", async () => {
    const { dir, data } = files();
    const flat = path.join(dir, "flat.json");
    fs.writeFileSync(flat, JSON.stringify({ max_iter: 400 }));
    const spy = jest.spyOn(python, "runPython");
    await expect(
      run("train", "--workspace", path.join(dir, "ws"), "--data", data, "--params", flat),
    ).rejects.toThrow(
      new RegExp(`--params ${flat} is not a tuned-hyperparameters document .*hyperParameters`),
    );
    await expect(
      run(
        "train",
        "--workspace",
        path.join(dir, "ws"),
        "--data",
        data,
        "--params",
        path.join(dir, "none.json"),
      ),
    ).rejects.toThrow(/--params .*none\.json: ENOENT/);
    expect(spy).not.toHaveBeenCalled();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
