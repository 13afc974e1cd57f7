/**
 * Training and serving from the artifacts the ForecastModel uploads, in the SageMaker scikit-learn container's
 * layout and on its library versions (.venv-container, requirements/container.in):
 * - training: the CreateTrainingJob request the retrain function builds is laid out as SageMaker lays it out
 *   under a temporary root (<root>/opt/ml/input/config/*.json, input/data/<channel>, model, output, checkpoints),
 *   and the container's own training toolkit (sagemaker-training) fetches sagemaker_submit_directory from S3
 *   (moto), extracts it to <root>/opt/ml/code and runs sagemaker_program with the SM_* variables and the
 *   hyperparameters as `--name value`; SageMaker then packs <root>/opt/ml/model as model.tar.gz;
 * - serving: that model.tar.gz and the bootstrap model.tar.gz built at deploy time are extracted to a model
 *   directory and served through inference.py's model_fn and transform_fn by the container's serving stack
 *   (sagemaker-containers' Transformer and Flask Worker: tests/support/sagemaker/serve.py), with the Model's
 *   environment (SAGEMAKER_PROGRAM, …); a request that breaks the contract gets 400 there.
 * What differs from SageMaker is in docs/model-operations.md ("Artifact tests").
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { S3 } from "@aws-sdk/client-s3";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import * as tar from "tar";
import { FRAMEWORK_IMAGE, FRAMEWORK_IMAGE_CONTENTS } from "../../components/forecast-model/training";
import type { Channel } from "@aws-sdk/client-sagemaker";
import { buildTrainingJobRequest } from "../../functions/model/training-job";
import { parseSettings } from "../../functions/lambda-wiring";
import { retrainSettingsSchema } from "../../functions/model/settings";
import { buildTuningJobRequest } from "../../functions/model/tuning-job";
import { TUNE_SETTINGS_VARIABLE, tuneSettingsSchema } from "../../functions/model/tuning-settings";
import { REPO_ROOT, runStack, type RegisteredResource, type StackRun } from "../harness";
import { deployedObjects, type DeployedObject } from "../support/deployed-objects";
import { exec } from "../support/exec";
import { startMoto, type MotoServer } from "../support/moto";

jest.setTimeout(600_000);

const CONTAINER_VENV = path.join(REPO_ROOT, ".venv-container");
const CONTAINER_PYTHON = path.join(CONTAINER_VENV, "bin", "python");
const STANDINS = path.join(REPO_ROOT, "tests", "support", "sagemaker");

let run: StackRun;
let objects: Map<string, DeployedObject>;
let moto: MotoServer;
let tmp: string;

/**
 * dev's config, with cheaper training hyperparameters so the test trains in seconds: they reach the request,
 * the toolkit and train.py's arguments the way dev's own do.
 */
const HYPERPARAMETERS = ["threads=0", "max_iter=30", "origins=1"];

beforeAll(async () => {
  run = await runStack("dev", {
    overrides: { "warecast:modelHyperparameters": JSON.stringify(HYPERPARAMETERS) },
  });
  objects = await deployedObjects(run);
  moto = await startMoto();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-sagemaker-artifact-"));
});

