/**
 * PredictionApi under mocks, dev and prod: the REST API is the spec plus integrations/validators/gateway
 * responses, keys + usage plan from config, access logs to an encrypted group, metrics, X-Ray, private λ with a
 * least-privilege role, and the jobs queue/worker.
 */
import * as path from "node:path";
import { parseSettings } from "../../functions/lambda-wiring";
import { PREDICT_SETTINGS_VARIABLE, predictSettingsSchema } from "../../functions/predict/settings";
import { runStack, type RegisteredResource, type StackRun } from "../harness";
import { spec } from "../functions/predict-support";

const PROGRAM = path.join(__dirname, "programs", "prediction-api.ts");
let dev: StackRun;
let prod: StackRun;
let notOwner: StackRun;
beforeAll(async () => {
  dev = await runStack("dev", { program: PROGRAM });
  prod = await runStack("prod", { program: PROGRAM });
  notOwner = await runStack("dev", {
    program: PROGRAM,
    overrides: { "warecast:accountSharedResources": "false" },
  });
}, 600_000);

it("leaves the account's API Gateway CloudWatch role to its owner when accountSharedResources is false", () => {
  expect(notOwner.ofType("aws:apigateway/account:Account")).toEqual([]);
  expect(notOwner.ofType("aws:iam/role:Role").filter((r) => r.name.endsWith("-api-cloudwatch"))).toEqual([]);
  expect(notOwner.ofType("aws:apigateway/stage:Stage")).toHaveLength(1);
});

type Stmt = { Sid?: string; Action: string | string[]; Resource: string | string[] };
const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v) as Record<string, unknown>;
const one = (run: StackRun, type: string): RegisteredResource => {
  const all = run.ofType(type);
  expect(all).toHaveLength(1);
  return all[0];
};
const fn = (run: StackRun, suffix: string) =>
  run.ofType("aws:lambda/function:Function").find((f) => f.name.endsWith(suffix))!;
/** The function's settings, parsed with the schema its handler parses them with at cold start. */
const predictSettings = (f: RegisteredResource) =>
  parseSettings(
    predictSettingsSchema(),
    PREDICT_SETTINGS_VARIABLE,
    (f.inputs.environment as { variables: Record<string, string> }).variables[PREDICT_SETTINGS_VARIABLE],
  );
const statementsOf = (run: StackRun, suffix: string): Stmt[] => {
  const policy = run
    .ofType("aws:iam/rolePolicy:RolePolicy")
    .find((p) => p.name.endsWith(`${suffix}-policy`))!;
  return json(policy.inputs.policy).Statement as Stmt[];
};

