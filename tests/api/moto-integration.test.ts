/**
 * The predict handler with the real AWS SDK against moto: series_state Parquet and the item master read from S3,
 * InvokeEndpoint answered from moto's queue of endpoint results, served forecasts through Firehose into the raw
 * bucket, and a bulk job through SQS and S3 with a presigned link.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { FirehoseClient, CreateDeliveryStreamCommand } from "@aws-sdk/client-firehose";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startMoto, type MotoServer } from "../support/moto";
import { SqsJobQueue, type JobMessage } from "../../functions/forecast-jobs";
import { processJobMessage } from "../../functions/forecast-jobs-worker";
import { createObservability } from "../../functions/powertools";
import { handlePredict } from "../../functions/predict";
import { createApiAjv, createEndpointAjv } from "../../functions/predict/ajv";
import { buildPredictDeps } from "../../functions/predict/build-deps";
import { DEFAULT_PREDICT_CONFIG } from "../../functions/predict/config";
import type { PredictDeps } from "../../functions/predict/deps";
import { EndpointClient } from "../../functions/predict/endpoint-client";
import { storeModelMetrics } from "../../functions/predict/model-route";
import { S3ObjectStore, UNCHANGED } from "../../functions/predict/object-store";
import { modelMetricsKey } from "../../functions/model/names";
import { SinkServedForecastLog } from "../../functions/predict/served-log";
import { FirehoseSink } from "../../functions/producer/firehose-sink";
import { RISK_GRID } from "../../functions/replenishment";
import { loadParquetDecoder } from "../../cli/local-api/parquet";
import { responseErrors } from "./conformance";
import { apiEvent, fakeForecast, makeTestDeps, spec, standardSeries } from "../functions/predict-support";

let moto: MotoServer;
let deps: PredictDeps;
let s3: S3Client;
let sqs: SQSClient;
let queueUrl: string;
const REGION = "eu-west-1";

async function queueEndpointResult(body: unknown): Promise<void> {
  const res = await fetch(`${moto.endpoint}/moto-api/static/sagemaker/endpoint-results`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      account_id: "123456789012",
      region: REGION,
      results: [{ Body: JSON.stringify(body), ContentType: "application/json" }],
    }),
  });
  expect(res.status).toBe(201);
}

/** The endpoint's answer for the standard fixture's series (only ids, history length and horizon matter). */
function endpointAnswer(
  ids: string[],
  horizon: number,
  quantiles = [0.1, 0.5, 0.9],
  windows: { name: string; start: number; end: number }[] = [],
) {
  const rows = standardSeries();
  return fakeForecast(
    {
      freq: "D",
      horizon,
      quantiles,
      windows,
      series: ids.map((id) => {
        const r = rows.find((x) => `${x.warehouse_id}/${x.sku}` === id)!;
        return { id, history: { start: r.start_date, units: r.units } };
      }),
    },
    "moto-model-v7",
    "global-gbm",
  );
}

beforeAll(async () => {
  moto = await startMoto();
  const client = { endpoint: moto.endpoint, region: REGION, maxAttempts: 1 };
  s3 = new S3Client({ ...client, forcePathStyle: true });
  sqs = new SQSClient(client);
  const firehose = new FirehoseClient(client);
  for (const Bucket of ["processed", "jobs", "raw", "artifacts"]) {
    await s3.send(
      new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }),
    );
  }
  // series_state as the ETL writes it: Parquet per warehouse partition, uploaded under the same keys.
  const { workspace } = makeTestDeps();
  const local = path.join(workspace, "processed");
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of walk(local)) {
    const Key = path.relative(local, file).split(path.sep).join("/");
    await s3.send(new PutObjectCommand({ Bucket: "processed", Key, Body: fs.readFileSync(file) }));
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: "processed",
      Key: "item_master/items.csv",
      Body: "warehouse_id,sku,lead_time_days,pack_size\n*,SKU-1,4,10\n",
    }),
  );
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: "forecast-log",
      DeliveryStreamType: "DirectPut",
      ExtendedS3DestinationConfiguration: {
        BucketARN: "arn:aws:s3:::raw",
        RoleARN: "arn:aws:iam::123456789012:role/firehose",
        Prefix: "forecasts/",
      },
    }),
  );
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "jobs" }))).QueueUrl!;
  deps = buildPredictDeps({
    spec,
    ajv: createApiAjv(),
    endpointAjv: createEndpointAjv(),
    config: DEFAULT_PREDICT_CONFIG,
    processed: new S3ObjectStore(s3, "processed"),
    jobsStore: new S3ObjectStore(s3, "jobs"),
    jobQueue: new SqsJobQueue(sqs, queueUrl),
    endpoint: new EndpointClient(new SageMakerRuntimeClient(client), {
      endpointName: "warecast-test-forecast",
      timeoutMs: 5000,
      maxAttempts: 2,
      budgetMs: 10000,
      retryAfterSeconds: 30,
    }),
    servedLog: new SinkServedForecastLog(
      () => new FirehoseSink({ client: firehose, streamName: "forecast-log" }),
    ),
    decodeParquet: loadParquetDecoder(),
    obs: createObservability("warecast-api-moto"),
  });
}, 240_000);

