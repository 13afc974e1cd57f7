/**
 * The Glue job as Glue runs it: the script, the etl.zip and the event schema the EtlPipeline uploads, laid out as
 * Glue 5.0 lays them out (the script as the entry point, the zip on the Python path through --py-files, the
 * --extra-files in the working directory), run by spark-submit (pyspark 3.5.4, Glue 5.0's Spark line) with the
 * job definition's DefaultArguments as argv, plus what Glue adds (--JOB_ID, --JOB_RUN_ID, --JOB_NAME,
 * --SECURITY_CONFIGURATION). Nothing is imported from the source tree: a missing module in the zip fails the run.
 * Its AWS calls go to moto, which holds the stack's catalog database and tables (S3 locations mapped to the local
 * stand-in as the arguments are). What differs from Glue is in docs/etl.md ("The Glue artifact test").
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { Glue, type Partition } from "@aws-sdk/client-glue";
import { localSparkOptions, sparkEnv } from "../../cli/commands/etl";
import { REPO_ROOT, runStack, type RegisteredResource } from "../harness";
import { deployedObjects, writeObject, type DeployedObject } from "../support/deployed-objects";
import { exec } from "../support/exec";
import { startMoto, type MotoServer } from "../support/moto";

// spark-submit starts a JVM per run: tens of seconds on a quiet machine, minutes on a loaded one.
jest.setTimeout(600_000);

const GLUE_STANDIN = path.join(REPO_ROOT, "tests", "support", "glue");
/** The libraries Glue 5.0 lacks (requirements/glue-wheels.txt): the job gets them only from its wheels. */
const GLUE_ABSENT = fs
  .readFileSync(path.join(REPO_ROOT, "requirements", "glue-wheels.txt"), "utf8")
  .split("\n")
  .map((line) => /^([A-Za-z0-9_.-]+)==/.exec(line)?.[1])
  .filter((name): name is string => Boolean(name));

interface GlueRun {
  readonly code: number | null;
  readonly output: string;
  readonly calls: { call: string; job_name?: string; args?: Record<string, string> }[];
}

let job: RegisteredResource;
let tables: RegisteredResource[];
let objects: Map<string, DeployedObject>;
let moto: MotoServer;
let glue: Glue;
let tmp: string;

beforeAll(async () => {
  const run = await runStack("dev");
  [job] = run.ofType("aws:glue/job:Job");
  tables = run.ofType("aws:glue/catalogTable:CatalogTable");
  objects = await deployedObjects(run);
  moto = await startMoto();
  glue = new Glue({ endpoint: moto.endpoint, region: process.env.AWS_REGION ?? "eu-west-1", maxAttempts: 1 });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-glue-artifact-"));
});

afterAll(async () => {
  glue?.destroy();
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

interface ColumnInputs {
  name: string;
  type: string;
  comment?: string;
}

interface TableInputs {
  name: string;
  databaseName: string;
  tableType: string;
  parameters: Record<string, string>;
  partitionKeys: ColumnInputs[];
  storageDescriptor: {
    location: string;
    inputFormat: string;
    outputFormat: string;
    serDeInfo: { serializationLibrary: string; parameters: Record<string, string> };
    columns: ColumnInputs[];
  };
}

const tableInputs = (t: RegisteredResource) => t.inputs as unknown as TableInputs;
const columns = (cs: ColumnInputs[]) => cs.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment }));

/** The stack's catalog database and tables in moto, their locations in the run's local stand-in for S3. */
async function provisionCatalog(root: string): Promise<void> {
  const database = defaultArguments()["--catalog-database"];
  await glue.deleteDatabase({ Name: database }).catch(() => undefined);
  await glue.createDatabase({ DatabaseInput: { Name: database } });
  for (const t of tables.map(tableInputs)) {
    expect(t.databaseName).toBe(database);
    const sd = t.storageDescriptor;
    await glue.createTable({
      DatabaseName: database,
      TableInput: {
        Name: t.name,
        TableType: t.tableType,
        Parameters: t.parameters,
        PartitionKeys: columns(t.partitionKeys),
        StorageDescriptor: {
          Location: localUri(root, sd.location),
          InputFormat: sd.inputFormat,
          OutputFormat: sd.outputFormat,
          SerdeInfo: {
            SerializationLibrary: sd.serDeInfo.serializationLibrary,
            Parameters: sd.serDeInfo.parameters,
          },
          Columns: columns(sd.columns),
        },
      },
    });
  }
}

