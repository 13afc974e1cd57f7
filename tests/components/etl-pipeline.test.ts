/**
 * EtlPipeline under mocks, dev and prod: the Glue job (version, code, capacity per stack, security configuration,
 * arguments), the least-privilege role, the catalog, and the trigger's rules, targets and permissions. Plus the pure
 * plan (etl-plan.ts). Runs a test program with the foundation, the events stream and the pipeline.
 */
import * as path from "node:path";
import { MOCK_ACCOUNT_ID, runStack, type RegisteredResource, type StackRun } from "../harness";
import { CATALOG_TABLES, databaseName, glueRoleStatements, jobArguments } from "../../components/etl-plan";

const PROGRAM = path.join(__dirname, "programs", "etl-pipeline.ts");
const JOB = "aws:glue/job:Job";
// The job's one library beyond Glue's (vendor/glue-wheels, requirements/glue-wheels.txt).
const MSGSPEC_WHEEL =
  "msgspec-0.22.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl";

let dev: StackRun;
let prod: StackRun;
beforeAll(async () => {
  dev = await runStack("dev", { program: PROGRAM });
  prod = await runStack("prod", { program: PROGRAM });
}, 300_000);

const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v) as Record<string, unknown>;
const bucket = (run: StackRun, suffix: string) =>
  run.ofType("aws:s3/bucket:Bucket").find((b) => b.name.endsWith(`-${suffix}`))!;
const keyArn = (run: StackRun) =>
  `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT_ID}:key/${run.ofType("aws:kms/key:Key")[0].id}`;
const one = (run: StackRun, type: string, suffix: string): RegisteredResource => {
  const found = run.ofType(type).filter((r) => r.name.endsWith(suffix));
  expect(found).toHaveLength(1);
  return found[0];
};