afterAll(async () => {
  await moto?.stop();
});

async function call(method: string, p: string, body?: unknown) {
  const event = apiEvent(method, p, body);
  const res = await handlePredict(event, deps);
  expect(responseErrors(deps.schemas, method, event.path, res)).toEqual([]);
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

it("forecasts from S3 series_state through InvokeEndpoint, and logs served forecasts through Firehose", async () => {
  await queueEndpointResult(endpointAnswer(["WH1/SKU-1"], 3));
  const res = await call("POST", "/v1/forecasts", {
    series: [{ warehouse_id: "WH1", sku: "SKU-1" }],
    horizon: 3,
  });
  expect(res.status).toBe(200);
  expect(res.body.model_version).toBe("moto-model-v7");
  expect(res.body.forecasts[0].points.map((p: { date: string }) => p.date)).toEqual([
    "2018-05-01",
    "2018-05-02",
    "2018-05-03",
  ]);

  const listed = await s3.send(new ListObjectsV2Command({ Bucket: "raw", Prefix: "forecasts/" }));
  expect(listed.Contents?.length).toBeGreaterThan(0);
  const text = await (
    await s3.send(new GetObjectCommand({ Bucket: "raw", Key: listed.Contents![0].Key! }))
  ).Body!.transformToString();
  const records = text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(records).toHaveLength(3);
  expect(records[0]).toMatchObject({
    request_id: "req-test-1",
    model_version: "moto-model-v7",
    sku: "SKU-1",
    step: 1,
  });
});

it("uses item-master defaults from S3 in recommendations", async () => {
  // Lead time 4 (item master) + review 7 (default): the handler asks for the 11-day window on its risk grid.
  await queueEndpointResult(
    endpointAnswer(["WH2/SKU-1"], 28, [...RISK_GRID], [{ name: "protection_11", start: 1, end: 11 }]),
  );
  const res = await call("POST", "/v1/recommendations", {
    items: [{ warehouse_id: "WH2", sku: "SKU-1", on_hand: 0 }],
  });
  expect(res.status).toBe(200);
  const [rec] = res.body.recommendations;
  expect(rec.inputs).toMatchObject({ lead_time_days: 4, pack_size: 10, review_period_days: 7 });
  expect(rec.inputs.sources).toMatchObject({
    lead_time_days: "item_master",
    pack_size: "item_master",
    review_period_days: "default",
  });
  expect(rec.protection_days).toBe(11);
  expect(rec.suggested_order_quantity % 10).toBe(0);
  expect(rec.suggested_order_quantity).toBeGreaterThan(0);
});

it("reads the served version's backtest from the metrics.json the promote function published in S3", async () => {
  const metrics = {
    model_version: "moto-model-v7",
    primary_metric: "rmsse",
    setup: { freq: "D", horizon: 28, origins: 2, series: 4 },
    metrics: { model: { rmsse: 0.6, wape: 0.5, points: 224 }, seasonal_naive: { rmsse: 1.0, wape: 0.9 } },
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: "artifacts",
      Key: "models/moto-model-v7/metrics.json",
      Body: JSON.stringify(metrics),
    }),
  );
  // The health probe's answer names the version the endpoint serves.
  await queueEndpointResult(
    fakeForecast(
      {
        freq: "D",
        horizon: 1,
        quantiles: [0.5],
        windows: [],
        series: [{ id: "health-probe", history: { start: "2000-01-01", units: [0, 0, 0, 0, 0, 0, 0] } }],
      },
      "moto-model-v7",
      "global-gbm",
    ),
  );
  const store = new S3ObjectStore(s3, "artifacts");
  const published = { ...deps, modelMetrics: storeModelMetrics(store, (v) => modelMetricsKey("models/", v)) };
  const event = apiEvent("GET", "/v1/model");
  const res = await handlePredict(event, published);
  expect(responseErrors(deps.schemas, "GET", event.path, res)).toEqual([]);
  const body = JSON.parse(res.body);
  expect(body).toMatchObject({ model_version: "moto-model-v7", backtest: { horizon: 28, series: 4 } });
  expect(body.backtest.methods.map((m: { method: string }) => m.method)).toEqual(["model", "seasonal_naive"]);

  // The kept ETag against real S3 semantics: moto answers If-None-Match with 304 while the object is the same,
  // and the new bytes once the promote function republishes it.
  const key = "models/moto-model-v7/metrics.json";
  const held = (await store.get(key))!;
  expect(await store.getIfChanged(key, held.etag)).toBe(UNCHANGED);
  await s3.send(
    new PutObjectCommand({
      Bucket: "artifacts",
      Key: key,
      Body: JSON.stringify({ ...metrics, setup: { ...metrics.setup, series: 5 } }),
    }),
  );
  expect(await store.getIfChanged(key, held.etag)).not.toBe(UNCHANGED);
  const again = await published.modelMetrics.metrics("moto-model-v7");
  expect(again).toMatchObject({ setup: { series: 5 } });

  // Nothing published for the version (a real S3 NoSuchKey): an answer without a backtest, not an error.
  const absent = { ...deps, modelMetrics: storeModelMetrics(store, (v) => modelMetricsKey("absent/", v)) };
  const none = JSON.parse((await handlePredict(apiEvent("GET", "/v1/model"), absent)).body);
  expect(none).toMatchObject({ model_version: "moto-model-v7" });
  expect(none.backtest_detail).toMatch(/no backtest/);
});

