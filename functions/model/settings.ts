import { z } from "zod";
import { MAX_PREFIX_LENGTH } from "./names";

/**
 * The settings the ForecastModel component hands to the retrain and promote functions (one JSON environment
 * variable each). One schema per function, so a deploy that forgot a field fails at cold start with the field's
 * name instead of half-way through a training run.
 *
 * Schemas are built by functions, not held in module constants: the Lambda callbacks are serialized by value,
 * and a zod object cannot be (its prototype chain holds native code). A function that calls `z` is fine: `z`
 * comes from node_modules and is required at run time.
 */

const s3Bucket = () => z.string().min(3);
const arn = () => z.string().regex(/^arn:aws[a-z-]*:/, "expected an ARN");
/** Training job names are `<prefix>-<yyyymmddhhmmss>`; the promote rule matches this prefix. */
const jobNamePrefix = () =>
  z
    .string()
    .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, "letters, digits and single hyphens")
    .max(MAX_PREFIX_LENGTH);

/** Where retraining reads, writes and how the training job runs. */
const retrainSchema = () =>
  z.object({
    jobNamePrefix: jobNamePrefix(),
    roleArn: arn(),
    trainingImage: z.string().min(1),
    /** S3 URI of sourcedir.tar.gz (model/ packaged at deploy time). */
    sourceDirUri: z.string().startsWith("s3://"),
    entryPoint: z.string().min(1),
    /** Model hyperparameters from config, passed through to train.py (values are strings, as SageMaker requires). */
    hyperparameters: z.record(z.string(), z.string()),
    instanceType: z.string().startsWith("ml."),
    instanceCount: z.number().int().min(1),
    volumeSizeGb: z.number().int().min(1),
    spot: z.boolean(),
    maxRuntimeSeconds: z.number().int().min(60),
    maxWaitSeconds: z.number().int().min(60),
    processedBucket: s3Bucket(),
    /** Prefix of the training table in the processed bucket, e.g. `demand_daily/`. */
    trainPrefix: z.string(),
    /** Prefix of the ETL run manifests in the processed bucket, e.g. `runs/`. */
    runsPrefix: z.string(),
    artifactsBucket: s3Bucket(),
    /** Training output (model.tar.gz) goes under `s3://<artifacts>/<outputPrefix><job>/output/`. */
    outputPrefix: z.string(),
    /** Spot checkpoints go under `s3://<artifacts>/<checkpointPrefix><job>/`. */
    checkpointPrefix: z.string(),
    /** The newest tuning job's best hyperparameters (functions/tune.ts writes them), used when present. */
    tunedParamsKey: z.string().min(1),
    kmsKeyArn: arn(),
    subnetIds: z.array(z.string().min(1)).min(1),
    securityGroupIds: z.array(z.string().min(1)).min(1),
    /** The endpoint whose current model is the champion passed to training. */
    endpointName: z.string().min(1),
    region: z.string().min(1),
    metricDefinitions: z.array(z.object({ Name: z.string().min(1), Regex: z.string().min(1) })).max(40),
  });
export type RetrainSettings = z.infer<ReturnType<typeof retrainSchema>>;

/** How a promoted model is served: serverless (no VPC) or instances (VPC, autoscaled by the component). */
const servingSchemaOf = () =>
  z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("serverless"),
      memorySizeMb: z.number().int().min(1024).max(6144),
      maxConcurrency: z.number().int().min(1).max(200),
    }),
    z.object({
      kind: z.literal("instance"),
      instanceType: z.string().startsWith("ml."),
      minInstances: z.number().int().min(1),
      subnetIds: z.array(z.string().min(1)).min(1),
      securityGroupIds: z.array(z.string().min(1)).min(1),
    }),
  ]);
export type Serving = z.infer<ReturnType<typeof servingSchemaOf>>;

/** Blue/green with alarm-driven rollback (instance endpoints only; serverless updates replace at once). */
const deploymentSchemaOf = () =>
  z.object({
    blueGreen: z.boolean(),
    /** Share of capacity that takes traffic first (canary), in percent. */
    canaryPercent: z.number().int().min(1).max(100),
    /** How long the canary bakes before all traffic shifts. */
    waitSeconds: z.number().int().min(0).max(3600),
    /** How long the old (blue) fleet is kept after the shift, for a fast rollback. */
    terminationWaitSeconds: z.number().int().min(0).max(3600),
    /** CloudWatch alarms that roll the update back when they fire during the deployment. */
    rollbackAlarms: z.array(z.string().min(1)).max(10),
  });
export type Deployment = z.infer<ReturnType<typeof deploymentSchemaOf>>;

/** Metric gate: which metric decides and how much better the challenger must be. */
const gateSchemaOf = () =>
  z.object({
    /** A lower-is-better metric present for both champion and challenger in metrics.json. */
    metric: z.string().min(1),
    /**
     * Relative tolerance: promote when challenger <= champion * (1 + tolerance). 0 asks for "at least as good";
     * 0.02 lets a model trained on fresher data win within 2% backtest noise; a negative value asks for a margin.
     */
    tolerance: z.number().min(-0.5).max(0.5),
  });
export type Gate = z.infer<ReturnType<typeof gateSchemaOf>>;

const promoteSchema = () =>
  z.object({
    jobNamePrefix: jobNamePrefix(),
    artifactsBucket: s3Bucket(),
    /** Decision records go to `s3://<artifacts>/<decisionsPrefix><job>.json`. */
    decisionsPrefix: z.string(),
    /** Each decided version's metrics.json is copied to `s3://<artifacts>/<modelsPrefix><version>/metrics.json`. */
    modelsPrefix: z.string(),
    /** The operator's pin lives at `s3://<artifacts>/<pinKey>`. */
    pinKey: z.string().min(1),
    endpointName: z.string().min(1),
    modelPackageGroup: z.string().min(1),
    roleArn: arn(),
    inferenceImage: z.string().min(1),
    /** The inference entry point (SAGEMAKER_PROGRAM), e.g. `inference.py`. */
    inferenceEntryPoint: z.string().min(1),
    /**
     * Where the container finds it (SAGEMAKER_SUBMIT_DIRECTORY). Artifacts carry their own code under `code/`, so
     * this is `/opt/ml/model/code`: every version is served by the code that trained it.
     */
    inferenceCodeDir: z.string().min(1),
    /** Model server worker processes per container (SAGEMAKER_MODEL_SERVER_WORKERS), as the bootstrap model's. */
    modelServerWorkers: z.number().int().min(1).max(64),
    kmsKeyArn: arn(),
    region: z.string().min(1),
    gate: gateSchemaOf(),
    serving: servingSchemaOf(),
    deployment: deploymentSchemaOf(),
  });
export type PromoteSettings = z.infer<ReturnType<typeof promoteSchema>>;

/*
 * Exports are functions and plain objects only. A callback captures this module's exports object, so a zod
 * instance here would be serialized with it (and cannot be); the builders above are not exported for the same
 * reason: the exported names below refer to them, never the other way round.
 */
export const retrainSettingsSchema = retrainSchema;
export const promoteSettingsSchema = promoteSchema;
export const servingSchema = servingSchemaOf;
export const deploymentSchema = deploymentSchemaOf;
export const gateSchema = gateSchemaOf;

/** `safeParse` of the retrain settings (the policy pack checks the function's settings with it). */
export const RetrainSettingsSchema = {
  safeParse: (value: unknown) => retrainSchema().safeParse(value),
};
/** `safeParse` of the promote settings. */
export const PromoteSettingsSchema = {
  safeParse: (value: unknown) => promoteSchema().safeParse(value),
};
