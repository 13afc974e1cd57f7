/**
 * PredictionApi: the public REST API. A regional API Gateway REST API built from api/openapi.yaml (request
 * validation and models from the spec, problem+json gateway responses), API keys and a usage plan with
 * throttling and a daily quota, stage access logs to a KMS-encrypted log group, method metrics and X-Ray. Behind
 * it the predict λ (private subnets; InvokeEndpoint on its own endpoint only) and, for bulk forecast jobs, an
 * encrypted SQS queue and a worker λ, with job state and results in the API's own SecureBucket.
 */
import { createHash } from "node:crypto";
import type Ajv from "ajv";
import type addFormats from "ajv-formats";
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, SQSEvent, SQSBatchResponse } from "aws-lambda";
import { parse as parseYaml } from "yaml";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SqsJobQueue } from "../functions/forecast-jobs";
import { handleJobQueue } from "../functions/forecast-jobs-worker";
import { settingsFromEnv } from "../functions/lambda-wiring";
import { createObservability } from "../functions/powertools";
import { handlePredict } from "../functions/predict";
import { buildPredictDeps } from "../functions/predict/build-deps";
import { modelMetricsKey } from "../functions/model/names";
import { EndpointClient } from "../functions/predict/endpoint-client";
import { storeModelMetrics } from "../functions/predict/model-route";
import { S3ObjectStore } from "../functions/predict/object-store";
import {
  PREDICT_SETTINGS_VARIABLE,
  predictSettingsSchema,
  type PredictSettings,
} from "../functions/predict/settings";
import { parquetDecoder, type Hyparquet } from "../functions/predict/parquet";
import { SinkServedForecastLog } from "../functions/predict/served-log";
import { FirehoseSink } from "../functions/producer/firehose-sink";
import {
  DEFAULT_PREDICT_CONFIG,
  validatePredictConfig,
  type PredictConfig,
} from "../functions/predict/config";
import { API_AJV_OPTIONS } from "../functions/predict/ajv-options";
import { withRequestLimits, type OpenApiDoc } from "../functions/predict/spec";
import { apiGatewayAccountLogging } from "./apigateway-account";
import type { Encryption } from "./encryption";
import type { IngestionPipeline } from "./ingestion-pipeline";
import { createLogGroup, logGroupPath, type LogSettings } from "./log-group";
import { keyUseStatement } from "./policy-documents";
import {
  ACCESS_LOG_FORMAT,
  gatewayDocument,
  predictStatements,
  workerStatements,
} from "./prediction-api-plan";
import { PrivateFunction, type FunctionSettings } from "./private-function";
import { SecureBucket, type BucketSettings } from "./secure-bucket";

export const OPENAPI_FILE = path.join(__dirname, "..", "api", "openapi.yaml");

/** What the predict and job-worker code requires (lambdaDeps and the handlers): their zips carry these. */
const HANDLER_PACKAGES = [
  "@aws-sdk/client-firehose",
  "@aws-sdk/client-s3",
  "@aws-sdk/client-sagemaker-runtime",
  "@aws-sdk/client-sqs",
  "@aws-sdk/s3-request-presigner",
  "ajv",
  "ajv-formats",
  "csv-parse",
  "hyparquet",
  "zod",
];

export interface PredictionApiArgs {
  /** Settings every function of the stack shares (Foundation.functions). Required. */
  readonly functions: FunctionSettings;
  /** Log settings (Foundation.logs) for the stage access log group. Required. */
  readonly logs: LogSettings;
  /** Bucket settings every SecureBucket of the stack shares (Foundation.buckets): key, protection, logging. Required. */
  readonly buckets: BucketSettings;
  /** The stack key: queue, function environments. Required. */
  readonly key: Encryption;
  /** Region of the stack. Required. */
  readonly region: string;
  /** The forecast endpoint (from the ForecastModel): its fixed name and ARN. Required. */
  readonly endpoint: { readonly name: pulumi.Input<string>; readonly arn: pulumi.Input<string> };
  /** The processed bucket (series_state/, item_master/, runs/), read only. Required. */
  readonly processedBucket: SecureBucket;
  /**
   * Where the promote function publishes each model version's metrics.json (the ForecastModel's artifacts bucket
   * and its `models/` prefix). Without it GET /v1/model answers without a backtest and says why.
   */
  readonly modelMetrics?: { readonly bucket: SecureBucket; readonly prefix: string };
  /** The served-forecast stream (an IngestionPipeline with purpose "forecasts"). Required. */
  readonly forecastLog: IngestionPipeline;
  /** Per API key: steady requests/s, burst and requests per day (stack config api.*). Required. */
  readonly usage: { readonly rateLimit: number; readonly burstLimit: number; readonly dailyQuota: number };
  /** Series per synchronous call; more answer 413. Default 100. */
  readonly maxSeriesPerRequest?: number;
  /** Reserved concurrency of the predict λ (-1 = unreserved). Default: functions.reservedConcurrency. */
  readonly reservedConcurrency?: number;
  /** Days job documents and results are kept. Default 7. */
  readonly jobRetentionDays?: number;
  /** Stage name, the first path segment of the URL. Default "api". */
  readonly stageName?: string;
  /**
   * API Gateway's account-level CloudWatch Logs role, which the stage's access logs need: `owner: true` creates it
   * here (one stack per account and region), `owner: false` relies on the stack that owns it. Required.
   */
  readonly accountLogging: { readonly owner: boolean };
}