/** A catalog table's partitions: values → location. */
async function partitions(table: string): Promise<Record<string, string>> {
  const found: Partition[] = [];
  let NextToken: string | undefined;
  do {
    const page = await glue.getPartitions({
      DatabaseName: defaultArguments()["--catalog-database"],
      TableName: table,
      NextToken,
    });
    found.push(...(page.Partitions ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return Object.fromEntries(found.map((p) => [p.Values!.join("|"), p.StorageDescriptor!.Location!]));
}

/**
 * Installs the --additional-python-modules wheels as Glue does (pip, with --python-modules-installer-option) into
 * `site`; the job may import the libraries Glue lacks from there only (tests/support/glue/sitecustomize.py).
 */
async function installModules(args: Record<string, string>, wheelDir: string, site: string): Promise<void> {
  const wheels = args["--additional-python-modules"].split(",").map((uri) => {
    const target = path.join(wheelDir, path.posix.basename(uri));
    writeObject(uploaded(uri), target);
    return target;
  });
  const python = path.join(REPO_ROOT, ".venv", "bin", "python");
  const options = args["--python-modules-installer-option"].split(" ");
  const pip = ["-m", "pip", "install", "--quiet", ...options, "--target", site, ...wheels];
  const res = await exec(python, pip, { cwd: wheelDir, env: process.env });
  if (res.code !== 0) throw new Error(`pip install of the job's wheels failed:\n${res.output}`);
}

/**
 * One job run as Glue starts it: downloads the script, the --extra-py-files and the --extra-files, installs the
 * --additional-python-modules, then spark-submit with the DefaultArguments (S3 URIs pointing at the local
 * stand-in) and Glue's own arguments. `installWheels: false` leaves the job's wheels out.
 */
async function runAsGlue(
  name: string,
  omitFromZip: readonly string[] = [],
  installWheels = true,
): Promise<GlueRun> {
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
  const site = path.join(root, "glue", "site-packages");
  fs.mkdirSync(site, { recursive: true });
  if (installWheels) await installModules(args, path.join(root, "glue", "wheels"), site);
  writeRawEvents(root);
  await provisionCatalog(root);

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
        WARECAST_GLUE_ABSENT: GLUE_ABSENT.join(","),
        WARECAST_GLUE_MODULES: site,
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
    // Glue's platform: CPython 3.11 on x86-64 Linux (the job's subnets have no PyPI to fetch another build).
    for (const uri of defaultArguments()["--additional-python-modules"].split(","))
      expect(path.posix.basename(uri)).toMatch(/-cp311-.*manylinux.*x86_64.*\.whl$/);
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

    // --catalog-database: the run's partitions are in the catalog, each at its directory in the store.
    const table = (name: string) =>
      localUri(
        path.join(tmp, "ok"),
        tables.map(tableInputs).find((t) => t.name === name)!.storageDescriptor.location,
      );
    expect(await partitions("demand_daily")).toEqual({
      "W1|2024-03": `${table("demand_daily")}warehouse_id=W1/month=2024-03/`,
    });
    expect(await partitions("series_state")).toEqual({ W1: `${table("series_state")}warehouse_id=W1/` });
    expect(await partitions("quarantine")).toEqual({
      [manifest.run_id]: `${table("quarantine")}run_id=${manifest.run_id}/`,
    });

    // --metrics-namespace: the run's counts went to CloudWatch (moto), with the job name as dimension.
    const metrics = await listMetrics(defaultArguments()["--metrics-namespace"]);
    expect(metrics.length).toBeGreaterThan(0);
    for (const m of metrics) expect(m.Dimensions).toContainEqual({ Name: "JobName", Value: job.inputs.name });
  });

  it("fails without its wheels: the libraries Glue lacks come only from --additional-python-modules", async () => {
    expect(GLUE_ABSENT).toContain("msgspec");
    const run = await runAsGlue("no-wheels", [], false);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/ModuleNotFoundError: No module named 'msgspec'/);
  });

  it("fails when the zip lacks a module the job imports (the source tree is not on the path)", async () => {
    const run = await runAsGlue("missing-module", ["etl/storage.py"]);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/ModuleNotFoundError: No module named 'etl\.storage'/);
    expect(run.calls).toEqual([]);
  });
});
