/**
 * Pure pieces of the EtlPipeline: the Glue job's arguments, the Glue role's statements, the EventBridge patterns of
 * the trigger, and the Glue catalog's table definitions. Plain data in, plain data out; tested directly.
 */
import { METRICS_NAMESPACE } from "../functions/metric-catalogue";
import type { PolicyStatement } from "./policy-documents";

/** Raw events' key prefix (Firehose's `events/dt=…/`), the only raw objects that start the job. */
export const EVENTS_PREFIX = "events/";
/** Raw prefixes the job reads: events, the importer's closed-days calendar, the served-forecast log. */
export const RAW_READ_PREFIXES = ["events/", "calendar/", "forecasts/"] as const;
/** Processed prefixes the job writes (docs/architecture.md, "Processed storage"). */
export const PROCESSED_PREFIXES = [
  "events_clean/",
  "quarantine/",
  "demand_daily/",
  "series_state/",
  "runs/",
  "accuracy/",
  // Each run's tables before its commit (etl/commit.py): written, moved into place, deleted.
  "_staging/",
] as const;
/** Where the job's code lives in the code bucket. */
export const CODE_PREFIX = "etl/";
/** Where the wheels of the libraries the job needs beyond Glue's own live (requirements/glue-wheels.txt). */
export const WHEELS_PREFIX = `${CODE_PREFIX}wheels/`;

export interface JobSettings {
  readonly rawBucket: string;
  readonly processedBucket: string;
  readonly codeBucket: string;
  readonly databaseName: string;
  /** File names of the wheels uploaded under CODE_PREFIX + "wheels/" (vendor/glue-wheels). */
  readonly wheels: readonly string[];
  readonly defaultTimeZone: string;
  /** warehouse_id → IANA zone (stack config). */
  readonly warehouseTimeZones: Readonly<Record<string, string>>;
  /** warehouse_id (or `*`) → closed YYYY-MM-DD dates (stack config). */
  readonly closedDays: Readonly<Record<string, readonly string[]>>;
  readonly stateWindowDays: number;
  readonly autoScaling: boolean;
  /** Glue 5.0 writes to `<prefix>/output` and `<prefix>/error`: the stack's own encrypted, retained groups. */
  readonly logGroupPrefix: string;
}

/**
 * The job's default arguments: etl/options.py reads ours; the `--enable-*` ones are Glue's. Glue rejects empty
 * argument values, so empty lists are left out (the job's defaults are the same).
 */
export function jobArguments(s: JobSettings): Record<string, string> {
  const args: Record<string, string> = {
    "--raw": `s3://${s.rawBucket}`,
    "--processed": `s3://${s.processedBucket}`,
    // --extra-files lands the schema in the job's working directory: the job reads the contract itself.
    "--schema": "event.schema.json",
    "--extra-files": `s3://${s.codeBucket}/${CODE_PREFIX}event.schema.json`,
    "--extra-py-files": `s3://${s.codeBucket}/${CODE_PREFIX}etl.zip`,
    // Libraries Glue lacks, installed by pip from their wheels: the job runs in private subnets, without PyPI.
    "--additional-python-modules": s.wheels.map((w) => `s3://${s.codeBucket}/${WHEELS_PREFIX}${w}`).join(","),
    "--python-modules-installer-option": "--no-index",
    "--default-time-zone": s.defaultTimeZone,
    "--state-window-days": String(s.stateWindowDays),
    "--reprocess": "false",
    "--metrics-namespace": METRICS_NAMESPACE,
    "--catalog-database": s.databaseName,
    "--enable-metrics": "true",
    "--enable-observability-metrics": "true",
    "--enable-continuous-cloudwatch-log": "true",
    // Without it Glue logs to the shared /aws-glue/jobs/* groups, which have no retention and no stack key.
    "--custom-logGroup-prefix": s.logGroupPrefix,
    // No --enable-glue-datacatalog: the job reads and writes S3 paths, and registers partitions through the Glue
    // API (etl/catalog.py), so Spark never opens the catalog (which would need the `default` database).
    // The job keeps its own record of processed objects (run manifests), the same locally and in Glue.
    "--job-bookmark-option": "job-bookmark-disable",
    "--TempDir": `s3://${s.processedBucket}/_glue-temp/`,
  };
  if (s.autoScaling) args["--enable-auto-scaling"] = "true";
  const zones = Object.entries(s.warehouseTimeZones).sort(([a], [b]) => a.localeCompare(b));
  if (zones.length) args["--time-zones"] = zones.map(([w, z]) => `${w}=${z}`).join(",");
  const closed = Object.entries(s.closedDays)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([w, dates]) => dates.map((d) => `${w}=${d}`));
  if (closed.length) args["--closed-days"] = closed.join(",");
  return args;
}

