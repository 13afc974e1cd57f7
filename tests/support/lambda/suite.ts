/**
 * The artifact tests of one stack: every Lambda function exactly as the program hands it to
 * `aws.lambda.Function` under the mocks (serialized `__index.js` and its package folders), written out as its zip
 * unpacks, and invoked in fresh Node processes with the stack's environment (invoke.ts), against moto and a stub
 * SageMaker endpoint (aws-front.ts). See docs/deploy.md, "Lambda functions".
 *
 * One stack run, one moto server and one front per stack; one container (process) per invocation group.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { builtinModules, createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import type { SQSEvent } from "aws-lambda";
import packageJson from "../../../package.json";
import { tarGzBytes } from "../../../components/forecast-model/tarball";
import { TAG_DATA_AS_OF, TAG_DATA_RUN } from "../../../functions/model/data-watermark";
import type { PromoteSettings, RetrainSettings } from "../../../functions/model/settings";
import { TUNE_SETTINGS_VARIABLE, type TuneSettings } from "../../../functions/model/tuning-settings";
import { parseTunedParams } from "../../../functions/model/tuned-params";
import { GLUE_TRIGGER_SETTINGS_VARIABLE, type GlueTriggerSettings } from "../../../functions/glue-trigger";
import { PREDICT_SETTINGS_VARIABLE, type PredictSettings } from "../../../functions/predict/settings";
import { createApiAjv } from "../../../functions/predict/ajv";
import { ApiSchemas } from "../../../functions/predict/spec";
import { RISK_GRID } from "../../../functions/replenishment";
import { responseErrors } from "../../api/conformance";
import { apiEvent, spec, standardSeries, writeSeriesState } from "../../functions/predict-support";
import { apiModelMetricsJson, metricsJson } from "../../functions/model-fakes";
import { MOCK_ACCOUNT_ID, REPO_ROOT, runStack, type StackName, type StackRun } from "../../harness";
import { startMoto, type MotoServer } from "../moto";
import { functionArtifacts, packageNames, writeArtifact, type FunctionArtifact } from "./artifact";
import {
  startAwsFront,
  startStubEndpoint,
  startXrayDaemon,
  type AwsFront,
  type StubEndpoint,
  type XrayDaemon,
} from "./aws-front";
import { invokeContainer, type ContainerRun, type Emulation } from "./invoke";
import { motoClients, provisionStack, type MotoClients } from "./provision";
import { serializedCodeFindings } from "./serialized-code";

/** The functions of a stack, by the suffix of their logical name; each has its scenario below. */
const FUNCTION_ROLES = {
  predict: "-api-predict",
  jobWorker: "-api-job-worker",
  glueTrigger: "-etl-trigger",
  retrain: "-model-retrain",
  promote: "-model-promote",
  tune: "-model-tuning-tune",
} as const;
type Role = keyof typeof FUNCTION_ROLES;

