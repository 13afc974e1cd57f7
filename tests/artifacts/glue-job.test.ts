/**
 * The Glue job as Glue runs it: the script, the etl.zip and the event schema the EtlPipeline uploads, laid out as
 * Glue 5.0 lays them out (the script as the entry point, the zip on the Python path through --py-files, the
 * --extra-files in the working directory), run by spark-submit (pyspark 3.5.4, Glue 5.0's Spark line) with the
 * job definition's DefaultArguments as argv, plus what Glue adds (--JOB_ID, --JOB_RUN_ID, --JOB_NAME,
 * --SECURITY_CONFIGURATION). Nothing is imported from the source tree: a missing module in the zip fails the run.
 * What differs from Glue is in docs/etl.md ("The Glue artifact test").
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { localSparkOptions, sparkEnv } from "../../cli/commands/etl";
import { REPO_ROOT, runStack, type RegisteredResource } from "../harness";
import { deployedObjects, writeObject, type DeployedObject } from "../support/deployed-objects";
import { exec } from "../support/exec";
import { startMoto, type MotoServer } from "../support/moto";

// spark-submit starts a JVM per run: tens of seconds on a quiet machine, minutes on a loaded one.
jest.setTimeout(600_000);

const GLUE_STANDIN = path.join(REPO_ROOT, "tests", "support", "glue");

interface GlueRun {
  readonly code: number | null;
  readonly output: string;
  readonly calls: { call: string; job_name?: string; args?: Record<string, string> }[];
}

let job: RegisteredResource;
let objects: Map<string, DeployedObject>;
let moto: MotoServer;
let tmp: string;

beforeAll(async () => {
  const run = await runStack("dev");
  [job] = run.ofType("aws:glue/job:Job");
  objects = await deployedObjects(run);
  moto = await startMoto();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-glue-artifact-"));
});

afterAll(async () => {
  await moto?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const defaultArguments = () => job.inputs.defaultArguments as Record<string, string>;

/** The local stand-in for S3: s3://<bucket>/<key> is <root>/s3/<bucket>/<key>. */
const localUri = (root: string, value: string) =>
  value.startsWith("s3://") ? `file://${root}/s3/${value.slice("s3://".length)}` : value;

function uploaded(uri: string): DeployedObject {
  const obj = objects.get(uri);
  if (!obj) throw new Error(`the job refers to ${uri}, which the stack does not upload`);
  return obj;
}

/** Raw events in Firehose's layout (gzip NDJSON under events/dt=<arrival date>/) in the raw bucket. */
function writeRawEvents(root: string): void {
  const raw = defaultArguments()["--raw"].slice("s3://".length);
  const ev = (id: string, at: string, quantity: number, extra: Record<string, unknown> = {}) => ({
    schema_version: 1,
    event_id: id,
    event_type: "sale",
    occurred_at: at,
    warehouse_id: "W1",
    sku: "S1",
    quantity,
    ...extra,
  });
  const lines = [
    ev("e1", "2024-03-01T10:00:00Z", 2, { unit_price: 1.5, promo: true }),
    ev("e2", "2024-03-01T12:00:00Z", 1, { unit_price: 3.0 }),
    ev("e1", "2024-03-01T10:00:00Z", 2, { unit_price: 1.5, promo: true }),
    ev("e3", "2024-03-03T09:00:00Z", 4),
    ev("e4", "2024-03-02T08:00:00Z", 1, { sku: "not a sku" }),
  ].map((e) => JSON.stringify(e) + "\n");
  const file = path.join(root, "s3", raw, "events", "dt=2024-03-10", "batch-1.ndjson.gz");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, gzipSync(lines.join("")));
}

/**
 * One job run as Glue starts it: downloads the script, the --extra-py-files and the --extra-files, then
 * spark-submit with the DefaultArguments (S3 URIs pointing at the local stand-in) and Glue's own arguments.
 */
async function runAsGlue(name: string, omitFromZip: readonly string[] = []): Promise<GlueRun> {
  const root = path.join(tmp, name);
  const args = defaultArguments();
  const scriptDir = path.join(root, "glue", "script");
  const pyDir = path.join(root, "glue", "py");
  const workDir = path.join(root, "glue", "work");
  const command = job.inputs.command as { scriptLocation: string; pythonVersion: string };
  const script = path.join(scriptDir, path.posix.basename(command.scriptLocation));
  writeObject(uploaded(command.scriptLocation), script);
  const pyFiles = args["--extra-py-files"].split(",").map((uri) => {
    const target = path.join(pyDir, path.posix.basename(uri));
    writeObject(uploaded(uri), target, omitFromZip);
    return target;
  });
  for (const uri of args["--extra-files"].split(","))
    writeObject(uploaded(uri), path.join(workDir, path.posix.basename(uri)));
  writeRawEvents(root);

  const hex = () => randomBytes(32).toString("hex");
  const argv = [
    ...Object.entries(args).flatMap(([k, v]) => [k, localUri(root, v)]),
    "--JOB_ID",
    `j_${hex()}`,
    "--JOB_RUN_ID",
    `jr_${hex()}`,
    "--JOB_NAME",
    job.inputs.name as string,
    "--SECURITY_CONFIGURATION",
    job.inputs.securityConfiguration as string,
  ];
  const calls = path.join(root, "glue-calls.jsonl");
  const submit = path.join(REPO_ROOT, ".venv", "bin", "spark-submit");
  const { code, output } = await exec(
    submit,
    [
      ...localSparkOptions({ driverMemory: "1g" }),
      // A handful of rows: few shuffle partitions (the later --conf wins).
      ...["--conf", "spark.sql.shuffle.partitions=4"],
      ...["--py-files", pyFiles.join(","), script, ...argv],
    ],
    {
      cwd: workDir,
      env: {
        ...process.env,
        ...sparkEnv(),
        // The Glue environment's libraries only: never the repository (etl.* must come from the zip).
        PYTHONPATH: GLUE_STANDIN,
        WARECAST_GLUE_CALLS: calls,
        AWS_ENDPOINT_URL: moto.endpoint,
      },
    },
  );
  const recorded = fs.existsSync(calls)
    ? fs
        .readFileSync(calls, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as GlueRun["calls"][number])
    : [];
  return { code, output, calls: recorded };
}