describe.each(["dev", "prod"] as const)("%s stack", (stack) => {
  const run = () => (stack === "dev" ? dev : prod);
  const prefix = `warecast-${stack}`;

  it("runs etl/job.py on Glue 5.0 with the stack's capacity, one run at a time, with a timeout", () => {
    const job = one(run(), JOB, "-etl-job");
    expect(run().byUrn(job.parent!).type).toBe("warecast:etl:EtlPipeline");
    const artifacts = bucket(run(), "artifacts").id;
    expect(job.inputs).toMatchObject({
      name: `${prefix}-etl`,
      glueVersion: "5.0",
      command: { name: "glueetl", pythonVersion: "3", scriptLocation: `s3://${artifacts}/etl/job.py` },
      workerType: "G.1X",
      numberOfWorkers: stack === "dev" ? 2 : 20,
      timeout: stack === "dev" ? 30 : 120,
      maxRetries: 0,
      executionProperty: { maxConcurrentRuns: 1 },
      securityConfiguration: `${prefix}-etl`,
    });
  });

  it("passes the job its stores, the schema file, the package and Glue's logging/metrics switches", () => {
    const job = one(run(), JOB, "-etl-job");
    const raw = bucket(run(), "raw").id;
    const processed = bucket(run(), "processed").id;
    const artifacts = bucket(run(), "artifacts").id;
    expect(job.inputs.defaultArguments).toEqual({
      "--raw": `s3://${raw}`,
      "--processed": `s3://${processed}`,
      "--schema": "event.schema.json",
      "--extra-files": `s3://${artifacts}/etl/event.schema.json`,
      "--extra-py-files": `s3://${artifacts}/etl/etl.zip`,
      "--additional-python-modules": `s3://${artifacts}/etl/wheels/${MSGSPEC_WHEEL}`,
      "--python-modules-installer-option": "--no-index",
      "--default-time-zone": "UTC",
      "--state-window-days": "400",
      "--reprocess": "false",
      "--metrics-namespace": "Warecast",
      "--catalog-database": `warecast_${stack}_etl`,
      "--enable-metrics": "true",
      "--enable-observability-metrics": "true",
      "--enable-continuous-cloudwatch-log": "true",
      "--custom-logGroup-prefix": `/warecast/${stack}/glue/etl`,
      "--enable-auto-scaling": "true",
      "--job-bookmark-option": "job-bookmark-disable",
      "--TempDir": `s3://${processed}/_glue-temp/`,
    });
    const code = run()
      .ofType("aws:s3/bucketObjectv2:BucketObjectv2")
      .filter((o) => String(o.inputs.key).startsWith("etl/"));
    expect(code.map((o) => o.inputs.key).sort()).toEqual([
      "etl/etl.zip",
      "etl/event.schema.json",
      "etl/job.py",
      `etl/wheels/${MSGSPEC_WHEEL}`,
    ]);
    for (const o of code)
      expect(o.inputs).toMatchObject({ serverSideEncryption: "aws:kms", kmsKeyId: keyArn(run()) });
  });

  it("encrypts S3 output and bookmarks with the stack key, and logs to the stack's own KMS log groups", () => {
    const sec = one(run(), "aws:glue/securityConfiguration:SecurityConfiguration", "-etl-security");
    expect(sec.inputs.encryptionConfiguration).toEqual({
      s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: keyArn(run()) },
      // Glue's own log encryption would rename the groups and need logs:AssociateKmsKey: the groups carry the key.
      cloudwatchEncryption: { cloudwatchEncryptionMode: "DISABLED" },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: keyArn(run()) },
    });
    const job = one(run(), JOB, "-etl-job");
    const groups = run()
      .ofType("aws:cloudwatch/logGroup:LogGroup")
      .filter((g) => String(g.inputs.name).startsWith(`/warecast/${stack}/glue/etl/`));
    expect(groups.map((g) => [g.inputs.name, g.inputs.kmsKeyId])).toEqual(
      ["output", "error"].map((stream) => [`/warecast/${stack}/glue/etl/${stream}`, keyArn(run())]),
    );
    expect(job.dependencies).toEqual(expect.arrayContaining(groups.map((g) => g.urn)));
  });

  it("runs the job's workers in a private subnet through a NETWORK connection with a self-referencing group", () => {
    const job = one(run(), JOB, "-etl-job");
    const connection = one(run(), "aws:glue/connection:Connection", "-etl-network");
    const vpc = run().ofType("awsx:ec2:Vpc")[0].outputs as { vpcId: string; privateSubnetIds: string[] };
    const sg = one(run(), "aws:ec2/securityGroup:SecurityGroup", "-etl-glue");
    expect(connection.inputs).toMatchObject({
      name: `${prefix}-etl-network`,
      connectionType: "NETWORK",
      physicalConnectionRequirements: {
        subnetId: vpc.privateSubnetIds[0],
        // The mocks' getSubnet: the first private subnet is in the region's first zone.
        availabilityZone: "eu-west-1a",
        securityGroupIdLists: [sg.id],
      },
    });
    expect(job.inputs.connections).toEqual([`${prefix}-etl-network`]);
    const allTcpToSelf = { protocol: "tcp", fromPort: 0, toPort: 65535, self: true };
    expect(sg.inputs).toMatchObject({
      vpcId: vpc.vpcId,
      ingress: [{ description: "Between the job's workers", ...allTcpToSelf }],
      egress: [
        { description: "Between the job's workers", ...allTcpToSelf },
        {
          description: "HTTPS to AWS APIs",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrBlocks: ["0.0.0.0/0"],
        },
      ],
    });
  });

  it("protects the Glue catalog in prod (storageProtect)", () => {
    const catalog = [
      ...run().ofType("aws:glue/catalogDatabase:CatalogDatabase"),
      ...run().ofType("aws:glue/catalogTable:CatalogTable"),
    ];
    expect(catalog).toHaveLength(5);
    for (const r of catalog) {
      expect({ name: r.name, protect: r.protect, retain: r.retainOnDelete }).toEqual({
        name: r.name,
        protect: stack === "prod",
        retain: stack === "prod",
      });
    }
  });

  it("gives the Glue role only its buckets' prefixes, its database, its log groups and its key", () => {
    const role = one(run(), "aws:iam/role:Role", "-etl-glue-role");
    const trust = json(role.inputs.assumeRolePolicy) as {
      Statement: { Principal: unknown; Condition: unknown }[];
    };
    expect(trust.Statement[0].Principal).toEqual({ Service: "glue.amazonaws.com" });
    const policy = json(one(run(), "aws:iam/rolePolicy:RolePolicy", "-etl-glue-policy").inputs.policy);
    const arn = (s: string) => `arn:aws:s3:::${bucket(run(), s).id}`;
    expect(policy.Statement).toEqual(
      glueRoleStatements({
        partition: "aws",
        accountId: MOCK_ACCOUNT_ID,
        region: "eu-west-1",
        rawBucketArn: arn("raw"),
        processedBucketArn: arn("processed"),
        codeBucketArn: arn("artifacts"),
        keyArn: keyArn(run()),
        databaseName: `warecast_${stack}_etl`,
        logGroupPrefix: `/warecast/${stack}/glue/etl`,
        connectionName: `${prefix}-etl-network`,
      }),
    );
    const wide = (policy.Statement as { Sid: string; Resource: string | string[] }[])
      .filter((s) => s.Resource === "*")
      .map((s) => s.Sid);
    // PutMetricData (limited by namespace) and the ENI actions, which take no resource scoping.
    expect(wide).toEqual(["RunMetrics", "VpcNetworkInterfaces"]);
  });

  it("catalogs raw events (partition projection) and the processed tables", () => {
    const db = one(run(), "aws:glue/catalogDatabase:CatalogDatabase", "-etl-db");
    expect(db.inputs.name).toBe(`warecast_${stack}_etl`);
    const tables = run().ofType("aws:glue/catalogTable:CatalogTable");
    expect(tables.map((t) => t.inputs.name).sort()).toEqual([
      "demand_daily",
      "quarantine",
      "raw_events",
      "series_state",
    ]);
    const rawEvents = tables.find((t) => t.inputs.name === "raw_events")!;
    const location = `s3://${bucket(run(), "raw").id}/events/`;
    expect(rawEvents.inputs.storageDescriptor).toMatchObject({
      location,
      serDeInfo: { serializationLibrary: "org.openx.data.jsonserde.JsonSerDe" },
    });
    expect(rawEvents.inputs.parameters).toMatchObject({
      "projection.enabled": "true",
      "storage.location.template": `${location}dt=\${dt}/`,
    });
    const demand = tables.find((t) => t.inputs.name === "demand_daily")!;
    expect(demand.inputs.partitionKeys).toEqual([
      { name: "warehouse_id", type: "string" },
      { name: "month", type: "string", comment: "YYYY-MM" },
    ]);
  });

  it("batches runs only where configured: prod's catch-up tick every 60 minutes, none in dev", () => {
    const fn = one(run(), "aws:lambda/function:Function", "-etl-trigger");
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    const minutes = stack === "prod" ? 60 : 0;
    expect(json(env.WARECAST_GLUE_TRIGGER_SETTINGS)).toMatchObject({ minIntervalMinutes: minutes });
    const catchUp = run()
      .ofType("aws:cloudwatch/eventRule:EventRule")
      .filter((r) => r.name === `${prefix}-etl-catch-up`);
    const target = run()
      .ofType("aws:cloudwatch/eventTarget:EventTarget")
      .filter((t) => t.name === `${prefix}-etl-catch-up`);
    if (stack === "dev") {
      expect(catchUp).toEqual([]);
      return;
    }
    expect(catchUp[0].inputs.scheduleExpression).toBe("rate(60 minutes)");
    expect(json(target[0].inputs.input)).toEqual({ source: "warecast.etl", "detail-type": "ETL Catch-up" });
  });

  it("triggers the private function on raw events, on its job's successful runs and on the safety-net schedule", () => {
    const raw = bucket(run(), "raw").id;
    const rules = run()
      .ofType("aws:cloudwatch/eventRule:EventRule")
      .filter((r) => r.name.startsWith(`${prefix}-etl-`));
    const byName = Object.fromEntries(rules.map((r) => [r.name.slice(`${prefix}-etl-`.length), r.inputs]));
    expect(json(byName["object-created"].eventPattern)).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: [raw] }, object: { key: [{ prefix: "events/" }] } },
    });
    expect(json(byName["job-succeeded"].eventPattern)).toEqual({
      source: ["aws.glue"],
      "detail-type": ["Glue Job State Change"],
      detail: { jobName: [`${prefix}-etl`], state: ["SUCCEEDED"] },
    });
    expect(byName["safety-net"].scheduleExpression).toBe("rate(1 day)");

    const fn = one(run(), "aws:lambda/function:Function", "-etl-trigger");
    expect(fn.inputs.vpcConfig).toBeDefined();
    const targets = run()
      .ofType("aws:cloudwatch/eventTarget:EventTarget")
      .filter((t) => t.name.startsWith(`${prefix}-etl-`));
    // prod batches runs (etlMinIntervalMinutes 60): a fourth rule, the catch-up tick.
    const ruleCount = stack === "prod" ? 4 : 3;
    expect(targets).toHaveLength(ruleCount);
    expect(new Set(targets.map((t) => t.inputs.arn)).size).toBe(1);
    expect(String(targets[0].inputs.arn)).toContain(`${prefix}-etl-trigger`);
    const perms = run()
      .ofType("aws:lambda/permission:Permission")
      .filter((p) => p.name.startsWith(`${prefix}-etl-`));
    expect(perms.map((p) => p.inputs.principal)).toEqual(Array(ruleCount).fill("events.amazonaws.com"));

    const triggerPolicy = json(
      one(run(), "aws:iam/rolePolicy:RolePolicy", "-etl-trigger-policy").inputs.policy,
    );
    expect(triggerPolicy.Statement).toEqual(
      expect.arrayContaining([
        {
          Sid: "StartOwnJob",
          Effect: "Allow",
          Action: ["glue:GetJobRuns", "glue:StartJobRun"],
          Resource: `arn:aws:glue:eu-west-1:${MOCK_ACCOUNT_ID}:job/${prefix}-etl`,
        },
        {
          Sid: "ListRawEvents",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: `arn:aws:s3:::${raw}`,
          Condition: { StringLike: { "s3:prefix": ["events/", "events/*"] } },
        },
      ]),
    );
  });
});

