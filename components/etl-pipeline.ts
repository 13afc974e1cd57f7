/**
 * EtlPipeline: raw events → processed tables, on Glue, started when data lands.
 * - the Glue job (etl/job.py, Glue 5.0) with its code uploaded from etl/, the event schema shipped next to it,
 *   a security configuration (KMS for S3 and bookmarks; its logs go to the stack's own KMS log groups), a NETWORK
 *   connection into a private subnet, job metrics, a timeout and max concurrency 1;
 * - a least-privilege role: its buckets' prefixes, its catalog database, its key;
 * - a Glue database with catalog tables for raw events and the processed tables;
 * - the glue-trigger function (functions/glue-trigger.ts) on raw Object Created events, on its own job's successful
 *   runs (data that landed during a run), on a safety-net schedule and, when runs are batched
 *   (`minIntervalMinutes`), on a catch-up tick.
 * The processed bucket belongs to the Foundation (other components read it); this component only writes to it.
 */
import { Glue } from "@aws-sdk/client-glue";
import { S3 } from "@aws-sdk/client-s3";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CATCH_UP_DETAIL_TYPE,
  CATCH_UP_SOURCE,
  GLUE_TRIGGER_SETTINGS_VARIABLE,
  glueTriggerSettingsSchema,
  handleGlueTrigger,
  type GlueTriggerSettings,
} from "../functions/glue-trigger";
import { settingsFromEnv } from "../functions/lambda-wiring";
import { createObservability } from "../functions/powertools";
import { accountContext } from "./account";
import type { Encryption } from "./encryption";
import {
  CATALOG_TABLES,
  CODE_PREFIX,
  EVENTS_PREFIX,
  databaseName,
  glueRoleStatements,
  jobArguments,
  jobSucceededPattern,
  objectCreatedPattern,
  storageFormat,
  tableParameters,
  triggerStatements,
} from "./etl-plan";
import type { IngestionPipeline } from "./ingestion-pipeline";
import { createLogGroup, logGroupPath } from "./log-group";
import { physicalName } from "./naming";
import { assumeRolePolicy, policyDocument } from "./policy-documents";
import { PrivateFunction, type FunctionSettings } from "./private-function";
import type { SecureBucket } from "./secure-bucket";
import { HTTPS_TO_AWS_EGRESS } from "./network-plan";

const REPO_ROOT = path.resolve(__dirname, "..");
const GLUE_WORKER_TYPES = ["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"] as const;
/** Wheels of the libraries the job imports that Glue 5.0 lacks (requirements/glue-wheels.txt). */
const GLUE_WHEELS = path.join(REPO_ROOT, "vendor", "glue-wheels");

/** The wheel files to ship, sorted (stable job arguments); none means the job could not import its checks. */
function glueWheels(): string[] {
  const wheels = fs.existsSync(GLUE_WHEELS)
    ? fs
        .readdirSync(GLUE_WHEELS)
        .filter((f) => f.endsWith(".whl"))
        .sort()
    : [];
  if (!wheels.length)
    throw new Error(`EtlPipeline: no wheels in ${GLUE_WHEELS} (requirements/glue-wheels.txt)`);
  return wheels;
}

export interface EtlJobSettings {
  /** Glue worker type. Required (config etlWorkerType, default G.1X). */
  readonly workerType: (typeof GLUE_WORKER_TYPES)[number];
  /** Workers: the fixed count, or the ceiling with auto scaling. Required (config, default 10). */
  readonly maxWorkers: number;
  /** Glue auto scaling up to maxWorkers. Required (config, default true). */
  readonly autoScaling: boolean;
  /** Run timeout in minutes. Required (config, default 60). */
  readonly timeoutMinutes: number;
}

export interface EtlPipelineArgs {
  /** Stack name prefix (`warecast-dev`): the job's fixed name derives from it. Required. */
  readonly namePrefix: string;
  /** AWS region. Required. */
  readonly region: string;
  /** The stack key: S3 objects, logs and bookmarks are encrypted with it. Required. */
  readonly key: Encryption;
  /** The raw bucket (Firehose writes events/dt=…/). Required. */
  readonly rawBucket: SecureBucket;
  /** The ingestion pipeline: it owns the raw bucket's EventBridge notifications the trigger listens to. Required. */
  readonly ingestion: IngestionPipeline;
  /** The processed bucket (Foundation's): the job's tables. Required. */
  readonly processedBucket: SecureBucket;
  /** Where the job's code is uploaded (under etl/). Required. */
  readonly codeBucket: SecureBucket;
  /** Function settings shared by the stack (network, key, logs). Required. */
  readonly functions: FunctionSettings;
  /** Glue capacity and timeout. Required. */
  readonly job: EtlJobSettings;
  /** Business dates: the default zone and warehouse_id → zone. Default UTC, no overrides. */
  readonly timeZones?: { readonly default: string; readonly byWarehouse: Readonly<Record<string, string>> };
  /** Closed days from config: warehouse_id (or `*`) → YYYY-MM-DD dates, merged with the raw store's calendar. Default none. */
  readonly closedDays?: Readonly<Record<string, readonly string[]>>;
  /** Days per series in series_state. Default 400. */
  readonly stateWindowDays?: number;
  /** EventBridge schedule that runs the job even without new objects. Default `rate(1 day)`. */
  readonly safetyNetSchedule?: string;
  /**
   * Least minutes between the starts of runs that landing data triggers (0..1440). 0, the default, starts a run
   * as soon as data lands and none is active; more batches the data and adds a catch-up tick at that period.
   */
  readonly minIntervalMinutes?: number;
  /** Protect the Glue catalog (database and tables) from deletion: Pulumi protect + retainOnDelete. Default false. */
  readonly protect?: boolean;
}