export class PredictionApi extends pulumi.ComponentResource {
  public readonly restApi: aws.apigateway.RestApi;
  public readonly stage: aws.apigateway.Stage;
  public readonly predict: PrivateFunction<APIGatewayProxyEvent, APIGatewayProxyResult>;
  public readonly jobWorker: PrivateFunction<SQSEvent, SQSBatchResponse>;
  public readonly jobsBucket: SecureBucket;
  public readonly jobsQueue: aws.sqs.Queue;
  public readonly apiKey: aws.apigateway.ApiKey;
  /** Base URL of the API, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/api */
  public readonly url: pulumi.Output<string>;
  public readonly apiKeyId: pulumi.Output<string>;

  constructor(name: string, args: PredictionApiArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:api:PredictionApi", name, {}, opts);
    const { rateLimit, burstLimit, dailyQuota } = args.usage;
    if (!(rateLimit > 0 && burstLimit >= rateLimit && dailyQuota > 0)) {
      throw new Error(
        `PredictionApi ${name}: usage needs rateLimit > 0, burstLimit ≥ rateLimit and dailyQuota > 0; got ${JSON.stringify(args.usage)}`,
      );
    }
    const jobRetentionDays = args.jobRetentionDays ?? 7;
    if (!Number.isInteger(jobRetentionDays) || jobRetentionDays < 1) {
      throw new Error(
        `PredictionApi ${name}: jobRetentionDays must be a positive integer; got ${jobRetentionDays}`,
      );
    }
    const stageName = args.stageName ?? "api";
    const predictConfig: PredictConfig = validatePredictConfig({
      ...DEFAULT_PREDICT_CONFIG,
      maxSeriesPerRequest: args.maxSeriesPerRequest ?? DEFAULT_PREDICT_CONFIG.maxSeriesPerRequest,
    });
    // The stack's request limits in the document API Gateway imports (the handler applies the same ones).
    const spec = withRequestLimits(
      parseYaml(fs.readFileSync(OPENAPI_FILE, "utf8")) as OpenApiDoc,
      predictConfig,
    );
    const child = { parent: this };

    this.jobsBucket = new SecureBucket(
      `${name}-jobs`,
      {
        ...args.buckets,
        expiry: [{ id: "expire-forecast-jobs", prefix: "forecast-jobs/", expireAfterDays: jobRetentionDays }],
      },
      child,
    );
    const deadLetters = new aws.sqs.Queue(
      `${name}-jobs-dlq`,
      { kmsMasterKeyId: args.key.keyArn, messageRetentionSeconds: 14 * 86400 },
      child,
    );
    const workerTimeout = 900;
    this.jobsQueue = new aws.sqs.Queue(
      `${name}-jobs`,
      {
        kmsMasterKeyId: args.key.keyArn,
        // Longer than the worker's timeout, so a running message is not delivered twice.
        visibilityTimeoutSeconds: workerTimeout + 60,
        messageRetentionSeconds: 4 * 86400,
        redrivePolicy: deadLetters.arn.apply((arn) =>
          JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 5 }),
        ),
      },
      child,
    );

    const metricsSource = args.modelMetrics;
    const policyInput = pulumi
      .all([
        args.endpoint.arn,
        args.processedBucket.arn,
        this.jobsBucket.arn,
        this.jobsQueue.arn,
        args.forecastLog.streamArn,
        args.key.keyArn,
        metricsSource ? metricsSource.bucket.arn : "",
      ])
      .apply(
        ([
          endpointArn,
          processedBucketArn,
          jobsBucketArn,
          jobsQueueArn,
          forecastStreamArn,
          keyArn,
          metricsArn,
        ]) => ({
          input: {
            endpointArn,
            processedBucketArn,
            jobsBucketArn,
            jobsQueueArn,
            forecastStreamArn,
            ...(metricsSource
              ? { modelMetrics: { bucketArn: metricsArn, prefix: metricsSource.prefix } }
              : {}),
          },
          keyUse: keyUseStatement(keyArn, args.region, ["s3", "sqs", "firehose"]),
        }),
      );
    const settings: pulumi.Output<PredictSettings> = pulumi
      .all([
        args.endpoint.name,
        args.processedBucket.name,
        this.jobsBucket.name,
        this.jobsQueue.url,
        args.forecastLog.streamName,
        metricsSource ? metricsSource.bucket.name : "",
      ])
      .apply(([endpointName, processedBucket, jobsBucket, jobsQueueUrl, forecastStream, metricsBucket]) => ({
        endpointName,
        processedBucket,
        jobsBucket,
        jobsQueueUrl,
        forecastStream,
        ...(metricsSource ? { modelMetrics: { bucket: metricsBucket, prefix: metricsSource.prefix } } : {}),
      }));
    const environment = {
      [PREDICT_SETTINGS_VARIABLE]: settings.apply((s) => JSON.stringify(s)),
      POWERTOOLS_METRICS_NAMESPACE: "Warecast",
    };

    this.predict = new PrivateFunction<APIGatewayProxyEvent, APIGatewayProxyResult>(
      `${name}-predict`,
      {
        ...args.functions,
        // Under API Gateway's 29 s: the endpoint budget (20 s) plus reads and logging.
        timeoutSeconds: 28,
        reservedConcurrency: args.reservedConcurrency ?? args.functions.reservedConcurrency,
        description: "Warecast API: forecasts, recommendations, health and forecast jobs (api/openapi.yaml)",
        environment,
        policyStatements: policyInput.apply((p) => [...predictStatements(p.input), p.keyUse]),
        packages: HANDLER_PACKAGES,
        callbackFactory: () => {
          const deps = lambdaDeps(spec, predictConfig, "warecast-predict");
          return (event: APIGatewayProxyEvent) => handlePredict(event, deps);
        },
      },
      child,
    );

    this.jobWorker = new PrivateFunction<SQSEvent, SQSBatchResponse>(
      `${name}-job-worker`,
      {
        ...args.functions,
        timeoutSeconds: workerTimeout,
        description:
          "Warecast bulk forecast jobs: forecasts chunks of series from the jobs queue into NDJSON parts",
        environment,
        policyStatements: policyInput.apply((p) => [...workerStatements(p.input), p.keyUse]),
        packages: HANDLER_PACKAGES,
        callbackFactory: () => {
          const deps = lambdaDeps(spec, predictConfig, "warecast-forecast-jobs");
          return (event: SQSEvent, context: { getRemainingTimeInMillis(): number }) =>
            handleJobQueue(event, {
              predict: deps,
              jobs: deps.jobs,
              chunkSize: predictConfig.maxSeriesPerRequest,
              remainingMs: () => context.getRemainingTimeInMillis(),
              handOverMs: 120_000,
            });
        },
      },
      child,
    );
    new aws.lambda.EventSourceMapping(
      `${name}-jobs`,
      {
        eventSourceArn: this.jobsQueue.arn,
        functionName: this.jobWorker.functionName,
        batchSize: 1,
        functionResponseTypes: ["ReportBatchItemFailures"],
      },
      child,
    );

    const body = this.predict.invokeArn.apply((uri) => JSON.stringify(gatewayDocument(spec, uri)));
    this.restApi = new aws.apigateway.RestApi(
      `${name}`,
      {
        description: "Warecast forecasts and replenishment advice",
        body,
        endpointConfiguration: { types: "REGIONAL" },
        apiKeySource: "HEADER",
        // additionalProperties draws an import warning (API Gateway models are draft 4 without it); the handler
        // enforces it with ajv, so warnings must not fail the deployment.
        failOnWarnings: false,
      },
      child,
    );
    new aws.lambda.Permission(
      `${name}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: this.predict.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${this.restApi.executionArn}/*/*`,
      },
      child,
    );
    const deployment = new aws.apigateway.Deployment(
      `${name}`,
      {
        restApi: this.restApi.id,
        // A new deployment whenever the imported document changes.
        triggers: { document: body.apply((b) => createHash("sha256").update(b).digest("hex")) },
      },
      { parent: this, deleteBeforeReplace: false },
    );
    const accessLogs = createLogGroup(
      `${name}-access`,
      { ...args.logs, logGroupName: logGroupPath(args.logs.namePrefix, "apigateway", name) },
      child,
    );
    // A stage with access logs is created only once the account has its CloudWatch Logs role.
    const account = args.accountLogging.owner ? [apiGatewayAccountLogging(name, args.region, child)] : [];
    this.stage = new aws.apigateway.Stage(
      `${name}`,
      {
        restApi: this.restApi.id,
        deployment: deployment.id,
        stageName,
        xrayTracingEnabled: true,
        accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      },
      { parent: this, dependsOn: account },
    );
    new aws.apigateway.MethodSettings(
      `${name}-all`,
      {
        restApi: this.restApi.id,
        stageName: this.stage.stageName,
        methodPath: "*/*",
        settings: {
          metricsEnabled: true,
          throttlingRateLimit: rateLimit,
          throttlingBurstLimit: burstLimit,
        },
      },
      child,
    );
    const plan = new aws.apigateway.UsagePlan(
      `${name}`,
      {
        description: "Warecast API clients",
        apiStages: [{ apiId: this.restApi.id, stage: this.stage.stageName }],
        throttleSettings: { rateLimit, burstLimit },
        quotaSettings: { limit: dailyQuota, period: "DAY" },
      },
      child,
    );
    this.apiKey = new aws.apigateway.ApiKey(
      `${name}-default`,
      { description: "Default Warecast API client" },
      child,
    );
    new aws.apigateway.UsagePlanKey(
      `${name}-default`,
      { keyId: this.apiKey.id, keyType: "API_KEY", usagePlanId: plan.id },
      child,
    );

    this.url = this.stage.invokeUrl;
    this.apiKeyId = this.apiKey.id;
    this.registerOutputs({ url: this.url, apiKeyId: this.apiKeyId });
  }
}