export interface GlueRoleContext {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly rawBucketArn: string;
  readonly processedBucketArn: string;
  readonly codeBucketArn: string;
  readonly keyArn: string;
  readonly databaseName: string;
  /** The job's log groups are `<logGroupPrefix>/output` and `<logGroupPrefix>/error` (created by the stack). */
  readonly logGroupPrefix: string;
  /** The NETWORK connection that puts the job's workers in a private subnet. */
  readonly connectionName: string;
}

/** Least privilege for the Glue job: its buckets' prefixes, its database, its log groups, its key, its metrics. */
export function glueRoleStatements(c: GlueRoleContext): PolicyStatement[] {
  const arn = (service: string, resource: string) =>
    `arn:${c.partition}:${service}:${c.region}:${c.accountId}:${resource}`;
  return [
    {
      Sid: "ListOwnPrefixes",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: [c.rawBucketArn, c.processedBucketArn],
      Condition: {
        StringLike: {
          "s3:prefix": [...RAW_READ_PREFIXES, ...PROCESSED_PREFIXES, "_glue-temp/"].flatMap((p) => [
            p,
            `${p}*`,
          ]),
        },
      },
    },
    {
      Sid: "ReadRaw",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: RAW_READ_PREFIXES.map((p) => `${c.rawBucketArn}/${p}*`),
    },
    {
      Sid: "WriteProcessed",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      Resource: [...PROCESSED_PREFIXES, "_glue-temp/"].map((p) => `${c.processedBucketArn}/${p}*`),
    },
    {
      Sid: "ReadCode",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${c.codeBucketArn}/${CODE_PREFIX}*`,
    },
    {
      // SSE-KMS objects through S3, and client-side encryption of logs and bookmarks by the job itself.
      Sid: "UseStackKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: c.keyArn,
    },
    {
      Sid: "OwnCatalog",
      Effect: "Allow",
      Action: [
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetTables",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:BatchGetPartition",
        "glue:CreatePartition",
        "glue:BatchCreatePartition",
        "glue:UpdatePartition",
        "glue:DeletePartition",
        "glue:BatchDeletePartition",
      ],
      Resource: [
        arn("glue", "catalog"),
        arn("glue", `database/${c.databaseName}`),
        arn("glue", `table/${c.databaseName}/*`),
      ],
    },
    {
      Sid: "ContinuousLogs",
      Effect: "Allow",
      // The stack creates the groups (retention, key); the job only writes streams into its own two.
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: ["output", "error"].flatMap((stream) => [
        arn("logs", `log-group:${c.logGroupPrefix}/${stream}`),
        arn("logs", `log-group:${c.logGroupPrefix}/${stream}:log-stream:*`),
      ]),
    },
    {
      Sid: "RunMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": [METRICS_NAMESPACE, "Glue"] } },
    },
    {
      Sid: "ReadOwnConnection",
      Effect: "Allow",
      Action: "glue:GetConnection",
      Resource: [arn("glue", "catalog"), arn("glue", `connection/${c.connectionName}`)],
    },
    {
      // The workers' ENIs in the connection's subnet (Glue's documented set; these take no resource scoping).
      Sid: "VpcNetworkInterfaces",
      Effect: "Allow",
      Action: [
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcAttribute",
      ],
      Resource: "*",
    },
    {
      Sid: "TagOwnNetworkInterfaces",
      Effect: "Allow",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: [arn("ec2", "network-interface/*"), arn("ec2", "security-group/*"), arn("ec2", "instance/*")],
      Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["aws-glue-service-resource"] } },
    },
  ];
}

/** What the trigger function may call: its job's runs, and listing the raw events prefix. */
export function triggerStatements(c: {
  partition: string;
  region: string;
  accountId: string;
  jobName: string;
  rawBucketArn: string;
}): PolicyStatement[] {
  return [
    {
      Sid: "StartOwnJob",
      Effect: "Allow",
      Action: ["glue:GetJobRuns", "glue:StartJobRun"],
      Resource: `arn:${c.partition}:glue:${c.region}:${c.accountId}:job/${c.jobName}`,
    },
    {
      Sid: "ListRawEvents",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: c.rawBucketArn,
      Condition: { StringLike: { "s3:prefix": [EVENTS_PREFIX, `${EVENTS_PREFIX}*`] } },
    },
  ];
}

/** EventBridge: a raw event object was created (the ingestion pipeline turns the bucket's notifications on). */
export function objectCreatedPattern(rawBucket: string): Record<string, unknown> {
  return {
    source: ["aws.s3"],
    "detail-type": ["Object Created"],
    detail: { bucket: { name: [rawBucket] }, object: { key: [{ prefix: EVENTS_PREFIX }] } },
  };
}

/** EventBridge: a run of our job succeeded (the trigger then checks for data that landed during it). */
export function jobSucceededPattern(jobName: string): Record<string, unknown> {
  return {
    source: ["aws.glue"],
    "detail-type": ["Glue Job State Change"],
    detail: { jobName: [jobName], state: ["SUCCEEDED"] },
  };
}

export interface CatalogColumn {
  readonly name: string;
  readonly type: string;
  readonly comment?: string;
}

export interface CatalogTable {
  readonly name: string;
  /** Prefix under the bucket. */
  readonly prefix: string;
  readonly bucket: "raw" | "processed";
  readonly format: "json" | "parquet";
  readonly columns: readonly CatalogColumn[];
  readonly partitionKeys: readonly CatalogColumn[];
}

const c = (name: string, type: string, comment?: string): CatalogColumn => ({ name, type, comment });

/**
 * The catalog tables (docs/architecture.md). Schema evolution: readers match columns by name, so fields added to
 * events (JSON SerDe ignores unknown keys) or to the Parquet tables never break a query or the job.
 */
export const CATALOG_TABLES: readonly CatalogTable[] = [
  {
    name: "raw_events",
    prefix: "events/",
    bucket: "raw",
    format: "json",
    columns: [
      c("schema_version", "int"),
      c("event_id", "string"),
      c("event_type", "string"),
      c("occurred_at", "string", "RFC 3339 with offset"),
      c("warehouse_id", "string"),
      c("sku", "string"),
      c("quantity", "double"),
      c("on_hand", "double"),
      c("on_order", "double"),
      c("unit_price", "double"),
      c("currency", "string"),
      c("promo", "boolean"),
    ],
    partitionKeys: [c("dt", "string", "arrival date (UTC)")],
  },
  {
    name: "demand_daily",
    prefix: "demand_daily/",
    bucket: "processed",
    format: "parquet",
    columns: [
      c("sku", "string"),
      c("date", "date"),
      c("units_sold", "double"),
      c("units_returned", "double"),
      c("on_hand_eod", "double"),
      c("stockout", "boolean"),
      c("closed", "boolean"),
      c("promo", "boolean"),
      c("avg_unit_price", "double"),
      c("event_count", "bigint"),
    ],
    partitionKeys: [c("warehouse_id", "string"), c("month", "string", "YYYY-MM")],
  },
  {
    name: "series_state",
    prefix: "series_state/",
    bucket: "processed",
    format: "parquet",
    columns: [
      c("sku", "string"),
      c("freq", "string"),
      c("start_date", "date"),
      c("end_date", "date"),
      c("units", "array<double>"),
      c("promo", "array<boolean>"),
      c("price", "array<double>"),
      c("stockout", "array<boolean>"),
      c("closed", "array<boolean>"),
      c("on_hand", "double"),
      c("last_event_at", "timestamp"),
      c("run_id", "string"),
    ],
    partitionKeys: [c("warehouse_id", "string")],
  },
  {
    name: "quarantine",
    prefix: "quarantine/",
    bucket: "processed",
    format: "parquet",
    columns: [
      c("source", "string"),
      c("line", "bigint"),
      c("reason", "string"),
      c("detail", "string"),
      c("raw", "string"),
      c("raw_bytes", "binary"),
    ],
    partitionKeys: [c("run_id", "string")],
  },
];

/** Storage descriptor parts per format. */
export function storageFormat(format: CatalogTable["format"]): {
  inputFormat: string;
  outputFormat: string;
  serializationLibrary: string;
  parameters: Record<string, string>;
} {
  if (format === "json") {
    return {
      inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
      outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
      serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
      parameters: { "ignore.malformed.json": "true" },
    };
  }
  return {
    inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    parameters: {},
  };
}

/**
 * Table parameters. Raw events use partition projection over their dt= dates (no partitions to register); the
 * processed tables' partitions are registered by the job after each run (etl/catalog.py, BatchCreatePartition).
 */
export function tableParameters(table: CatalogTable, location: string): Record<string, string> {
  const base = { classification: table.format, EXTERNAL: "TRUE" };
  if (table.name !== "raw_events") return base;
  return {
    ...base,
    "projection.enabled": "true",
    "projection.dt.type": "date",
    "projection.dt.format": "yyyy-MM-dd",
    "projection.dt.range": "2010-01-01,NOW",
    "projection.dt.interval": "1",
    "projection.dt.interval.unit": "DAYS",
    "storage.location.template": `${location}dt=\${dt}/`,
  };
}

/** Glue database names: lower case letters, digits and underscores. */
export function databaseName(prefix: string): string {
  return `${prefix}_etl`.toLowerCase().replace(/[^a-z0-9_]+/g, "_");
}