describe.each(["dev", "prod"])("%s stack", (stack) => {
  const run = () => (stack === "dev" ? dev : prod);

  it("owns the account's API Gateway CloudWatch role (accountSharedResources) and creates the stage after it", () => {
    const account = one(run(), "aws:apigateway/account:Account");
    const role = run()
      .ofType("aws:iam/role:Role")
      .find((r) => r.name === `warecast-${stack}-api-cloudwatch`)!;
    expect(account.inputs.cloudwatchRoleArn).toBe(`arn:aws:iam::123456789012:role/${role.id}`);
    expect(json(role.inputs.assumeRolePolicy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    // Other stacks' stages rely on the account setting: the role outlives this stack.
    expect(role.retainOnDelete).toBe(true);
    const policy = run()
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .find((p) => p.name === `warecast-${stack}-api-cloudwatch`)!;
    const groups = "arn:aws:logs:eu-west-1:123456789012:log-group:*";
    expect(json(policy.inputs.policy).Statement).toEqual([
      {
        Sid: "ApiGatewayWritesLogs",
        Effect: "Allow",
        Action: [
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:DescribeLogGroups",
          "logs:DescribeLogStreams",
          "logs:PutLogEvents",
          "logs:GetLogEvents",
          "logs:FilterLogEvents",
        ],
        Resource: [groups, `${groups}:log-stream:*`],
      },
    ]);
    expect(account.dependencies).toContain(policy.urn);
    expect(one(run(), "aws:apigateway/stage:Stage").dependencies).toContain(account.urn);
  });

  it("imports the spec as a regional REST API, with proxy integrations, validators and problem+json gateway responses", () => {
    const api = one(run(), "aws:apigateway/restApi:RestApi");
    expect(api.inputs.endpointConfiguration).toEqual({ types: "REGIONAL" });
    expect(run().byUrn(api.parent!).type).toBe("warecast:api:PredictionApi");
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a free-form OpenAPI document
    const doc = json(api.inputs.body) as Record<string, any>;
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(spec.paths).sort());
    expect(doc.components.schemas.ForecastRequest.required).toEqual(
      (spec.components.schemas.ForecastRequest as { required: string[] }).required,
    );
    const post = doc.paths["/v1/forecasts"].post;
    expect(post["x-amazon-apigateway-integration"]).toMatchObject({ type: "aws_proxy", httpMethod: "POST" });
    expect(post["x-amazon-apigateway-integration"].uri).toContain(":lambda:path/2015-03-31/functions/");
    expect(post["x-amazon-apigateway-request-validator"]).toBe("body-and-params");
    expect(doc.paths["/v1/health"].get["x-amazon-apigateway-request-validator"]).toBe("params-only");
    for (const item of Object.values(doc.paths) as Record<string, { security: unknown }>[]) {
      for (const op of Object.values(item)) expect(op.security).toEqual([{ api_key: [] }]);
    }
    const responses = doc["x-amazon-apigateway-gateway-responses"];
    expect(responses.INVALID_API_KEY.statusCode).toBe("403");
    expect(responses.THROTTLED.responseParameters["gatewayresponse.header.Retry-After"]).toBe("'1'");
    expect(responses.BAD_REQUEST_BODY.responseParameters["gatewayresponse.header.Content-Type"]).toBe(
      "'application/problem+json'",
    );
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"example"');
    // Only schema refs remain (API Gateway turns them into models); responses, headers, parameters are inlined.
    expect(
      [...text.matchAll(/"\$ref":"([^"]+)"/g)].every((m) => m[1].startsWith("#/components/schemas/")),
    ).toBe(true);
    expect(doc.paths["/v1/forecasts"].post.responses["503"].headers["Retry-After"].schema).toEqual({
      type: "integer",
      minimum: 1,
    });
  });

  it("routes every other method of a path to the function (405 with Allow there), and keeps the HTTP limits' problems", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a free-form OpenAPI document
    const doc = json(one(run(), "aws:apigateway/restApi:RestApi").inputs.body) as Record<string, any>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- path items of that document
    for (const [path, item] of Object.entries(doc.paths) as [string, Record<string, any>][]) {
      const any = item["x-amazon-apigateway-any-method"];
      expect(any["x-amazon-apigateway-integration"]).toEqual(
        (item.get ?? item.post)["x-amazon-apigateway-integration"],
      );
      expect(any.security).toEqual([{ api_key: [] }]);
      expect(any.parameters.map((p: { name: string }) => p.name)).toEqual(
        [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
      );
    }
    const tooLarge = doc["x-amazon-apigateway-gateway-responses"].REQUEST_TOO_LARGE;
    expect(tooLarge.statusCode).toBe("413");
    expect(
      JSON.parse(tooLarge.responseTemplates["application/json"].replace("$context.requestId", "r")).type,
    ).toBe("https://warecast.dev/problems/body-too-large");
    // The document carries the stack's per-call limit, the one the function enforces.
    const limit = Number(run().config["warecast:apiMaxSeriesPerRequest"] ?? 100);
    expect(doc.components.schemas.ForecastRequest.properties.series.maxItems).toBe(limit);
    expect(doc.components.schemas.RecommendationRequest.properties.items.maxItems).toBe(limit);
  });

  it("throttles and caps each key by the stack's config, and every method needs a key", () => {
    const cfg = run().config;
    const plan = one(run(), "aws:apigateway/usagePlan:UsagePlan");
    expect(plan.inputs.throttleSettings).toEqual({
      rateLimit: Number(cfg["warecast:apiRateLimit"]),
      burstLimit: Number(cfg["warecast:apiBurstLimit"]),
    });
    expect(plan.inputs.quotaSettings).toEqual({
      limit: Number(cfg["warecast:apiDailyQuota"]),
      period: "DAY",
    });
    expect(one(run(), "aws:apigateway/usagePlanKey:UsagePlanKey").inputs.keyType).toBe("API_KEY");
    const settings = one(run(), "aws:apigateway/methodSettings:MethodSettings").inputs.settings as Record<
      string,
      unknown
    >;
    expect(settings).toMatchObject({
      metricsEnabled: true,
      throttlingRateLimit: Number(cfg["warecast:apiRateLimit"]),
    });
  });

  it("logs stage access to a KMS-encrypted group and traces with X-Ray", () => {
    const stage = one(run(), "aws:apigateway/stage:Stage");
    expect(stage.inputs.xrayTracingEnabled).toBe(true);
    const dest = (stage.inputs.accessLogSettings as { destinationArn: string }).destinationArn;
    const group = run()
      .ofType("aws:cloudwatch/logGroup:LogGroup")
      .find((g) => g.inputs.name === `/warecast/${stack}/apigateway/warecast-${stack}-api`)!;
    expect(group.inputs.kmsKeyId).toMatch(/^arn:aws:kms:/);
    expect(dest).toContain(`warecast-${stack}-api`);
  });

  it("runs predict in private subnets with X-Ray, and lets only API Gateway invoke it", () => {
    const predict = fn(run(), "-api-predict");
    expect(predict.inputs.tracingConfig).toEqual({ mode: "Active" });
    expect((predict.inputs.vpcConfig as { subnetIds: string[] }).subnetIds.length).toBeGreaterThanOrEqual(2);
    expect(predict.inputs.timeout).toBe(28);
    expect(predictSettings(predict).endpointName).toBe(`warecast-${stack}-forecast`);
    const perm = one(run(), "aws:lambda/permission:Permission");
    expect(perm.inputs).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "apigateway.amazonaws.com",
    });
  });

  it("grants InvokeEndpoint on its own endpoint only, and reads only the processed prefixes it needs", () => {
    const stmts = statementsOf(run(), "-api-predict");
    const invoke = stmts.filter((s) => [s.Action].flat().some((a) => a.startsWith("sagemaker:")));
    expect(invoke).toEqual([
      {
        Sid: "InvokeOwnEndpoint",
        Effect: "Allow",
        Action: "sagemaker:InvokeEndpoint",
        Resource: `arn:aws:sagemaker:eu-west-1:123456789012:endpoint/warecast-${stack}-forecast`,
      },
    ]);
    const reads = stmts.find((s) => s.Sid === "ReadProcessedPrefixes")!;
    expect([reads.Resource].flat().map((r) => r.split("/").slice(1).join("/"))).toEqual([
      "series_state/*",
      "item_master/*",
      "runs/*",
      "accuracy/*",
    ]);
    for (const s of stmts) {
      for (const a of [s.Action].flat()) expect(a === "*" || a.endsWith(":*")).toBe(false);
    }
    expect(stmts.find((s) => s.Sid === "LogServedForecasts")!.Resource).toContain("forecast-log");
  });

  it("reads each model version's published metrics.json (GET /v1/model) from the artifacts bucket's models/ only", () => {
    expect(predictSettings(fn(run(), "-api-predict")).modelMetrics).toEqual({
      bucket: `warecast-${stack}-artifacts`,
      prefix: "models/",
    });
    const stmts = statementsOf(run(), "-api-predict");
    expect(stmts.find((s) => s.Sid === "ReadModelMetrics")).toEqual({
      Sid: "ReadModelMetrics",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::warecast-${stack}-artifacts/models/*`,
    });
    expect(stmts.find((s) => s.Sid === "ListModelMetrics")).toMatchObject({
      Action: "s3:ListBucket",
      Resource: `arn:aws:s3:::warecast-${stack}-artifacts`,
      Condition: { StringLike: { "s3:prefix": ["models/*"] } },
    });
  });

  it("runs bulk jobs through an encrypted queue with a dead-letter queue and a 15-minute worker", () => {
    const queues = run().ofType("aws:sqs/queue:Queue");
    expect(queues).toHaveLength(2);
    for (const q of queues) expect(q.inputs.kmsMasterKeyId).toMatch(/^arn:aws:kms:/);
    const main = queues.find((q) => q.inputs.redrivePolicy)!;
    expect(json(main.inputs.redrivePolicy).maxReceiveCount).toBe(5);
    expect(main.inputs.visibilityTimeoutSeconds).toBe(960);
    expect(fn(run(), "-api-job-worker").inputs.timeout).toBe(900);
    const mapping = one(run(), "aws:lambda/eventSourceMapping:EventSourceMapping");
    expect(mapping.inputs).toMatchObject({
      batchSize: 1,
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
    expect(statementsOf(run(), "-api-job-worker").map((s) => s.Sid)).toContain("ConsumeJobs");
  });
});

it("protects the jobs bucket where the stack protects storage (prod), not in dev", () => {
  const jobs = (run: StackRun) =>
    run.ofType("aws:s3/bucket:Bucket").find((b) => b.name.endsWith("-api-jobs"))!;
  expect([jobs(dev).protect, jobs(prod).protect]).toEqual([false, true]);
});

it("reserves predict concurrency where the stack config sets it", () => {
  expect(fn(prod, "-api-predict").inputs.reservedConcurrentExecutions).toBe(
    Number(prod.config["warecast:apiReservedConcurrency"]),
  );
});