afterAll(async () => {
  await moto?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** A file the stack uploads, checked against the content hash in its key (the build directory is shared). */
function uploadedFile(uri: string): string {
  const obj = objects.get(uri);
  if (!obj?.file) throw new Error(`the stack uploads no file at ${uri}`);
  const digest = createHash("sha256").update(fs.readFileSync(obj.file)).digest("hex");
  const hashInKey = /([0-9a-f]{16})(?:\.tar\.gz|\/model\.tar\.gz)$/.exec(obj.key)?.[1];
  expect(digest.slice(0, 16)).toBe(hashInKey);
  return obj.file;
}

const lambdaEnv = (suffix: string): Record<string, string> => {
  const fn = run.ofType("aws:lambda/function:Function").find((f) => f.name.endsWith(suffix));
  if (!fn) throw new Error(`no function *${suffix}`);
  return (fn.inputs.environment as { variables: Record<string, string> }).variables;
};

const bootstrapModel = (): RegisteredResource => run.ofType("aws:sagemaker/model:Model")[0];

const splitUri = (uri: string) => {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: m[1], key: m[2] };
};

/** Demand in the ETL's demand_daily layout (warehouse_id=/month= Parquet partitions): a weekly pattern, seeded. */
async function writeDemandDaily(dir: string): Promise<void> {
  // One file per partition with write_table: the dataset writer's threads once aborted at exit under load.
  const script = `
import sys
from pathlib import Path
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
rng = np.random.default_rng(11)
dates = pd.date_range("2023-01-02", periods=420, freq="D")
dow = np.array([0.8, 0.9, 1.0, 1.0, 1.1, 1.5, 0.7])[dates.dayofweek]
frames = []
for i in range(6):
    promo = rng.random(len(dates)) < 0.15
    units = rng.poisson(rng.uniform(2, 20) * dow * np.where(promo, 2.5, 1.0)).astype(float)
    frames.append(pd.DataFrame({"warehouse_id": f"W{i % 2}", "sku": f"S{i}", "date": dates.date,
        "units_sold": units, "units_returned": 0.0, "on_hand_eod": np.nan, "stockout": False,
        "closed": False, "promo": promo, "avg_unit_price": 2.0, "event_count": units.astype("int64"),
        "month": dates.strftime("%Y-%m")}))
for (w, m), part in pd.concat(frames).groupby(["warehouse_id", "month"]):
    target = Path(sys.argv[1]) / f"warehouse_id={w}" / f"month={m}" / "part-00000.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(part.drop(columns=["warehouse_id", "month"]), preserve_index=False)
    pq.write_table(table, target)
`;
  const res = await exec(CONTAINER_PYTHON, ["-c", script, dir], { cwd: tmp, env: process.env });
  if (res.code !== 0) throw new Error(res.output);
}

/** What a training job hands the container: its hyperparameters and input channels. */
interface ContainerJob {
  readonly hyperParameters: Record<string, string>;
  readonly channels: readonly Channel[];
  readonly inputMode: string | undefined;
}

/**
 * Runs one training job in the container's layout under <tmp>/<name> (the channels copied from `s3Root`, the
 * local mirror of S3), as the image's `train` command does; returns its output and /opt/ml.
 */
async function runTrainingContainer(
  name: string,
  s3Root: string,
  region: string,
  job: ContainerJob,
): Promise<{ res: Awaited<ReturnType<typeof exec>>; ml: string }> {
  // The container's file system, as SageMaker prepares it before starting the container.
  const root = path.join(tmp, name);
  const ml = path.join(root, "opt", "ml");
  const config = path.join(ml, "input", "config");
  fs.mkdirSync(config, { recursive: true });
  fs.writeFileSync(path.join(config, "hyperparameters.json"), JSON.stringify(job.hyperParameters));
  const channels = job.channels;
  fs.writeFileSync(
    path.join(config, "inputdataconfig.json"),
    JSON.stringify(
      Object.fromEntries(
        channels.map((c) => [
          c.ChannelName,
          {
            ...(c.ContentType ? { ContentType: c.ContentType } : {}),
            TrainingInputMode: c.InputMode ?? job.inputMode,
            S3DistributionType: c.DataSource?.S3DataSource?.S3DataDistributionType,
            RecordWrapperType: "None",
          },
        ]),
      ),
    ),
  );
  fs.writeFileSync(
    path.join(config, "resourceconfig.json"),
    JSON.stringify({ current_host: "algo-1", hosts: ["algo-1"], network_interface_name: "eth0" }),
  );
  for (const c of channels)
    downloadChannel(
      s3Root,
      c.DataSource!.S3DataSource!.S3Uri!,
      path.join(ml, "input", "data", c.ChannelName!),
    );
  for (const dir of ["model", "output/data", "checkpoints"])
    fs.mkdirSync(path.join(ml, dir), { recursive: true });

  // The image's `train` command: sagemaker-training's entry (sagemaker-containers, the serving toolkit, installs
  // a `train` script of its own that would run the same module through its older trainer).
  const res = await exec(CONTAINER_PYTHON, ["-m", "sagemaker_training.cli.train"], {
    cwd: root,
    env: {
      PATH: `${path.join(CONTAINER_VENV, "bin")}:${process.env.PATH}`,
      HOME: root,
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_DEFAULT_REGION: region,
      AWS_ENDPOINT_URL: moto.endpoint,
      SAGEMAKER_BASE_DIR: ml,
      // The image's environment: its framework entry (a stand-in for the unpublished package).
      SAGEMAKER_TRAINING_MODULE: "sagemaker_sklearn_container.training:main",
      PYTHONPATH: STANDINS,
      // The toolkit waits until the cluster's host names (algo-1) resolve; there is no cluster here.
      SM_STUDIO_LOCAL_MODE: "true",
      // /opt/ml/checkpoints (CheckpointConfig.LocalPath, train.py's default) is under the temporary root.
      WARECAST_CHECKPOINT_DIR: path.join(ml, "checkpoints"),
    },
  });
  return { res, ml };
}

/** S3Prefix channel download as SageMaker does it: every object under the prefix, relative to its last `/`. */
function downloadChannel(s3Root: string, uri: string, target: string): void {
  const { bucket, key } = splitUri(uri);
  const base = key.slice(0, key.lastIndexOf("/") + 1);
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const full = path.join(dir, e.name);
      return e.isDirectory() ? walk(full) : [full];
    });
  const bucketDir = path.join(s3Root, bucket);
  for (const file of walk(bucketDir)) {
    const objectKey = path.relative(bucketDir, file).split(path.sep).join("/");
    if (!objectKey.startsWith(key)) continue;
    const dest = path.join(target, objectKey.slice(base.length));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(file, dest);
  }
}