describe("etl plan", () => {
  it("joins per-warehouse time zones and closed days, and leaves empty lists out (Glue rejects empty values)", () => {
    const base = {
      rawBucket: "r",
      processedBucket: "p",
      codeBucket: "c",
      databaseName: "d",
      wheels: ["a.whl"],
      defaultTimeZone: "UTC",
      stateWindowDays: 400,
      autoScaling: false,
      logGroupPrefix: "/warecast/dev/glue/etl",
    };
    const none = jobArguments({ ...base, warehouseTimeZones: {}, closedDays: {} });
    expect(Object.keys(none)).not.toEqual(expect.arrayContaining(["--time-zones", "--closed-days"]));
    expect(none["--enable-auto-scaling"]).toBeUndefined();
    const some = jobArguments({
      ...base,
      warehouseTimeZones: { W2: "Europe/Rome", W1: "America/Chicago" },
      closedDays: { "*": ["2024-12-25"], W1: ["2024-01-01", "2024-01-02"] },
    });
    expect(some["--time-zones"]).toBe("W1=America/Chicago,W2=Europe/Rome");
    expect(some["--closed-days"]).toBe("*=2024-12-25,W1=2024-01-01,W1=2024-01-02");
  });

  it("names the database validly and catalogs every processed table of docs/architecture.md", () => {
    expect(databaseName("warecast-dev")).toBe("warecast_dev_etl");
    expect(CATALOG_TABLES.map((t) => t.name)).toEqual([
      "raw_events",
      "demand_daily",
      "series_state",
      "quarantine",
    ]);
  });
});