/** Each function's one settings variable (functions/lambda-wiring.ts), and a required field of it. */
const SETTINGS: Record<Role, { variable: string; required: string }> = {
  predict: { variable: PREDICT_SETTINGS_VARIABLE, required: "jobsQueueUrl" },
  jobWorker: { variable: PREDICT_SETTINGS_VARIABLE, required: "endpointName" },
  glueTrigger: { variable: GLUE_TRIGGER_SETTINGS_VARIABLE, required: "rawBucket" },
  retrain: { variable: "WARECAST_RETRAIN_SETTINGS", required: "roleArn" },
  promote: { variable: "WARECAST_PROMOTE_SETTINGS", required: "gate" },
  tune: { variable: TUNE_SETTINGS_VARIABLE, required: "tuningJobPrefix" },
};
/** What else a function's environment may hold: the runtime's and Powertools' own variables. */
const PLATFORM_VARIABLES = ["NODE_OPTIONS", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"];

const STACK_RUN_TIMEOUT_MS = 300_000;

/** Bare package names a serialized closure requires (`require("tar")`, `require("@aws-sdk/client-s3/dist-cjs/…")`). */
function requiredPackages(code: string): string[] {
  const out = new Set<string>();
  for (const m of code.matchAll(/\brequire\("([^"./][^"]*)"\)/g)) {
    const spec = m[1];
    if (spec.startsWith("node:")) continue;
    const parts = spec.split("/");
    const name = spec.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
    // Node's built-ins (crypto, zlib, …) are required by bare name too.
    if (!builtinModules.includes(name)) out.add(name);
  }
  return [...out].sort();
}

export function describeArtifacts(stack: StackName): void {
  let run: StackRun;
  let artifacts: Map<string, FunctionArtifact>;
  let moto: MotoServer;
  let front: AwsFront;
  let endpoint: StubEndpoint;
  let xray: XrayDaemon;
  let aws: MotoClients;
  const roots = new Map<string, string>();
  let base: string | undefined;
  const region = () => run.config["aws:region"];
  const fnOf = (role: Role) => [...artifacts.values()].find((a) => a.name.endsWith(FUNCTION_ROLES[role]))!;
  /** The ARN of the stack's EventBridge rule whose logical name ends with `suffix`. */
  const ruleArn = (suffix: string) => {
    const rule = run.ofType("aws:cloudwatch/eventRule:EventRule").find((r) => r.name.endsWith(suffix))!;
    return `arn:aws:events:${region()}:${MOCK_ACCOUNT_ID}:rule/${rule.name}`;
  };

  beforeAll(async () => {
    run = await runStack(stack);
    artifacts = await functionArtifacts(run);
    moto = await startMoto();
    aws = motoClients(moto.endpoint, region());
    await provisionStack(run, aws, region());
    front = await startAwsFront(moto.endpoint, region(), MOCK_ACCOUNT_ID);
    const endpointName = run.ofType("aws:sagemaker/endpoint:Endpoint")[0].inputs.name as string;
    endpoint = await startStubEndpoint(endpointName);
    xray = await startXrayDaemon();
    // Outside the repository: no node_modules in any parent folder, so a package missing from the zip fails.
    base = fs.mkdtempSync(path.join(os.tmpdir(), `warecast-lambda-${stack}-`));
    for (const a of artifacts.values()) roots.set(a.name, writeArtifact(a, path.join(base, a.name)));
  }, STACK_RUN_TIMEOUT_MS);

  afterAll(async () => {
    for (const client of Object.values(aws ?? {})) client.destroy();
    await Promise.all([front?.close(), endpoint?.close(), xray?.close()]);
    await moto?.stop();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  /** One fresh container of `role`'s function running `events` in turn. */
  /** One fresh container of `role`'s function (with some environment variables replaced) running `events`. */
  async function runContainer(
    role: Role,
    events: unknown[],
    environment: Record<string, string> = {},
  ): Promise<ContainerRun> {
    const a = fnOf(role);
    const emulation: Emulation = {
      region: region(),
      awsEndpoint: front.url,
      sagemakerRuntimeEndpoint: endpoint.url,
      xrayDaemon: xray.address,
      functionArn: `arn:aws:lambda:${region()}:${MOCK_ACCOUNT_ID}:function:${a.name}`,
    };
    const artifact = { ...a, environment: { ...a.environment, ...environment } };
    return invokeContainer(artifact, roots.get(a.name)!, emulation, events);
  }

  /** One fresh container of `role`'s function running `events` in turn; any error fails the test. */
  async function invoke(role: Role, events: unknown[]): Promise<ContainerRun> {
    const a = fnOf(role);
    const out = await runContainer(role, events);
    if (out.initError)
      throw new Error(`${a.name} failed at init: ${JSON.stringify(out.initError)}\n${out.stderr}`);
    const failed = out.results.find((r) => !r.ok);
    if (failed) {
      throw new Error(`${a.name} failed: ${JSON.stringify(failed.error)}\n${out.stdout.slice(-4000)}`);
    }
    return out;
  }

  const settingsOf = <T>(role: Role): T => JSON.parse(fnOf(role).environment[SETTINGS[role].variable]) as T;

  describe(`${stack}: every function`, () => {
    it("is one of the functions these tests invoke (a new one needs its scenario here)", () => {
      const roleOf = (name: string) =>
        (Object.keys(FUNCTION_ROLES) as Role[]).filter((r) => name.endsWith(FUNCTION_ROLES[r]));
      expect([...artifacts.keys()].map((name) => ({ name, roles: roleOf(name) }))).toEqual(
        [...artifacts.keys()].map((name) => ({ name, roles: [expect.any(String)] })),
      );
      expect(artifacts.size).toBe(Object.keys(FUNCTION_ROLES).length);
    });

    it("binds no built-in method to a plain object in its serialized code (the guard)", () => {
      for (const a of artifacts.values()) {
        expect({ fn: a.name, findings: serializedCodeFindings(a.indexJs) }).toEqual({
          fn: a.name,
          findings: [],
        });
      }
    });

    it("ships exactly the dependencies its code requires, nothing else reachable, no type declarations", () => {
      for (const a of artifacts.values()) {
        const shipped = packageNames(a);
        // The package.json dependencies in the zip are the ones the serialized code requires (the `packages` list
        // plus Powertools): none missing, none extra.
        const shippedDependencies = shipped.filter((p) => p in packageJson.dependencies).sort();
        expect({ fn: a.name, dependencies: shippedDependencies }).toEqual({
          fn: a.name,
          dependencies: requiredPackages(a.indexJs),
        });
        expect({ fn: a.name, types: shipped.filter((p) => p.startsWith("@types/")) }).toEqual({
          fn: a.name,
          types: [],
        });
        // Nothing resolves from outside the zip: every dependency it leaves out stays out of reach.
        const resolveFromZip = createRequire(path.join(roots.get(a.name)!, "__index.js")).resolve;
        const reachable = Object.keys(packageJson.dependencies)
          .filter((d) => !shipped.includes(d))
          .filter((d) => {
            try {
              resolveFromZip(d);
              return true;
            } catch {
              return false;
            }
          });
        expect({ fn: a.name, reachable }).toEqual({ fn: a.name, reachable: [] });
      }
    });

    it("reads one settings variable, checked at cold start: a missing field stops it before any event, named", async () => {
      for (const role of Object.keys(FUNCTION_ROLES) as Role[]) {
        const { variable, required } = SETTINGS[role];
        const env = fnOf(role).environment;
        expect({ role, own: Object.keys(env).filter((k) => !PLATFORM_VARIABLES.includes(k)) }).toEqual({
          role,
          own: [variable],
        });
        const broken = { ...(JSON.parse(env[variable]) as Record<string, unknown>), [required]: undefined };
        const out = await runContainer(role, [{}], { [variable]: JSON.stringify(broken) });
        expect({ role, init: out.initError?.errorMessage, results: out.results }).toEqual({
          role,
          init: expect.stringContaining(`${variable} is invalid: ${required}: Invalid input`),
          results: [],
        });
      }
    }, 120_000);

    it("gets every environment value from an output the mocks return as AWS does", () => {
      // The jobs queue's URL, as SQS spells it (the provider's id of a queue).
      const url = settingsOf<PredictSettings>("predict").jobsQueueUrl;
      expect(url).toMatch(
        new RegExp(`^https://sqs\\.${region()}\\.amazonaws\\.com/${MOCK_ACCOUNT_ID}/[\\w-]+$`),
      );
      expect(run.ofType("aws:sqs/queue:Queue").map((q) => q.id)).toContain(url);
      expect(settingsOf<PredictSettings>("jobWorker").jobsQueueUrl).toBe(url);
      // No input anywhere was built from an output the mocks left undefined.
      const broken = run.resources
        .filter((r) => /(^|[^a-z])undefined([^a-z]|$)/i.test(JSON.stringify(r.inputs)))
        .map((r) => r.name);
      expect(broken).toEqual([]);
      expect(run.outputs.apiUrl).toMatch(
        new RegExp(`^https://[a-z0-9]{10}\\.execute-api\\.${region()}\\.amazonaws\\.com/api$`),
      );
    });
  });

  describe(`${stack}: predict`, () => {
    const schemas = new ApiSchemas(spec, createApiAjv());
    let jobId: string;
    let processed: string;

    beforeAll(async () => {
      processed = settingsOf<PredictSettings>("predict").processedBucket;
      await seedProcessed(aws, processed);
      // GET /v1/model reads the serving version's metrics.json where the promote function publishes it.
      const metrics = settingsOf<PredictSettings>("predict").modelMetrics!;
      await aws.s3.putObject({
        Bucket: metrics.bucket,
        Key: `${metrics.prefix}${endpoint.modelVersion}/metrics.json`,
        Body: apiModelMetricsJson(0.3, 0.4),
      });
    }, 120_000);

    const routeEvents = () => [
      apiEvent("GET", "/v1/health"),
      apiEvent("POST", "/v1/forecasts", { series: [{ warehouse_id: "WH1", sku: "SKU-1" }], horizon: 3 }),
      apiEvent("GET", "/v1/forecasts/WH1/SKU-2?horizon=7"),
      apiEvent("POST", "/v1/recommendations", { items: [{ warehouse_id: "WH2", sku: "SKU-1", on_hand: 0 }] }),
      apiEvent("POST", "/v1/forecast-jobs", {
        series: [
          { warehouse_id: "WH1", sku: "SKU-1" },
          { warehouse_id: "WH2", sku: "SKU-1" },
          { warehouse_id: "WH1", sku: "SKU-2" },
        ],
        horizon: 5,
      }),
      apiEvent("GET", "/v1/series"),
      apiEvent("GET", "/v1/series/WH1/SKU-1/history"),
      apiEvent("GET", "/v1/model"),
      apiEvent("GET", "/v1/model/series/WH2/SKU-1"),
      apiEvent("GET", "/v1/accuracy?days=30"),
      apiEvent("GET", "/v1/health"),
      apiEvent("GET", "/v1/nowhere"),
      apiEvent("DELETE", "/v1/forecasts"),
    ];

    it("answers every route of api/openapi.yaml as the spec declares, warm container included", async () => {
      const events = routeEvents();
      const out = await invoke("predict", events);
      // A 500 is a bug: show what the function logged about it.
      expect(out.logs.filter((l) => l.level === "ERROR" || l.level === "WARN")).toEqual([]);
      const answers = out.results.map((r, i) => {
        const res = r.value as { statusCode: number; body: string; headers: Record<string, string> };
        const ev = events[i];
        if (res.statusCode < 404)
          expect({
            route: `${ev.httpMethod} ${ev.path}`,
            errors: responseErrors(schemas, ev.httpMethod, ev.path, res),
          }).toEqual({ route: `${ev.httpMethod} ${ev.path}`, errors: [] });
        return {
          status: res.statusCode,
          body: JSON.parse(res.body) as Record<string, unknown>,
          headers: res.headers,
        };
      });
      const [
        health,
        forecasts,
        single,
        recs,
        job,
        series,
        history,
        model,
        seriesModel,
        accuracy,
        health2,
        missing,
        method,
      ] = answers;
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({
        model: { available: true, version: endpoint.modelVersion },
        data: { available: true },
      });
      expect(forecasts.status).toBe(200);
      expect(forecasts.body.model_version).toBe(endpoint.modelVersion);
      expect((forecasts.body.forecasts as { points: unknown[] }[])[0].points).toHaveLength(3);
      expect(single.status).toBe(200);
      expect(recs.status).toBe(200);
      expect((recs.body.recommendations as { inputs: Record<string, unknown> }[])[0].inputs).toMatchObject({
        lead_time_days: 4,
        pack_size: 10,
      });
      expect(job.status).toBe(202);
      jobId = job.body.job_id as string;
      expect(series.body.series).toHaveLength(standardSeries().length);
      expect(history.status).toBe(200);
      expect(model.status).toBe(200);
      // The version the endpoint serves, with its backtest read where the promote function publishes it.
      expect(model.body).toMatchObject({ model_version: endpoint.modelVersion, backtest: { horizon: 28 } });
      // One series' row of the same metrics.json: its errors per method and the method the model used.
      expect(seriesModel.body).toMatchObject({
        model_version: endpoint.modelVersion,
        warehouse_id: "WH2",
        sku: "SKU-1",
        method: "intermittent",
        scores: [
          { method: "model", mase: 1.0, rmsse: 0.9, wape: 0.5, bias: null, points: 56 },
          { method: "seasonal_naive", mase: 1.2, rmsse: 1.1, wape: 0.7, bias: 0.2, points: 56 },
        ],
      });
      expect(accuracy.status).toBe(200);
      expect((accuracy.body.rows as unknown[]).length).toBeGreaterThan(0);
      expect(health2.body.model).toEqual(health.body.model);
      expect(missing.status).toBe(404);
      expect(missing.headers["Content-Type"] ?? missing.headers["content-type"]).toMatch(/problem\+json/);
      expect(method.status).toBe(405);

      // The endpoint saw the health probe once (the second check in the warm container used the cache), both
      // forecasts and the recommendation's risk-grid request; every request followed schemas/endpoint.schema.json.
      const probes = endpoint.requests.filter((r) => r.request.series[0]?.id === "health-probe");
      expect(probes).toHaveLength(1);
      expect(endpoint.requests.some((r) => r.request.quantiles.length === RISK_GRID.length)).toBe(true);
      // Served forecasts went through Firehose into the raw bucket.
      const stream = run
        .ofType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
        .find((f) => (f.inputs.name ?? f.name) === settingsOf<PredictSettings>("predict").forecastStream)!;
      const destination = stream.inputs.extendedS3Configuration as { bucketArn: string };
      const logged = await aws.s3.listObjectsV2({
        Bucket: destination.bucketArn.replace("arn:aws:s3:::", ""),
        Prefix: "forecasts/",
      });
      expect(logged.KeyCount).toBeGreaterThan(0);
      // Metrics as EMF lines, and X-Ray subsegments for the AWS calls.
      expect(out.logs.some((l) => "_aws" in l)).toBe(true);
      // Each invocation runs in its own subsegment, so the operation annotation lands (on Lambda's facade
      // segment it would be dropped with a warning per request).
      const annotated = xray.segments
        .filter((seg) => seg.name === "## handlePredict")
        .map((seg) => (seg.annotations as Record<string, unknown>).operation);
      expect(annotated).toEqual(expect.arrayContaining(["getHealth", "createForecasts", "getAccuracy"]));
      expect(xray.segments.some((seg) => seg.name === "S3" && seg.parent_id)).toBe(true);
      expect(out.stderr).not.toMatch(/cannot annotate/i);
    }, 120_000);

    it("job worker: forecasts the job from an SQS batch, and predict then reports it done with result links", async () => {
      const queueUrl = settingsOf<PredictSettings>("jobWorker").jobsQueueUrl;
      const received = await aws.sqs.receiveMessage({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 });
      const messages = received.Messages ?? [];
      expect(messages.map((m) => JSON.parse(m.Body!).job_id)).toEqual([jobId]);
      const queueName = queueUrl.split("/").pop();
      const event: SQSEvent = {
        Records: messages.map((m) => ({
          messageId: m.MessageId!,
          receiptHandle: m.ReceiptHandle!,
          body: m.Body!,
          attributes: {
            ApproximateReceiveCount: "1",
            SentTimestamp: String(Date.now()),
            SenderId: "AIDAEXAMPLE",
            ApproximateFirstReceiveTimestamp: String(Date.now()),
          },
          messageAttributes: {},
          md5OfBody: m.MD5OfBody!,
          eventSource: "aws:sqs",
          eventSourceARN: `arn:aws:sqs:${region()}:${MOCK_ACCOUNT_ID}:${queueName}`,
          awsRegion: region(),
        })),
      };
      // A message that is not a job message rides along: it is reported for retry (and so ends in the
      // dead-letter queue), logged whole with the bad field named, and counted; the real one is forecast.
      const stray = { ...event.Records[0], messageId: "stray-1", body: '{"job_id":"j","cursor":-1}' };
      const worker = await invoke("jobWorker", [{ Records: [stray, ...event.Records] }]);
      expect(worker.results[0].value).toEqual({ batchItemFailures: [{ itemIdentifier: "stray-1" }] });
      expect(worker.logs.filter((l) => l.message === "event rejected")).toEqual([
        expect.objectContaining({
          messageId: "stray-1",
          event: stray.body,
          reason: expect.stringContaining("not a forecast job message: cursor: Too small"),
        }),
      ]);
      expect(worker.logs.some((l) => (l as { EventsRejected?: number }).EventsRejected === 1)).toBe(true);

      const status = await invoke("predict", [apiEvent("GET", `/v1/forecast-jobs/${jobId}`)]);
      const res = status.results[0].value as { statusCode: number; body: string };
      expect(responseErrors(schemas, "GET", `/v1/forecast-jobs/${jobId}`, res as never)).toEqual([]);
      const doc = JSON.parse(res.body) as {
        status: string;
        progress: Record<string, number>;
        result: { parts: { url: string; series_count: number }[] };
      };
      expect(doc.status).toBe("succeeded");
      expect(doc.progress).toEqual({ series_total: 3, series_done: 3, series_failed: 0 });
      // The presigned link points at the S3 endpoint the function used (here the front, in AWS S3).
      expect(doc.result.parts.map((p) => p.series_count)).toEqual([3]);
      const part = await fetch(doc.result.parts[0].url);
      expect(part.status).toBe(200);
      const lines = (await part.text())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { sku: string });
      expect(lines.map((l) => l.sku).sort()).toEqual(["SKU-1", "SKU-1", "SKU-2"]);
    }, 120_000);
  });

  describe(`${stack}: glue-trigger`, () => {
    it("an S3 Object Created event with earlier runs present starts a run, or waits when runs are batched", async () => {
      const settings = settingsOf<GlueTriggerSettings>("glueTrigger");
      const earlier = await aws.glue.startJobRun({ JobName: settings.jobName });
      const created = objectCreated(
        region(),
        settings.rawBucket,
        `${settings.eventsPrefix}dt=2026-12-01/part-1.ndjson.gz`,
      );
      const malformed = { ...created, detail: { bucket: { name: settings.rawBucket } } };
      const out = await invoke("glueTrigger", [
        malformed,
        created,
        scheduled(region(), ruleArn("-safety-net")),
      ]);
      const [onMalformed, onData, onSchedule] = out.results.map(
        (r) => r.value as { action: string; reason: string },
      );
      expect(onMalformed).toEqual({
        action: "rejected",
        reason: expect.stringContaining("detail.object: Invalid input"),
      });
      expect(out.logs.filter((l) => l.message === "event rejected")).toEqual([
        expect.objectContaining({ event: malformed }),
      ]);
      if ((settings.minIntervalMinutes ?? 0) > 0) {
        expect(onData).toMatchObject({ action: "skipped" });
        expect(onData.reason).toContain(`run ${earlier.JobRunId} started`);
      } else {
        expect(onData).toMatchObject({ action: "started" });
      }
      // The safety net is never batched.
      expect(onSchedule).toMatchObject({ action: "started", reason: "safety-net schedule" });
      const started = front.targets.filter((t) => t === "AWSGlue.StartJobRun").length;
      expect(started).toBe((settings.minIntervalMinutes ?? 0) > 0 ? 1 : 2);
    }, 120_000);
  });

  describe(`${stack}: tune, retrain and promote`, () => {
    let retrainSettings: RetrainSettings;
    let promoteSettings: PromoteSettings;
    let firstJob: string;
    let tunedJob: string;

    beforeAll(async () => {
      retrainSettings = settingsOf<RetrainSettings>("retrain");
      promoteSettings = settingsOf<PromoteSettings>("promote");
    });

    it("tune: starts a spot tuning job over the search space, records its best trial, and retraining uses it", async () => {
      const t = settingsOf<TuneSettings>("tune");
      const schedule = run
        .ofType("aws:cloudwatch/eventRule:EventRule")
        .find((r) => r.name.endsWith("-tuning-schedule"));
      // The schedule exists where config turns it on (prod); the event is the same scheduled event either way.
      const tick = scheduled(
        region(),
        schedule ? ruleArn("-tuning-schedule") : `arn:aws:events:${region()}:${MOCK_ACCOUNT_ID}:rule/manual`,
      );
      const before = await invoke("tune", [tick]);
      expect(before.results[0].value).toEqual({
        started: false,
        reason: `no training data under s3://${t.processedBucket}/${t.trainPrefix} yet`,
      });
      await aws.s3.putObject({
        Bucket: t.processedBucket,
        Key: `${t.trainPrefix}warehouse_id=WH1/part-0.parquet`,
        Body: "x",
      });
      const out = await invoke("tune", [tick]);
      const started = out.results[0].value as { started: boolean; tuningJobName: string };
      expect(started).toMatchObject({ started: true, maxJobs: t.maxJobs });
      const job = await aws.sagemaker.describeHyperParameterTuningJob({
        HyperParameterTuningJobName: started.tuningJobName,
      });
      const d = job.TrainingJobDefinition!;
      expect(d.EnableManagedSpotTraining).toBe(true);
      expect(d.VpcConfig).toEqual({ Subnets: t.subnetIds, SecurityGroupIds: t.securityGroupIds });
      expect([d.OutputDataConfig?.KmsKeyId, d.ResourceConfig?.VolumeKmsKeyId]).toEqual([
        t.kmsKeyArn,
        t.kmsKeyArn,
      ]);
      expect(d.StaticHyperParameters?.tuning_origins).toBe(String(t.tuningOrigins));
      expect(job.HyperParameterTuningJobConfig?.ResourceLimits).toEqual({
        MaxNumberOfTrainingJobs: t.maxJobs,
        MaxParallelTrainingJobs: t.maxParallelJobs,
        MaxRuntimeInSeconds: t.maxTuningRuntimeSeconds,
      });

      // What a real run would report as its best trial (moto's canned one is nobody's).
      front.setTuningBest(started.tuningJobName, {
        TrainingJobName: `${started.tuningJobName}-007-1a2b3c4d`,
        TrainingJobArn: `arn:aws:sagemaker:${region()}:${MOCK_ACCOUNT_ID}:training-job/${started.tuningJobName}-007-1a2b3c4d`,
        CreationTime: 1764561600,
        TrainingJobStatus: "Completed",
        TunedHyperParameters: { max_iter: '"400"', max_leaf_nodes: '"15"', weight_power: '"1"' },
        ObjectiveStatus: "Succeeded",
        FinalHyperParameterTuningJobObjectiveMetric: { MetricName: t.objective.metric, Value: 0.8123 },
      });
      // A state change without a job name is rejected (logged whole, counted), and nothing is written.
      const stray = eventBridge(
        region(),
        "SageMaker HyperParameter Tuning Job State Change",
        "aws.sagemaker",
        {
          HyperParameterTuningJobStatus: "Completed",
        },
      );
      const rejected = await invoke("tune", [stray]);
      expect(rejected.results[0].value).toMatchObject({ rejected: true });
      expect(rejected.logs.some((l) => l.message === "event rejected")).toBe(true);
      const done = await invoke("tune", [tuningCompleted(region(), started.tuningJobName)]);
      expect(done.results[0].value).toEqual({
        recorded: true,
        tuningJobName: started.tuningJobName,
        key: `${t.resultsPrefix}${started.tuningJobName}.json`,
        best: true,
      });
      const best = await aws.s3.getObject({ Bucket: t.artifactsBucket, Key: t.tunedParamsKey });
      const document = parseTunedParams(await best.Body!.transformToString(), t.tunedParamsKey);
      expect(document).toMatchObject({
        tuningJobName: started.tuningJobName,
        score: 0.8123,
        hyperParameters: { max_iter: "400", max_leaf_nodes: "15", weight_power: "1" },
      });
      expect(best.ServerSideEncryption).toBe("aws:kms");
      tunedJob = started.tuningJobName;
    }, 180_000);

    it("retrain: starts a spot training job when a run newer than the last training wrote rows", async () => {
      const s = retrainSettings;
      await putManifest(aws, s.processedBucket, `${s.runsPrefix}run-1.json`, 100);
      const run1 = await aws.s3.headObject({ Bucket: s.processedBucket, Key: `${s.runsPrefix}run-1.json` });
      // An earlier training (moto completes it at once) that saw run-1.
      await aws.sagemaker.createTrainingJob({
        TrainingJobName: `${s.jobNamePrefix}-20261101030000`,
        RoleArn: s.roleArn,
        AlgorithmSpecification: { TrainingImage: s.trainingImage, TrainingInputMode: "File" },
        OutputDataConfig: { S3OutputPath: `s3://${s.artifactsBucket}/${s.outputPrefix}` },
        ResourceConfig: {
          InstanceType: s.instanceType as "ml.m5.large",
          InstanceCount: 1,
          VolumeSizeInGB: 30,
        },
        StoppingCondition: { MaxRuntimeInSeconds: 60 },
        Tags: [
          { Key: TAG_DATA_RUN, Value: `${s.runsPrefix}run-1.json` },
          { Key: TAG_DATA_AS_OF, Value: run1.LastModified!.toISOString() },
        ],
      });
      await new Promise((r) => setTimeout(r, 1100)); // S3 LastModified has one-second resolution
      await putManifest(aws, s.processedBucket, `${s.runsPrefix}run-2.json`, 250);

      const out = await invoke("retrain", [scheduled(region(), ruleArn("-retrain-schedule"))]);
      const result = out.results[0].value as { started: boolean; trainingJobName: string; reason: string };
      expect(result).toMatchObject({
        started: true,
        reason: `${s.runsPrefix}run-2.json wrote 250 demand rows`,
      });
      firstJob = result.trainingJobName;
      const job = await aws.sagemaker.describeTrainingJob({ TrainingJobName: firstJob });
      expect(job.EnableManagedSpotTraining).toBe(s.spot);
      expect(job.VpcConfig).toEqual({ Subnets: s.subnetIds, SecurityGroupIds: s.securityGroupIds });
      expect(job.OutputDataConfig?.KmsKeyId).toBe(s.kmsKeyArn);
      expect(job.RoleArn).toBe(s.roleArn);
      expect(job.AlgorithmSpecification?.TrainingImage).toBe(s.trainingImage);
      // The tuning job recorded above handed its best hyperparameters to this training job.
      expect(result).toMatchObject({ tuned: tunedJob });
      expect(job.HyperParameters).toMatchObject({ max_iter: "400", max_leaf_nodes: "15", weight_power: "1" });
    }, 120_000);

    it("promote: a completed training job that beats the champion is registered and deployed", async () => {
      const p = promoteSettings;
      await putArtifact(aws, firstJob, 0.3, 0.4);
      const out = await invoke("promote", [trainingCompleted(region(), firstJob)]);
      expect(out.results[0].value).toMatchObject({ handled: true, record: { outcome: "promoted" } });
      const updates = front.answered.filter((c) => c.target === "SageMaker.UpdateEndpoint");
      expect(updates.map((u) => u.body.EndpointName)).toEqual([p.endpointName]);
      const config = await aws.sagemaker.describeEndpointConfig({
        EndpointConfigName: String(updates[0].body.EndpointConfigName),
      });
      expect(config.ProductionVariants?.[0]?.ModelName).toBeDefined();
      const packages = await aws.sagemaker.listModelPackages({ ModelPackageGroupName: p.modelPackageGroup });
      expect(packages.ModelPackageSummaryList?.map((x) => x.ModelApprovalStatus)).toEqual(["Approved"]);
      const decision = await aws.s3.getObject({
        Bucket: p.artifactsBucket,
        Key: `${p.decisionsPrefix}${firstJob}.json`,
      });
      expect(JSON.parse(await decision.Body!.transformToString())).toMatchObject({ outcome: "promoted" });
      expect(out.logs.some((l) => l.message === "promotion decision")).toBe(true);
    }, 120_000);

    it("promote: defers a winner while the endpoint is busy, and deploys it on the endpoint's next state change", async () => {
      const s = retrainSettings;
      const p = promoteSettings;
      await new Promise((r) => setTimeout(r, 1100));
      await putManifest(aws, s.processedBucket, `${s.runsPrefix}run-3.json`, 40);
      const retrained = await invoke("retrain", [scheduled(region(), ruleArn("-retrain-schedule"))]);
      const second = (retrained.results[0].value as { trainingJobName: string }).trainingJobName;
      await putArtifact(aws, second, 0.2, 0.3);

      front.setEndpointStatus(p.endpointName, "Updating");
      const busy = await invoke("promote", [trainingCompleted(region(), second)]);
      expect(busy.results[0].value).toMatchObject({ handled: true, deferred: true, trainingJob: second });
      const marker = await aws.s3.listObjectsV2({
        Bucket: p.artifactsBucket,
        Prefix: `${p.decisionsPrefix}deferred/`,
      });
      expect(marker.Contents?.map((o) => o.Key)).toEqual([`${p.decisionsPrefix}deferred/${second}.json`]);

      front.setEndpointStatus(p.endpointName, undefined);
      const redriven = await invoke("promote", [endpointChanged(region(), p.endpointName)]);
      expect(redriven.results[0].value).toMatchObject({
        handled: true,
        redriven: [{ record: { outcome: "promoted" } }],
        waiting: 0,
      });
      expect(front.answered.filter((c) => c.target === "SageMaker.UpdateEndpoint")).toHaveLength(2);
    }, 180_000);
  });
}

async function putManifest(aws: MotoClients, bucket: string, key: string, rows: number): Promise<void> {
  const runId = path.basename(key, ".json");
  await aws.s3.putObject({
    Bucket: bucket,
    Key: key,
    Body: JSON.stringify({ run_id: runId, finished_at: new Date().toISOString(), demand_rows_written: rows }),
  });
}

/** The trained model.tar.gz at the job's artifact location, with its backtest against the champion. */
async function putArtifact(
  aws: MotoClients,
  job: string,
  challenger: number,
  champion: number,
): Promise<void> {
  const d = await aws.sagemaker.describeTrainingJob({ TrainingJobName: job });
  const uri = new URL(d.ModelArtifacts!.S3ModelArtifacts!);
  await aws.s3.putObject({
    Bucket: uri.host,
    Key: uri.pathname.slice(1),
    Body: tarGzBytes([
      { path: "metrics.json", content: metricsJson(challenger, champion) },
      { path: "model_version", content: `v-${job}` },
    ]),
  });
}

/** series_state Parquet, the item master, a run manifest and accuracy Parquet, as the ETL leaves them. */
async function seedProcessed(aws: MotoClients, bucket: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-processed-"));
  writeSeriesState(dir, standardSeries());
  const script = `
import sys, os, pyarrow as pa, pyarrow.parquet as pq
rows = [dict(group=g, model_version=m, n=n, abs_error=5.0, actual=20.0, error=-2.0, wape=0.25, bias=-0.1)
        for g, m, n in [("__all__", "__all__", 4), ("WH1", "__all__", 3)]]
os.makedirs(f"{sys.argv[1]}/accuracy/date=2018-05-01", exist_ok=True)
pq.write_table(pa.Table.from_pylist(rows), f"{sys.argv[1]}/accuracy/date=2018-05-01/part-0.parquet")
`;
  const py = spawnSync(path.join(REPO_ROOT, ".venv", "bin", "python"), ["-c", script, dir], {
    encoding: "utf8",
  });
  if (py.status !== 0) throw new Error(py.stderr);
  const walk = (d: string): string[] =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const file of walk(dir)) {
    const Key = path.relative(dir, file).split(path.sep).join("/");
    await aws.s3.putObject({ Bucket: bucket, Key, Body: fs.readFileSync(file) });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  await aws.s3.putObject({
    Bucket: bucket,
    Key: "item_master/items.csv",
    Body: "warehouse_id,sku,lead_time_days,pack_size\n*,SKU-1,4,10\n",
  });
  await putManifest(aws, bucket, "runs/run-0.json", 500);
}

function eventBridge(
  region: string,
  detailType: string,
  source: string,
  detail: unknown,
  resources: string[] = [],
) {
  return {
    version: "0",
    id: `evt-${Math.random().toString(16).slice(2)}`,
    "detail-type": detailType,
    source,
    account: MOCK_ACCOUNT_ID,
    time: new Date().toISOString(),
    region,
    resources,
    detail,
  };
}

function objectCreated(region: string, bucket: string, key: string) {
  return eventBridge(
    region,
    "Object Created",
    "aws.s3",
    {
      version: "0",
      bucket: { name: bucket },
      // EventBridge spells keys URL-encoded.
      object: { key: encodeURIComponent(key).replace(/%2F/g, "/"), size: 120, etag: "0123456789abcdef" },
      "request-id": "REQ1",
      requester: MOCK_ACCOUNT_ID,
      reason: "PutObject",
    },
    [`arn:aws:s3:::${bucket}`],
  );
}

function scheduled(region: string, ruleArn: string) {
  return eventBridge(region, "Scheduled Event", "aws.events", {}, [ruleArn]);
}

function trainingCompleted(region: string, job: string) {
  return eventBridge(region, "SageMaker Training Job State Change", "aws.sagemaker", {
    TrainingJobName: job,
    TrainingJobStatus: "Completed",
  });
}

function tuningCompleted(region: string, job: string) {
  return eventBridge(region, "SageMaker HyperParameter Tuning Job State Change", "aws.sagemaker", {
    HyperParameterTuningJobName: job,
    HyperParameterTuningJobStatus: "Completed",
  });
}

function endpointChanged(region: string, endpointName: string) {
  return eventBridge(region, "SageMaker Endpoint State Change", "aws.sagemaker", {
    EndpointName: endpointName,
    EndpointStatus: "IN_SERVICE",
  });
}