export class EtlPipeline extends pulumi.ComponentResource {
  public readonly job: aws.glue.Job;
  public readonly jobName: pulumi.Output<string>;
  public readonly role: aws.iam.Role;
  public readonly database: aws.glue.CatalogDatabase;
  public readonly databaseName: pulumi.Output<string>;
  public readonly trigger: PrivateFunction;

  constructor(name: string, args: EtlPipelineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:etl:EtlPipeline", name, {}, opts);
    const { job: capacity } = args;
    if (!GLUE_WORKER_TYPES.includes(capacity.workerType)) {
      throw new Error(`EtlPipeline ${name}: job.workerType must be one of ${GLUE_WORKER_TYPES.join(", ")}`);
    }
    if (!Number.isInteger(capacity.maxWorkers) || capacity.maxWorkers < 2) {
      throw new Error(
        `EtlPipeline ${name}: job.maxWorkers must be an integer ≥ 2; got ${capacity.maxWorkers}`,
      );
    }
    if (!Number.isInteger(capacity.timeoutMinutes) || capacity.timeoutMinutes < 1) {
      throw new Error(
        `EtlPipeline ${name}: job.timeoutMinutes must be a positive integer; got ${capacity.timeoutMinutes}`,
      );
    }
    const stateWindowDays = args.stateWindowDays ?? 400;
    const zones = args.timeZones ?? { default: "UTC", byWarehouse: {} };
    const child = { parent: this };
    const ctx = accountContext(this, args.region);
    const jobName = physicalName([args.namePrefix, "etl"], 255);
    const dbName = databaseName(args.namePrefix);

    // Code: the entry script, the etl package (--extra-py-files) and the event schema (--extra-files).
    const code = (key: string, source: pulumi.asset.Asset | pulumi.asset.Archive) =>
      new aws.s3.BucketObjectv2(
        `${name}-code-${key.replace(/[^a-z0-9]+/gi, "-")}`,
        {
          bucket: args.codeBucket.name,
          key: `${CODE_PREFIX}${key}`,
          source,
          serverSideEncryption: "aws:kms",
          kmsKeyId: args.key.keyArn,
        },
        child,
      );
    const script = code("job.py", new pulumi.asset.FileAsset(path.join(REPO_ROOT, "etl", "job.py")));
    // Only the package's sources (no __pycache__): the archive's hash changes only when the code does.
    const sources = fs
      .readdirSync(path.join(REPO_ROOT, "etl"))
      .filter((f) => f.endsWith(".py"))
      .sort();
    const pkg = code(
      "etl.zip",
      new pulumi.asset.AssetArchive(
        Object.fromEntries(
          sources.map((f) => [`etl/${f}`, new pulumi.asset.FileAsset(path.join(REPO_ROOT, "etl", f))]),
        ),
      ),
    );
    const schema = code(
      "event.schema.json",
      new pulumi.asset.FileAsset(path.join(REPO_ROOT, "schemas", "event.schema.json")),
    );
    const wheelNames = glueWheels();
    const wheels = wheelNames.map((w) =>
      code(`wheels/${w}`, new pulumi.asset.FileAsset(path.join(GLUE_WHEELS, w))),
    );

    const protect = args.protect ?? false;
    const catalog = { parent: this, protect, retainOnDelete: protect };
    this.database = new aws.glue.CatalogDatabase(
      `${name}-db`,
      { name: dbName, description: `${args.namePrefix}: raw events and the ETL's processed tables` },
      catalog,
    );
    for (const table of CATALOG_TABLES) {
      const bucket = table.bucket === "raw" ? args.rawBucket : args.processedBucket;
      const location = pulumi.interpolate`s3://${bucket.name}/${table.prefix}`;
      const format = storageFormat(table.format);
      new aws.glue.CatalogTable(
        `${name}-table-${table.name}`,
        {
          name: table.name,
          databaseName: this.database.name,
          tableType: "EXTERNAL_TABLE",
          parameters: location.apply((l) => tableParameters(table, l)),
          partitionKeys: table.partitionKeys.map((k) => ({ ...k })),
          storageDescriptor: {
            location,
            inputFormat: format.inputFormat,
            outputFormat: format.outputFormat,
            serDeInfo: { serializationLibrary: format.serializationLibrary, parameters: format.parameters },
            columns: table.columns.map((col) => ({ ...col })),
          },
        },
        catalog,
      );
    }

    const logGroupPrefix = logGroupPath(args.functions.logs.namePrefix, "glue", "etl");
    const jobLogs = ["output", "error"].map((stream) =>
      createLogGroup(
        `${name}-job-${stream}`,
        { ...args.functions.logs, logGroupName: `${logGroupPrefix}/${stream}` },
        child,
      ),
    );

    this.role = new aws.iam.Role(
      `${name}-glue-role`,
      {
        description: `Glue ETL job role of ${args.namePrefix}`,
        assumeRolePolicy: ctx.apply((c) =>
          JSON.stringify(assumeRolePolicy("glue.amazonaws.com", c.accountId)),
        ),
      },
      child,
    );
    // The job runs in a private subnet: a NETWORK connection puts its workers' ENIs there, with a security group
    // that lets them talk to each other (Glue requires a self-referencing rule) and reach AWS over HTTPS (the S3
    // gateway endpoint, the interface endpoints, or NAT).
    const network = args.functions.network;
    const workers = new aws.ec2.SecurityGroup(
      `${name}-glue`,
      {
        vpcId: network.vpcId,
        description: `${args.namePrefix} Glue job workers: traffic between them, HTTPS out`,
        ingress: [
          {
            description: "Between the job's workers",
            protocol: "tcp",
            fromPort: 0,
            toPort: 65535,
            self: true,
          },
        ],
        egress: [
          {
            description: "Between the job's workers",
            protocol: "tcp",
            fromPort: 0,
            toPort: 65535,
            self: true,
          },
          HTTPS_TO_AWS_EGRESS,
        ],
      },
      child,
    );
    const subnetId = network.privateSubnetIds.apply((ids) => ids[0]);
    const connectionName = physicalName([args.namePrefix, "etl-network"], 255);
    const connection = new aws.glue.Connection(
      `${name}-network`,
      {
        name: connectionName,
        connectionType: "NETWORK",
        description: `${args.namePrefix}: the ETL job's workers in a private subnet`,
        physicalConnectionRequirements: {
          subnetId,
          availabilityZone: aws.ec2.getSubnetOutput({ id: subnetId }, { parent: this }).availabilityZone,
          securityGroupIdLists: [workers.id],
        },
      },
      child,
    );

    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-glue-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([ctx, args.rawBucket.arn, args.processedBucket.arn, args.codeBucket.arn, args.key.keyArn])
          .apply(([c, raw, processed, codeArn, keyArn]) =>
            JSON.stringify(
              policyDocument(
                glueRoleStatements({
                  ...c,
                  rawBucketArn: raw,
                  processedBucketArn: processed,
                  codeBucketArn: codeArn,
                  keyArn,
                  databaseName: dbName,
                  logGroupPrefix,
                  connectionName,
                }),
              ),
            ),
          ),
      },
      child,
    );

    const security = new aws.glue.SecurityConfiguration(
      `${name}-security`,
      {
        name: physicalName([args.namePrefix, "etl"], 255),
        encryptionConfiguration: {
          s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: args.key.keyArn },
          // The job's log groups are the stack's own (--custom-logGroup-prefix), encrypted with the stack key. With
          // CloudWatch encryption on, Glue would write to groups named after this configuration instead, and would
          // need logs:AssociateKmsKey to encrypt them itself (docs/etl.md).
          cloudwatchEncryption: { cloudwatchEncryptionMode: "DISABLED" },
          jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: args.key.keyArn },
        },
      },
      child,
    );

    const defaultArguments = pulumi
      .all([args.rawBucket.name, args.processedBucket.name, args.codeBucket.name])
      .apply(([raw, processed, codeBucket]) =>
        jobArguments({
          rawBucket: raw,
          processedBucket: processed,
          codeBucket,
          databaseName: dbName,
          wheels: wheelNames,
          defaultTimeZone: zones.default,
          warehouseTimeZones: zones.byWarehouse,
          closedDays: args.closedDays ?? {},
          stateWindowDays,
          autoScaling: capacity.autoScaling,
          logGroupPrefix,
        }),
      );
    this.job = new aws.glue.Job(
      `${name}-job`,
      {
        name: jobName,
        description: `${args.namePrefix}: raw events → demand_daily, series_state, quarantine, runs (etl/job.py)`,
        roleArn: this.role.arn,
        glueVersion: "5.0",
        command: {
          name: "glueetl",
          pythonVersion: "3",
          scriptLocation: pulumi.interpolate`s3://${args.codeBucket.name}/${CODE_PREFIX}job.py`,
        },
        workerType: capacity.workerType,
        numberOfWorkers: capacity.maxWorkers,
        timeout: capacity.timeoutMinutes,
        maxRetries: 0,
        executionProperty: { maxConcurrentRuns: 1 },
        securityConfiguration: security.name,
        connections: [connection.name],
        defaultArguments,
      },
      { parent: this, dependsOn: [rolePolicy, script, pkg, schema, ...wheels, ...jobLogs] },
    );
    this.jobName = this.job.name;

    const minInterval = args.minIntervalMinutes ?? 0;
    if (!Number.isInteger(minInterval) || minInterval < 0 || minInterval > 1440) {
      throw new Error(
        `EtlPipeline ${name}: minIntervalMinutes must be an integer from 0 to 1440; got ${minInterval}`,
      );
    }
    const settings: pulumi.Output<GlueTriggerSettings> = pulumi
      .all([this.job.name, args.rawBucket.name])
      .apply(([job, raw]) => ({
        jobName: job,
        rawBucket: raw,
        eventsPrefix: EVENTS_PREFIX,
        minIntervalMinutes: minInterval,
      }));
    this.trigger = new PrivateFunction(
      `${name}-trigger`,
      {
        ...args.functions,
        description: `${args.namePrefix}: starts the ETL job when raw events land (functions/glue-trigger.ts)`,
        environment: { [GLUE_TRIGGER_SETTINGS_VARIABLE]: settings.apply((s) => JSON.stringify(s)) },
        policyStatements: pulumi
          .all([ctx, this.job.name, args.rawBucket.arn])
          .apply(([c, job, raw]) => triggerStatements({ ...c, jobName: job, rawBucketArn: raw })),
        packages: ["@aws-sdk/client-glue", "@aws-sdk/client-s3", "zod"],
        callbackFactory: () => {
          const settings = settingsFromEnv(glueTriggerSettingsSchema, GLUE_TRIGGER_SETTINGS_VARIABLE);
          const obs = createObservability("glue-trigger");
          const deps = {
            glue: obs.tracer.captureAWSv3Client(new Glue({})),
            s3: obs.tracer.captureAWSv3Client(new S3({})),
            settings,
            obs,
          };
          return (event: unknown) => handleGlueTrigger(event, deps);
        },
      },
      child,
    );

    const rules: [string, aws.cloudwatch.EventRuleArgs, string?][] = [
      [
        "object-created",
        {
          description: `${args.namePrefix}: raw events landed`,
          eventPattern: args.rawBucket.name.apply((b) => JSON.stringify(objectCreatedPattern(b))),
        },
      ],
      [
        "job-succeeded",
        {
          description: `${args.namePrefix}: an ETL run succeeded (re-check for data that landed during it)`,
          eventPattern: this.job.name.apply((j) => JSON.stringify(jobSucceededPattern(j))),
        },
      ],
      [
        "safety-net",
        {
          description: `${args.namePrefix}: ETL safety-net schedule`,
          scheduleExpression: args.safetyNetSchedule ?? "rate(1 day)",
        },
      ],
    ];
    if (minInterval > 0) {
      rules.push([
        "catch-up",
        {
          description: `${args.namePrefix}: ETL catch-up for data that landed while runs were batched`,
          scheduleExpression: `rate(${minInterval} ${minInterval === 1 ? "minute" : "minutes"})`,
        },
        JSON.stringify({ source: CATCH_UP_SOURCE, "detail-type": CATCH_UP_DETAIL_TYPE }),
      ]);
    }
    for (const [suffix, ruleArgs, input] of rules) {
      const rule = new aws.cloudwatch.EventRule(`${name}-${suffix}`, ruleArgs, {
        parent: this,
        dependsOn: [args.ingestion],
      });
      new aws.cloudwatch.EventTarget(
        `${name}-${suffix}`,
        { rule: rule.name, arn: this.trigger.arn, ...(input ? { input } : {}) },
        child,
      );
      new aws.lambda.Permission(
        `${name}-${suffix}`,
        {
          action: "lambda:InvokeFunction",
          function: this.trigger.functionName,
          principal: "events.amazonaws.com",
          sourceArn: rule.arn,
        },
        child,
      );
    }

    this.databaseName = this.database.name;
    this.registerOutputs({
      jobName: this.jobName,
      databaseName: this.databaseName,
      triggerFunctionName: this.trigger.functionName,
    });
  }
}