it("answers 502 problem+json when the endpoint returns something that is not the contract", async () => {
  // Nothing queued: moto answers a static non-JSON body.
  const res = await call("POST", "/v1/forecasts", {
    series: [{ warehouse_id: "WH1", sku: "SKU-2" }],
    horizon: 2,
  });
  expect(res.status).toBe(502);
  expect(res.body.type).toBe("https://warecast.dev/problems/bad-gateway");
});

it("runs a bulk job through SQS and S3 and links the results with a presigned URL", async () => {
  const created = await call("POST", "/v1/forecast-jobs", {
    series: [{ warehouse_id: "WH2", sku: "SKU-1" }],
    horizon: 3,
  });
  expect(created.status).toBe(202);
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }));
  const message = JSON.parse(received.Messages![0].Body!) as JobMessage;
  expect(message).toEqual({ job_id: created.body.job_id, cursor: 0 });
  await queueEndpointResult(endpointAnswer(["WH2/SKU-1"], 3));
  await processJobMessage(message, {
    predict: deps,
    jobs: deps.jobs,
    chunkSize: 100,
    remainingMs: () => 1e9,
    handOverMs: 0,
  });
  const done = await call("GET", `/v1/forecast-jobs/${created.body.job_id}`);
  expect(done.body.status).toBe("succeeded");
  const url = done.body.result.parts[0].url as string;
  expect(url).toContain("X-Amz-Signature=");
  const ndjson = await (await fetch(url)).text();
  expect(JSON.parse(ndjson.trim())).toMatchObject({ warehouse_id: "WH2", sku: "SKU-1" });
});