describe("the SageMaker container the model runs in", () => {
  it("is the pinned image, and .venv-container has exactly its Python and libraries", async () => {
    expect(FRAMEWORK_IMAGE_CONTENTS.tag).toBe(FRAMEWORK_IMAGE.tag);
    const pins = Object.fromEntries(
      fs
        .readFileSync(path.join(REPO_ROOT, "requirements", "container.in"), "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.split("==")),
    );
    expect(pins).toMatchObject(FRAMEWORK_IMAGE_CONTENTS.packages);
    const script =
      "import json, sys\nfrom importlib.metadata import version\n" +
      "print(json.dumps({'python': '%d.%d' % sys.version_info[:2], " +
      "'packages': {n: version(n) for n in json.loads(sys.argv[1])}}))\n";
    const res = await exec(
      CONTAINER_PYTHON,
      ["-c", script, JSON.stringify(Object.keys(FRAMEWORK_IMAGE_CONTENTS.packages))],
      { cwd: tmp, env: process.env },
    );
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({
      python: FRAMEWORK_IMAGE_CONTENTS.python,
      packages: FRAMEWORK_IMAGE_CONTENTS.packages,
    });
  });
});

describe("training from the uploaded source-dir tarball, serving the model.tar.gz", () => {
  const served: Record<string, string> = {};
  /** The local mirror of the S3 objects the jobs read (written by the first test). */
  let s3Root: string;

  it("trains as SageMaker runs the retrain function's CreateTrainingJob request", async () => {
    const settings = parseSettings(
      retrainSettingsSchema(),
      "WARECAST_RETRAIN_SETTINGS",
      lambdaEnv("-model-retrain").WARECAST_RETRAIN_SETTINGS,
    );
    const bootstrapUri = (bootstrapModel().inputs.primaryContainer as { modelDataUrl: string }).modelDataUrl;
    const jobName = `${settings.jobNamePrefix}-20240401030000`;
    const request = buildTrainingJobRequest(settings, {
      jobName,
      data: { key: `${settings.runsPrefix}run-1.json`, lastModified: new Date("2024-04-01T02:00:00Z") },
      champion: { modelName: bootstrapModel().inputs.name as string, modelDataUrl: bootstrapUri },
    });

    // S3: the uploaded code in moto (the toolkit downloads it), the data and the champion for the channels.
    s3Root = path.join(tmp, "s3");
    const s3 = new S3({ endpoint: moto.endpoint, forcePathStyle: true, maxAttempts: 1 });
    for (const uri of [settings.sourceDirUri, bootstrapUri]) {
      const { bucket, key } = splitUri(uri);
      const file = uploadedFile(uri);
      await s3.createBucket({ Bucket: bucket }).catch(() => undefined);
      await s3.putObject({ Bucket: bucket, Key: key, Body: fs.readFileSync(file) });
      fs.mkdirSync(path.dirname(path.join(s3Root, bucket, key)), { recursive: true });
      fs.copyFileSync(file, path.join(s3Root, bucket, key));
    }
    await writeDemandDaily(path.join(s3Root, settings.processedBucket, settings.trainPrefix));

    const { res, ml } = await runTrainingContainer("training", s3Root, settings.region, {
      hyperParameters: request.HyperParameters ?? {},
      channels: request.InputDataConfig ?? [],
      inputMode: request.AlgorithmSpecification?.TrainingInputMode,
    });
    if (res.code !== 0) throw new Error(`training exited with ${res.code}:\n${res.output.slice(-5000)}`);

    // The entry point got what the toolkit derives from the request: its code, channels, paths and hyperparameters.
    const hps = request.HyperParameters ?? {};
    expect(fs.readdirSync(path.join(ml, "code")).sort()).toEqual(["model", settings.entryPoint].sort());
    expect(hps).toMatchObject({ freq: "D", horizon: "28", threads: "0", max_iter: "30", origins: "1" });
    // The toolkit's command: the JSON-decoded hyperparameters, sorted, as --name value (sagemaker_* left out).
    expect(res.output).toContain(
      `python ${settings.entryPoint} --freq D --horizon 28 --max_iter 30 --origins 1 --threads 0\n`,
    );
    expect(fs.existsSync(path.join(ml, "checkpoints", "backtest.json"))).toBe(true);
    // Without the test's override, train.py keeps its checkpoints where the request's CheckpointConfig syncs them.
    const defaults = await exec(
      CONTAINER_PYTHON,
      ["-c", "from model.train import parse_args; print(parse_args(['--train', '.'])[0].checkpoint_dir)"],
      { cwd: path.join(ml, "code"), env: { PATH: process.env.PATH } },
    );
    expect(defaults.stdout.trim()).toBe(request.CheckpointConfig?.LocalPath);

    // SageMaker's metric definitions find in the job's log every metric the backtest has (a method without
    // intervals has no coverage), the gate's among them.
    const modelDir = path.join(ml, "model");
    const scored = JSON.parse(fs.readFileSync(path.join(modelDir, "metrics.json"), "utf8")).metrics as Record<
      string,
      Record<string, number | null>
    >;
    const definitions = request.AlgorithmSpecification?.MetricDefinitions ?? [];
    const found = definitions.map((m) => [m.Name, new RegExp(m.Regex!).test(res.output)]);
    const expected = definitions.map((m) => {
      const [, method, metric] = m.Name!.split(":");
      return [m.Name, scored[method]?.[metric] != null];
    });
    expect(found).toEqual(expected);
    expect(Object.fromEntries(found)).toMatchObject({
      "backtest:model:wape": true,
      "backtest:champion:wape": true,
    });

    // SageMaker packs /opt/ml/model into <output>/<job>/output/model.tar.gz.
    const files = fs.readdirSync(modelDir);
    expect(files).toEqual(expect.arrayContaining(["model_version", "metrics.json", "code"]));
    const artifact = path.join(tmp, "trained-model.tar.gz");
    await tar.create({ gzip: true, file: artifact, cwd: modelDir }, files);
    served.trained = artifact;
  });

  it("runs a trial of the tune function's tuning job: the objective on the tuning windows, scraped by its definition", async () => {
    const settings = parseSettings(
      tuneSettingsSchema(),
      TUNE_SETTINGS_VARIABLE,
      lambdaEnv("-model-tuning-tune")[TUNE_SETTINGS_VARIABLE],
    );
    const request = buildTuningJobRequest(settings, `${settings.tuningJobPrefix}-2404010400`);
    const def = request.TrainingJobDefinition!;
    // One trial: the static hyperparameters plus one value of each searched range, as SageMaker passes them.
    const ranges = request.HyperParameterTuningJobConfig!.ParameterRanges!.CategoricalParameterRanges!;
    const trial = Object.fromEntries(ranges.map((r) => [r.Name!, r.Values![0]]));
    // The config's max_iter is static, so it is not searched.
    expect(Object.keys(trial)).not.toContain("max_iter");
    const { res, ml } = await runTrainingContainer("tuning-trial", s3Root, settings.region, {
      hyperParameters: { ...def.StaticHyperParameters, ...trial },
      channels: def.InputDataConfig ?? [],
      inputMode: def.AlgorithmSpecification?.TrainingInputMode,
    });
    if (res.code !== 0) throw new Error(`the trial exited with ${res.code}:\n${res.output.slice(-5000)}`);
    const objective = def.AlgorithmSpecification!.MetricDefinitions!.find(
      (m) => m.Name === request.HyperParameterTuningJobConfig!.HyperParameterTuningJobObjective!.MetricName,
    )!;
    const score = Number(new RegExp(objective.Regex!).exec(res.output)?.[1]);
    expect(score).toBeGreaterThan(0);
    const result = JSON.parse(fs.readFileSync(path.join(ml, "model", "tuning.json"), "utf8")) as {
      tuning: Record<string, number>;
      hyperparameters: Record<string, number>;
    };
    expect(result.tuning.rmsse).toBeCloseTo(score, 5);
    expect(result.tuning).toMatchObject({ tuning_origins: settings.tuningOrigins, origins: 1, horizon: 28 });
    expect(result.hyperparameters).toMatchObject(
      Object.fromEntries(Object.entries(trial).map(([k, v]) => [k, Number(v)])),
    );
    // No evaluation backtest (its windows are the gate's), no model, and the score checkpointed for spot restarts.
    expect(res.output).not.toMatch(/metric (model|champion|seasonal_naive)_/);
    expect(fs.existsSync(path.join(ml, "model", "model.pkl"))).toBe(false);
    expect(fs.readdirSync(path.join(ml, "checkpoints")).filter((f) => f.startsWith("tuning-"))).toHaveLength(
      1,
    );
  });

  it.each(["trained", "bootstrap"])(
    "serves the %s model.tar.gz through inference.py as the scikit-learn container does, bad requests as 400",
    async (which) => {
      const container = bootstrapModel().inputs.primaryContainer as {
        modelDataUrl: string;
        environment: Record<string, string>;
      };
      const artifact = which === "bootstrap" ? uploadedFile(container.modelDataUrl) : served.trained;
      if (!artifact) throw new Error("no trained model (the training test failed)");
      const root = path.join(tmp, `serve-${which}`);
      const modelDir = path.join(root, "opt", "ml", "model");
      fs.mkdirSync(modelDir, { recursive: true });
      await tar.extract({ file: artifact, cwd: modelDir });

      const history = Array.from({ length: 90 }, (_, i) => [3, 4, 5, 5, 6, 9, 2][i % 7]);
      const body = {
        freq: "D",
        horizon: 7,
        quantiles: [0.1, 0.5, 0.9],
        windows: [{ name: "lead_time", start: 1, end: 5 }],
        series: [
          { id: "W0/S0", history: { start: "2024-01-01", units: history } },
          { id: "W0/NEW", history: { start: "2024-03-28", units: [2, 0, 3] } },
        ],
      };
      const json = "application/json";
      const requests = [
        { body: JSON.stringify(body), content_type: json, accept: json },
        // Requests that break the contract: a 400 from the container, not a 500 (model/inference.py transform_fn).
        { body: JSON.stringify({ ...body, horizon: -1 }), content_type: json, accept: json },
        { body: "{not json", content_type: json, accept: json },
        { body: "freq=D", content_type: "text/csv", accept: json },
      ];
      const res = await exec(
        CONTAINER_PYTHON,
        [path.join(STANDINS, "serve.py"), modelDir, path.join(root, "opt", "ml", "code")],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH,
            HOME: root,
            ...container.environment,
            WARECAST_SAGEMAKER_ROOT: root,
          },
          input: JSON.stringify(requests),
        },
      );
      if (res.code !== 0) throw new Error(`serving exited with ${res.code}:\n${res.output.slice(-5000)}`);
      const [response, ...refused] = JSON.parse(res.stdout) as {
        status: number;
        content_type: string;
        body: string;
      }[];
      expect(response).toMatchObject({ status: 200, content_type: json });
      expect(refused.map((r) => [r.status, r.content_type, JSON.parse(r.body)])).toEqual([
        [
          400,
          json,
          { error: "invalid_request", message: expect.stringMatching(/^horizon: must be an integer/) },
        ],
        [400, json, { error: "invalid_request", message: expect.stringMatching(/^request: not valid JSON/) }],
        [
          400,
          json,
          { error: "invalid_request", message: "content type must be application/json, got 'text/csv'" },
        ],
      ]);

      const schema = JSON.parse(
        fs.readFileSync(path.join(REPO_ROOT, "schemas", "endpoint.schema.json"), "utf8"),
      );
      const ajv = new Ajv2020({ allErrors: true, strict: false });
      addFormats(ajv);
      const validate = ajv.compile({ ...schema, $ref: "#/$defs/response" });
      const forecast = JSON.parse(response.body);
      const valid = validate(forecast);
      expect(validate.errors).toBeNull();
      expect(valid).toBe(true);
      const version = fs.readFileSync(path.join(modelDir, "model_version"), "utf8").trim();
      expect(forecast.model_version).toBe(version);
      expect(forecast.series.map((s: { id: string }) => s.id)).toEqual(["W0/S0", "W0/NEW"]);
      if (which === "bootstrap") expect(version).toBe(run.outputs.modelBootstrapVersion);
    },
  );
});