/** Runs a Python snippet in the project's venv and parses what it prints as JSON. */
async function pythonJson(script: string, ...args: string[]): Promise<unknown> {
  const python = path.join(REPO_ROOT, ".venv", "bin", "python");
  const res = await exec(python, ["-c", script, ...args], { cwd: tmp, env: process.env });
  if (res.code !== 0) throw new Error(res.output);
  return JSON.parse(res.stdout);
}

/** Rows of a processed table, read back with pyarrow (partition columns as strings). */
const readTable = (dir: string) =>
  pythonJson(
    "import json, sys\nimport pyarrow.dataset as ds\n" +
      "t = ds.dataset(sys.argv[1], format='parquet', partitioning='hive').to_table()\n" +
      "print(json.dumps(t.to_pylist(), default=str))\n",
    dir,
  ) as Promise<Record<string, unknown>[]>;

/** The metrics in a CloudWatch namespace of the moto server (boto3: moto speaks CloudWatch's query protocol). */
const listMetrics = (namespace: string) =>
  pythonJson(
    "import json, sys\nimport boto3\n" +
      "cw = boto3.client('cloudwatch', endpoint_url=sys.argv[1], region_name=sys.argv[3])\n" +
      "print(json.dumps(cw.list_metrics(Namespace=sys.argv[2])['Metrics']))\n",
    moto.endpoint,
    namespace,
    process.env.AWS_REGION ?? "eu-west-1",
  ) as Promise<{ MetricName: string; Dimensions: { Name: string; Value: string }[] }[]>;

describe("the Glue job from its uploaded artifacts", () => {
  it("is the Glue 5.0 Python job the artifacts are built for", () => {
    expect(job.inputs.glueVersion).toBe("5.0");
    expect(job.inputs.command).toMatchObject({ name: "glueetl", pythonVersion: "3" });
    const zip = uploaded(defaultArguments()["--extra-py-files"]);
    expect(Object.keys(zip.archive ?? {})).toContain("etl/job.py");
  });

  it("runs from the zip with Glue's arguments, commits its run and publishes its metrics", async () => {
    const run = await runAsGlue("ok");
    if (run.code !== 0) throw new Error(`spark-submit exited with ${run.code}:\n${run.output.slice(-4000)}`);

    // The Glue branch of the entry point ran: Job.init with Glue's JOB_NAME, and commit last.
    expect(run.calls.map((c) => c.call)).toEqual(["GlueContext", "init", "commit"]);
    expect(run.calls[1]).toMatchObject({ job_name: job.inputs.name, args: { JOB_NAME: job.inputs.name } });

    const processed = path.join(tmp, "ok", "s3", defaultArguments()["--processed"].slice("s3://".length));
    const manifests = fs.readdirSync(path.join(processed, "runs")).filter((f) => f.endsWith(".json"));
    expect(manifests).toHaveLength(1);
    const manifest = JSON.parse(fs.readFileSync(path.join(processed, "runs", manifests[0]), "utf8"));
    expect(manifest).toMatchObject({
      mode: "incremental",
      records_in: 5,
      valid: 3,
      quarantined: 1,
      quarantined_by_reason: { "pattern:sku": 1 },
      duplicates: 1,
      demand_rows_written: 3,
      series_state_rows: 1,
    });
    expect(manifest.objects.map((o: { key: string }) => o.key)).toEqual([
      "events/dt=2024-03-10/batch-1.ndjson.gz",
    ]);

    const demand = (await readTable(path.join(processed, "demand_daily")))
      .map((r) => [r.warehouse_id, r.sku, r.date, r.units_sold, r.promo, r.event_count])
      .sort((a, b) => String(a[2]).localeCompare(String(b[2])));
    expect(demand).toEqual([
      ["W1", "S1", "2024-03-01", 3, true, 2],
      ["W1", "S1", "2024-03-02", 0, false, 0],
      ["W1", "S1", "2024-03-03", 4, false, 1],
    ]);

    // --metrics-namespace: the run's counts went to CloudWatch (moto), with the job name as dimension.
    const metrics = await listMetrics(defaultArguments()["--metrics-namespace"]);
    expect(metrics.length).toBeGreaterThan(0);
    for (const m of metrics) expect(m.Dimensions).toContainEqual({ Name: "JobName", Value: job.inputs.name });
  });

  it("fails when the zip lacks a module the job imports (the source tree is not on the path)", async () => {
    const run = await runAsGlue("missing-module", ["etl/storage.py"]);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/ModuleNotFoundError: No module named 'etl\.storage'/);
    expect(run.calls).toEqual([]);
  });
});