/**
 * Builds the handler's dependencies inside the Lambda (called once per container from a callbackFactory).
 * hyparquet and ajv are required here, not captured from imports: hyparquet is ESM-only (Node 22's require()
 * loads it; jest would not), and Pulumi's closure serializer cannot capture ajv's default-export modules.
 */
function lambdaDeps(spec: OpenApiDoc, config: PredictConfig, serviceName: string) {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const hyparquet = require("hyparquet") as Hyparquet;
  const ajv = new (require("ajv").default as typeof Ajv)(API_AJV_OPTIONS);
  (require("ajv-formats").default as typeof addFormats)(ajv);
  /* eslint-enable @typescript-eslint/no-require-imports */
  const settings = settingsFromEnv(predictSettingsSchema, PREDICT_SETTINGS_VARIABLE);
  const obs = createObservability(serviceName);
  const s3 = obs.tracer.captureAWSv3Client(new S3Client({}));
  const firehose = obs.tracer.captureAWSv3Client(new FirehoseClient({}));
  const runtime = obs.tracer.captureAWSv3Client(new SageMakerRuntimeClient({ maxAttempts: 1 }));
  // Requests go to the client's endpoint (AWS's regional one, or AWS_ENDPOINT_URL), not to the queue URL's host.
  const sqs = obs.tracer.captureAWSv3Client(new SQSClient({ useQueueUrlAsEndpoint: false }));
  const streamName = settings.forecastStream;
  const metrics = settings.modelMetrics;
  return buildPredictDeps({
    spec,
    ajv,
    config,
    processed: new S3ObjectStore(s3, settings.processedBucket),
    jobsStore: new S3ObjectStore(s3, settings.jobsBucket),
    jobQueue: new SqsJobQueue(sqs, settings.jobsQueueUrl),
    endpoint: new EndpointClient(runtime, {
      endpointName: settings.endpointName,
      timeoutMs: config.endpointTimeoutMs,
      maxAttempts: config.endpointMaxAttempts,
      budgetMs: config.endpointBudgetMs,
      retryAfterSeconds: config.retryAfterSeconds,
    }),
    servedLog: new SinkServedForecastLog(() => new FirehoseSink({ client: firehose, streamName })),
    decodeParquet: parquetDecoder(hyparquet),
    ...(metrics
      ? {
          modelMetrics: storeModelMetrics(new S3ObjectStore(s3, metrics.bucket), (v) =>
            modelMetricsKey(metrics.prefix, v),
          ),
        }
      : {}),
    obs,
  });
}
