/**
 * ForecastModel under mocks, dev and prod (tests/components/programs/forecast-model.ts wires it as index.ts does):
 * the endpoint's lifecycle (fixed name, bootstrap model, ignoreChanges), serving per stack (serverless vs
 * autoscaled instances with blue/green), the training request the retrain function will send (spot, checkpoint,
 * VPC, KMS), the schedule and the completion rule, and the scope of every role.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { bootstrapModelSpec } from "../../components/forecast-model/serving";
import { buildTrainingJobRequest } from "../../functions/model/training-job";
import type { PromoteSettings, RetrainSettings } from "../../functions/model/settings";
import { TuneSettingsSchema } from "../../functions/model/tuning-settings";
import { MOCK_ACCOUNT_ID, runStack, type RegisteredResource, type StackRun } from "../harness";

const PROGRAM = path.join(__dirname, "programs", "forecast-model.ts");
const REGION = "eu-west-1";
const SEARCH_FILE = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "..", "model", "search_space.json"), "utf8"),
) as { space: Record<string, number[]>; objective: { metric: string; type: string } };
const IMAGE = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3";

let dev: StackRun;
let prod: StackRun;
beforeAll(async () => {
  dev = await runStack("dev", { program: PROGRAM });
  prod = await runStack("prod", { program: PROGRAM });
}, 240_000);

type Stmt = { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown };
const json = <T>(v: unknown) => (typeof v === "string" ? JSON.parse(v) : v) as T;
const one = (run: StackRun, type: string, suffix = ""): RegisteredResource => {
  const hits = run.ofType(type).filter((r) => r.name.endsWith(suffix));
  expect(hits.map((h) => h.name)).toHaveLength(1);
  return hits[0];
};
const env = (run: StackRun, fn: string) =>
  (
    one(run, "aws:lambda/function:Function", `-model-${fn}`).inputs.environment as {
      variables: Record<string, string>;
    }
  ).variables;
const retrainSettings = (run: StackRun) =>
  json<RetrainSettings>(env(run, "retrain").WARECAST_RETRAIN_SETTINGS);
const promoteSettings = (run: StackRun) =>
  json<PromoteSettings>(env(run, "promote").WARECAST_PROMOTE_SETTINGS);
const statements = (run: StackRun, policySuffix: string) =>
  json<{ Statement: Stmt[] }>(one(run, "aws:iam/rolePolicy:RolePolicy", policySuffix).inputs.policy)
    .Statement;
const sid = (list: Stmt[], id: string) => {
  const s = list.find((x) => x.Sid === id);
  if (!s) throw new Error(`no statement ${id} in ${list.map((x) => x.Sid).join(", ")}`);
  return s;
};
const keyArn = (run: StackRun) =>
  `arn:aws:kms:${REGION}:${MOCK_ACCOUNT_ID}:key/${run.ofType("aws:kms/key:Key")[0].id}`;
// Under mocks the awsx VPC is one resource; its outputs are the subnet ids.
const privateSubnetIds = (run: StackRun) =>
  run.ofType("awsx:ec2:Vpc")[0].outputs.privateSubnetIds as string[];
// Every resource's URN as ForecastModel made them before it had endpoint, retraining and promotion children
// (type chain :: name, as the engine builds URNs; recorded at the commit before the split).
const URNS_BEFORE_SPLIT = JSON.parse(
  fs.readFileSync(path.join(__dirname, "fixtures", "forecast-model-urns.json"), "utf8"),
) as Record<string, string[]>;
const CHILD_COMPONENTS = [
  "warecast:model:ModelEndpoint",
  "warecast:model:Retraining",
  "warecast:model:Promotion",
  "warecast:model:ModelTuning",
];
/**
 * A resource's type chain as the engine builds URNs (every ancestor's type; the mocks keep only the parent's).
 * `former` follows an alias to a former parent, as the engine does, and children inherit their parent's alias.
 */
const typeChain = (run: StackRun, r: RegisteredResource, former: boolean): string => {
  const parentUrn = (former ? r.aliases.find((a) => a.parentUrn)?.parentUrn : undefined) ?? r.parent;
  const parent = parentUrn ? run.byUrn(parentUrn) : undefined;
  return !parent || parent.type === "pulumi:pulumi:Stack"
    ? r.type
    : `${typeChain(run, parent, former)}$${r.type}`;
};
const sagemakerSg = (run: StackRun) => one(run, "aws:ec2/securityGroup:SecurityGroup", "-model-sagemaker").id;

describe.each(["dev", "prod"])("%s stack", (stack) => {
  const run = () => (stack === "dev" ? dev : prod);
  const prefix = `warecast-${stack}-forecast`;

  it("owns the endpoint under a fixed name and never reverts a promotion's endpoint config", () => {
    const endpoint = one(run(), "aws:sagemaker/endpoint:Endpoint");
    expect(endpoint.inputs.name).toBe(prefix);
    expect(endpoint.ignoreChanges).toEqual(["endpointConfigName", "deploymentConfig"]);
    const config = one(run(), "aws:sagemaker/endpointConfiguration:EndpointConfiguration");
    expect(endpoint.inputs.endpointConfigName).toBe(config.inputs.name);
    expect(run().outputs).toMatchObject({
      forecastEndpointName: prefix,
      modelPackageGroupName: prefix,
      artifactsBucketName: `warecast-${stack}-artifacts`,
    });
    expect(one(run(), "aws:sagemaker/modelPackageGroup:ModelPackageGroup").inputs.modelPackageGroupName).toBe(
      prefix,
    );
  });

  it("keeps the endpoint's model and config through program changes: content-named, retained, never deleted first", () => {
    const model = one(run(), "aws:sagemaker/model:Model", "-model-bootstrap");
    const config = one(run(), "aws:sagemaker/endpointConfiguration:EndpointConfiguration");
    for (const r of [model, config]) {
      expect({ name: r.name, retain: r.retainOnDelete, deleteFirst: r.deleteBeforeReplace }).toEqual({
        name: r.name,
        retain: true,
        deleteFirst: false,
      });
    }
    // The name is the hash of what CreateModel sends (the promotion path's builder).
    const primary = model.inputs.primaryContainer as {
      image: string;
      modelDataUrl: string;
      environment: Record<string, string>;
    };
    expect(model.inputs.name).toBe(
      bootstrapModelSpec(prefix, {
        roleArn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${one(run(), "aws:iam/role:Role", "-model-sagemaker").id}`,
        image: primary.image,
        modelDataUrl: primary.modelDataUrl,
        environment: primary.environment,
        serving: promoteSettings(run()).serving,
      }).name,
    );
    expect(config.inputs.name).toMatch(new RegExp(`^${model.inputs.name as string}-[0-9a-f]{8}$`));
    // SageMaker's own log groups exist before the endpoint and the jobs write to them.
    const endpointLogs = run()
      .ofType("aws:cloudwatch/logGroup:LogGroup")
      .find((g) => g.inputs.name === `/aws/sagemaker/Endpoints/${prefix}`)!;
    const trainingLogs = run()
      .ofType("aws:cloudwatch/logGroup:LogGroup")
      .find((g) => g.inputs.name === "/aws/sagemaker/TrainingJobs")!;
    for (const g of [endpointLogs, trainingLogs]) {
      expect(g.inputs).toMatchObject({ kmsKeyId: keyArn(run()), retentionInDays: stack === "prod" ? 90 : 7 });
    }
    expect(one(run(), "aws:sagemaker/endpoint:Endpoint").dependencies).toEqual(
      expect.arrayContaining([endpointLogs.urn, trainingLogs.urn]),
    );
    expect(one(run(), "warecast:foundation:PrivateFunction", "-model-retrain").dependencies).toEqual(
      expect.arrayContaining([endpointLogs.urn, trainingLogs.urn]),
    );
    // storageProtect: prod's registry survives `pulumi destroy` (SageMaker cannot delete a group with packages).
    const registry = one(run(), "aws:sagemaker/modelPackageGroup:ModelPackageGroup");
    expect([registry.protect, registry.retainOnDelete]).toEqual(
      stack === "prod" ? [true, true] : [false, false],
    );
  });

  it("keeps every resource's URN from before the split into children: moved resources alias their former parent", () => {
    const model = one(run(), "warecast:model:ForecastModel");
    // ModelTuning came after the split (issue 21): its resources are new, not moved.
    const tuning = one(run(), "warecast:model:ModelTuning");
    const added = [
      tuning.urn,
      ...run()
        .descendantsOf(tuning.urn)
        .map((r) => r.urn),
    ];
    const resources = run()
      .descendantsOf(model.urn)
      .filter((r) => !CHILD_COMPONENTS.includes(r.type) && !added.includes(r.urn));
    const former = resources.map((r) => `${typeChain(run(), r, true)}::${r.name}`).sort();
    expect(former).toEqual(URNS_BEFORE_SPLIT[stack]);
    // The aliases are needed: the endpoint and both functions now sit under a child.
    const moved = resources.filter((r) => typeChain(run(), r, false) !== typeChain(run(), r, true));
    expect(moved.map((r) => r.name)).toEqual(
      expect.arrayContaining([`${model.name}-endpoint`, `${model.name}-retrain`, `${model.name}-promote`]),
    );
    expect(
      run()
        .ofType("warecast:model:ModelEndpoint")
        .map((c) => c.parent),
    ).toEqual([model.urn]);
  });

  it("first serves the bootstrap baseline built from model/, with its code inside the artifact", () => {
    const model = one(run(), "aws:sagemaker/model:Model", "-model-bootstrap");
    const bootstrap = one(run(), "aws:s3/bucketObjectv2:BucketObjectv2", "-bootstrap-artifact");
    expect(bootstrap.inputs).toMatchObject({
      bucket: `warecast-${stack}-artifacts`,
      serverSideEncryption: "aws:kms",
      kmsKeyId: keyArn(run()),
    });
    expect(bootstrap.inputs.key).toMatch(/^bootstrap\/[0-9a-f]{16}\/model\.tar\.gz$/);
    expect(model.inputs.name).toMatch(new RegExp(`^${prefix}-bootstrap-[0-9a-f]{8}$`));
    expect(model.inputs.primaryContainer).toEqual({
      image: IMAGE,
      modelDataUrl: `s3://warecast-${stack}-artifacts/${bootstrap.inputs.key as string}`,
      environment: {
        SAGEMAKER_PROGRAM: "inference.py",
        SAGEMAKER_SUBMIT_DIRECTORY: "/opt/ml/model/code",
        SAGEMAKER_REGION: REGION,
        SAGEMAKER_CONTAINER_LOG_LEVEL: "20",
        // The stack's model server workers: prod's ml.m5.large has 2 vCPUs, dev's serverless container 1.
        SAGEMAKER_MODEL_SERVER_WORKERS: stack === "prod" ? "2" : "1",
      },
    });
    expect(run().outputs.bootstrapVersion).toMatch(/^bootstrap-[0-9a-f]{12}$/);
  });

  it("sends spot training with checkpoints, a max wait, private subnets, KMS and metric definitions", () => {
    const s = retrainSettings(run());
    const req = buildTrainingJobRequest(s, {
      jobName: `${prefix}-20261128030000`,
      data: { key: "runs/r.json", lastModified: new Date(0) },
      champion: { modelName: "m", modelDataUrl: "s3://a/m.tar.gz" },
    });
    const [runtime, wait] = stack === "dev" ? [1800, 3600] : [7200, 14400];
    expect(req.EnableManagedSpotTraining).toBe(true);
    expect(req.StoppingCondition).toEqual({ MaxRuntimeInSeconds: runtime, MaxWaitTimeInSeconds: wait });
    expect(req.CheckpointConfig).toEqual({
      S3Uri: `s3://warecast-${stack}-artifacts/checkpoints/${prefix}-20261128030000/`,
      LocalPath: "/opt/ml/checkpoints",
    });
    expect(req.VpcConfig).toEqual({
      Subnets: privateSubnetIds(run()),
      SecurityGroupIds: [sagemakerSg(run())],
    });
    expect(req.OutputDataConfig).toEqual({
      S3OutputPath: `s3://warecast-${stack}-artifacts/training/`,
      KmsKeyId: keyArn(run()),
    });
    expect(req.ResourceConfig?.VolumeKmsKeyId).toBe(keyArn(run()));
    expect(req.ResourceConfig?.InstanceType).toBe(stack === "dev" ? "ml.m5.large" : "ml.m5.xlarge");
    expect(req.AlgorithmSpecification?.TrainingImage).toBe(IMAGE);
    expect(req.AlgorithmSpecification?.MetricDefinitions).toContainEqual({
      Name: "backtest:model:wape",
      Regex: "metric model_wape=([-+0-9.eE]+)",
    });
    expect(req.HyperParameters).toMatchObject({ freq: "D", horizon: "28", sagemaker_program: '"train.py"' });
    const source = one(run(), "aws:s3/bucketObjectv2:BucketObjectv2", "-model-sourcedir");
    expect(s.sourceDirUri).toBe(`s3://warecast-${stack}-artifacts/${source.inputs.key as string}`);
    expect(source.inputs.key).toMatch(/^code\/sourcedir-[0-9a-f]{16}\.tar\.gz$/);
  });

  it("checks for new data on the configured schedule, and promotes on this stack's completed training jobs", () => {
    const schedule = one(run(), "aws:cloudwatch/eventRule:EventRule", "-retrain-schedule");
    expect(schedule.inputs.scheduleExpression).toBe("cron(0 3 ? * MON *)");
    const retrainFn = one(run(), "aws:lambda/function:Function", "-model-retrain");
    const target = one(run(), "aws:cloudwatch/eventTarget:EventTarget", "-model-retrain");
    expect(target.inputs).toMatchObject({
      rule: `warecast-${stack}-model-retrain-schedule`,
      arn: `arn:aws:lambda:${REGION}:${MOCK_ACCOUNT_ID}:function:${retrainFn.id}`,
    });
    const permission = one(run(), "aws:lambda/permission:Permission", "-model-retrain");
    expect(permission.inputs).toMatchObject({
      principal: "events.amazonaws.com",
      action: "lambda:InvokeFunction",
    });
    expect(permission.inputs.sourceArn).toMatch(new RegExp(`/warecast-${stack}-model-retrain-schedule$`));
    const completed = one(run(), "aws:cloudwatch/eventRule:EventRule", "-training-completed");
    expect(json(completed.inputs.eventPattern)).toEqual({
      source: ["aws.sagemaker"],
      "detail-type": ["SageMaker Training Job State Change"],
      detail: { TrainingJobStatus: ["Completed"], TrainingJobName: [{ prefix: `${prefix}-` }] },
    });
    expect(retrainSettings(run()).jobNamePrefix).toBe(prefix);
    expect(promoteSettings(run()).gate).toEqual({ metric: "wape", tolerance: 0.02 });
    // Promoted models are served with the bootstrap model's worker count.
    expect(promoteSettings(run()).modelServerWorkers).toBe(stack === "prod" ? 2 : 1);
  });

  it("decides deferred promotions again when this stack's endpoint changes state", () => {
    const changed = one(run(), "aws:cloudwatch/eventRule:EventRule", "-endpoint-changed");
    expect(json(changed.inputs.eventPattern)).toEqual({
      source: ["aws.sagemaker"],
      "detail-type": ["SageMaker Endpoint State Change"],
      detail: { EndpointName: [prefix] },
    });
    const promoteFn = one(run(), "aws:lambda/function:Function", "-model-promote");
    const target = one(run(), "aws:cloudwatch/eventTarget:EventTarget", "-promote-deferred");
    expect(target.inputs).toMatchObject({
      rule: `warecast-${stack}-model-endpoint-changed`,
      arn: `arn:aws:lambda:${REGION}:${MOCK_ACCOUNT_ID}:function:${promoteFn.id}`,
    });
    const permission = one(run(), "aws:lambda/permission:Permission", "-promote-deferred");
    expect(permission.inputs.sourceArn).toMatch(new RegExp(`/warecast-${stack}-model-endpoint-changed$`));
  });

  it("gives the operator CLI the promote function's exact settings", () => {
    const file = one(run(), "aws:s3/bucketObjectv2:BucketObjectv2", "-promote-settings");
    expect(file.inputs).toMatchObject({
      key: "control/promote-settings.json",
      serverSideEncryption: "aws:kms",
    });
    expect(json(file.inputs.content)).toEqual(promoteSettings(run()));
  });

  it("tunes with retraining's training job as trials, within the configured bounds, and the schedule only where config turns it on", () => {
    const fn = one(run(), "aws:lambda/function:Function", "-model-tuning-tune");
    const raw = (fn.inputs.environment as { variables: Record<string, string> }).variables
      .WARECAST_TUNE_SETTINGS;
    const parsed = TuneSettingsSchema.safeParse(json(raw));
    expect(parsed.success).toBe(true);
    const t = parsed.data!;
    const r = retrainSettings(run());
    // The same image, code, data, role, network, key and spot setting as retraining.
    for (const k of [
      "roleArn",
      "trainingImage",
      "sourceDirUri",
      "entryPoint",
      "hyperparameters",
      "instanceType",
      "spot",
      "processedBucket",
      "trainPrefix",
      "artifactsBucket",
      "checkpointPrefix",
      "kmsKeyArn",
      "subnetIds",
      "securityGroupIds",
      "tunedParamsKey",
    ] as const) {
      expect({ [k]: t[k] }).toEqual({ [k]: r[k] });
    }
    expect(t.subnetIds).toEqual(privateSubnetIds(run()));
    expect(t.kmsKeyArn).toBe(keyArn(run()));
    expect(t.tunedParamsKey).toBe("tuning/best.json");
    expect(t.tuningJobPrefix).toBe(`warecast-${stack}-tune`);
    // Bounds from Pulumi.<stack>.yaml.
    expect([
      t.maxJobs,
      t.maxParallelJobs,
      t.maxRuntimeSeconds,
      t.maxWaitSeconds,
      t.maxTuningRuntimeSeconds,
    ]).toEqual(stack === "prod" ? [20, 4, 3600, 7200, 43200] : [6, 2, 1200, 2400, 10800]);
    expect(t.searchSpace).toEqual(SEARCH_FILE.space);
    expect(t.objective).toEqual({ metric: SEARCH_FILE.objective.metric, type: SEARCH_FILE.objective.type });
    // The operator's CLI starts tuning jobs with exactly these settings.
    const file = one(run(), "aws:s3/bucketObjectv2:BucketObjectv2", "-tuning-settings");
    expect(file.inputs).toMatchObject({
      key: "control/tune-settings.json",
      serverSideEncryption: "aws:kms",
      kmsKeyId: keyArn(run()),
    });
    expect(file.inputs.content).toBe(raw);
    // A completed tuning job of this stack records its result; trials never match the promote rule's prefix.
    const completed = one(run(), "aws:cloudwatch/eventRule:EventRule", "-tuning-completed");
    expect(json(completed.inputs.eventPattern)).toEqual({
      source: ["aws.sagemaker"],
      "detail-type": ["SageMaker HyperParameter Tuning Job State Change"],
      detail: {
        HyperParameterTuningJobStatus: ["Completed"],
        HyperParameterTuningJobName: [{ prefix: `warecast-${stack}-tune-` }],
      },
    });
    expect(`warecast-${stack}-tune-2612010400-001-abcd1234`.startsWith(`${prefix}-`)).toBe(false);
    expect(one(run(), "aws:cloudwatch/eventTarget:EventTarget", "-tuning-completed").inputs.arn).toBe(
      `arn:aws:lambda:${REGION}:${MOCK_ACCOUNT_ID}:function:${fn.id}`,
    );
    const schedules = run()
      .ofType("aws:cloudwatch/eventRule:EventRule")
      .filter((x) => x.name.endsWith("-tuning-schedule"));
    expect(schedules.map((x) => x.inputs.scheduleExpression)).toEqual(
      stack === "prod" ? ["cron(0 4 1 * ? *)"] : [],
    );
    expect(
      run()
        .ofType("aws:cloudwatch/eventTarget:EventTarget")
        .filter((x) => x.name.endsWith("-tuning-schedule")),
    ).toHaveLength(stack === "prod" ? 1 : 0);
  });

  it("lets the tune function start, find and read only this stack's tuning jobs, and write only tuning/", () => {
    const list = statements(run(), "-model-tuning-tune-policy");
    const prefixArn = `arn:aws:sagemaker:${REGION}:${MOCK_ACCOUNT_ID}:hyper-parameter-tuning-job/warecast-${stack}-tune-*`;
    expect(sid(list, "RunTuningJobs")).toMatchObject({
      Action: [
        "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:AddTags",
      ],
      Resource: prefixArn,
    });
    expect(sid(list, "ListTuningJobs")).toMatchObject({
      Action: "sagemaker:ListHyperParameterTuningJobs",
      Resource: "*",
    });
    const role = one(run(), "aws:iam/role:Role", "-model-sagemaker");
    expect(sid(list, "PassExecutionRoleToSageMaker")).toMatchObject({
      Action: "iam:PassRole",
      Resource: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${role.id}`,
      Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
    });
    expect(sid(list, "RecordTuningResults")).toMatchObject({
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: `arn:aws:s3:::warecast-${stack}-artifacts/tuning/*`,
    });
    // Nothing else of SageMaker: no training jobs, models or endpoints.
    const actions = list.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith("sagemaker:"));
    expect(actions.sort()).toEqual([
      "sagemaker:AddTags",
      "sagemaker:CreateHyperParameterTuningJob",
      "sagemaker:DescribeHyperParameterTuningJob",
      "sagemaker:ListHyperParameterTuningJobs",
    ]);
    // Retraining may read the best parameters, and nothing else under tuning/.
    expect(sid(statements(run(), "-model-retrain-policy"), "ReadTunedParams")).toMatchObject({
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::warecast-${stack}-artifacts/tuning/best.json`,
    });
  });

  it("scopes the SageMaker execution role to its prefixes, key, image, logs and ENIs", () => {
    const role = one(run(), "aws:iam/role:Role", "-model-sagemaker");
    expect(
      json<{ Statement: { Principal: unknown; Condition: unknown }[] }>(role.inputs.assumeRolePolicy)
        .Statement,
    ).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "sagemaker.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID } },
      },
    ]);
    const st = statements(run(), "-model-sagemaker");
    const artifacts = `arn:aws:s3:::warecast-${stack}-artifacts`;
    expect(st.map((s) => s.Sid)).toEqual([
      "ListTrainingData",
      "ReadTrainingData",
      "ListArtifacts",
      "ReadArtifacts",
      "WriteModelsAndCheckpoints",
      "PruneCheckpoints",
      "UseStackKey",
      "GrantKeyToSageMakerVolumes",
      "EcrLogin",
      "PullFrameworkImage",
      "SageMakerLogs",
      "SageMakerMetrics",
      "VpcNetworkInterfaces",
    ]);
    expect(sid(st, "ReadTrainingData").Resource).toBe(
      `arn:aws:s3:::warecast-${stack}-processed/demand_daily/*`,
    );
    expect(sid(st, "WriteModelsAndCheckpoints").Resource).toEqual([
      `${artifacts}/training/*`,
      `${artifacts}/checkpoints/*`,
    ]);
    expect(sid(st, "PullFrameworkImage").Resource).toBe(
      `arn:aws:ecr:${REGION}:141502667606:repository/sagemaker-scikit-learn`,
    );
    expect(sid(st, "UseStackKey").Resource).toBe(keyArn(run()));
    // Only list-only or unscopable actions may name "*".
    const wide = st.filter((s) => s.Resource === "*").map((s) => s.Sid);
    expect(wide).toEqual(["EcrLogin", "SageMakerMetrics", "VpcNetworkInterfaces"]);
    for (const s of st) expect([s.Action].flat().some((a) => a.endsWith(":*"))).toBe(false);
  });

  it("lets the functions act only on this stack's jobs, models, configs, endpoint and registry", () => {
    const sm = (r: string) => `arn:aws:sagemaker:${REGION}:${MOCK_ACCOUNT_ID}:${r}`;
    const roleArn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${one(run(), "aws:iam/role:Role", "-model-sagemaker").id}`;
    const retrain = statements(run(), "-model-retrain-policy");
    expect(sid(retrain, "StartTrainingJobs")).toMatchObject({
      Action: ["sagemaker:CreateTrainingJob", "sagemaker:AddTags", "sagemaker:ListTags"],
      Resource: sm(`training-job/${prefix}-*`),
    });
    expect(sid(retrain, "PassExecutionRoleToSageMaker")).toEqual({
      Sid: "PassExecutionRoleToSageMaker",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: roleArn,
      Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
    });
    expect(sid(retrain, "ReadRunManifests").Resource).toBe(`arn:aws:s3:::warecast-${stack}-processed/runs/*`);
    const promote = statements(run(), "-model-promote-policy");
    expect(sid(promote, "DeployModels").Resource).toEqual([
      sm(`model/${prefix}-*`),
      sm(`endpoint-config/${prefix}-*`),
      sm(`endpoint/${prefix}`),
    ]);
    expect(sid(promote, "RecordDecisions")).toMatchObject({
      Action: "s3:PutObject",
      Resource: `arn:aws:s3:::warecast-${stack}-artifacts/decisions/*`,
    });
    expect(sid(promote, "ClearDeferrals")).toMatchObject({
      Action: "s3:DeleteObject",
      Resource: `arn:aws:s3:::warecast-${stack}-artifacts/decisions/deferred/*`,
    });
    expect(sid(promote, "RegisterModels").Resource).toEqual([
      sm(`model-package-group/${prefix}`),
      sm(`model-package/${prefix}/*`),
    ]);
    // Endpoint configs with the stack key (prod's instance volumes): SageMaker grants itself the key as the caller.
    const viaSageMaker = { "kms:ViaService": `sagemaker.${REGION}.amazonaws.com` };
    expect(sid(promote, "GrantKeyToEndpointVolumes")).toEqual({
      Sid: "GrantKeyToEndpointVolumes",
      Effect: "Allow",
      Action: "kms:CreateGrant",
      Resource: keyArn(run()),
      Condition: { Bool: { "kms:GrantIsForAWSResource": true }, StringEquals: viaSageMaker },
    });
    expect(sid(promote, "DescribeKeyForEndpointConfigs")).toEqual({
      Sid: "DescribeKeyForEndpointConfigs",
      Effect: "Allow",
      Action: "kms:DescribeKey",
      Resource: keyArn(run()),
      Condition: { StringEquals: viaSageMaker },
    });
  });
});

describe("per-stack serving", () => {
  it("dev: serverless, outside the VPC, no blue/green, no autoscaling", () => {
    const config = one(dev, "aws:sagemaker/endpointConfiguration:EndpointConfiguration");
    const model = one(dev, "aws:sagemaker/model:Model", "-model-bootstrap");
    expect(config.inputs.productionVariants).toEqual([
      {
        variantName: "AllTraffic",
        modelName: model.inputs.name,
        serverlessConfig: { memorySizeInMb: 2048, maxConcurrency: 2 },
      },
    ]);
    expect(config.inputs.kmsKeyArn).toBeUndefined();
    expect(model.inputs.vpcConfig).toBeUndefined();
    expect(one(dev, "aws:sagemaker/endpoint:Endpoint").inputs.deploymentConfig).toBeUndefined();
    expect(dev.ofType("aws:appautoscaling/target:Target")).toHaveLength(0);
    expect(
      dev.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.includes("-model-")),
    ).toHaveLength(0);
    expect(promoteSettings(dev).serving).toEqual({
      kind: "serverless",
      memorySizeMb: 2048,
      maxConcurrency: 2,
    });
    expect(promoteSettings(dev).deployment.blueGreen).toBe(false);
  });

  it("prod: two+ instances in the VPC with KMS, autoscaling, and blue/green with alarm rollback", () => {
    const config = one(prod, "aws:sagemaker/endpointConfiguration:EndpointConfiguration");
    const model = one(prod, "aws:sagemaker/model:Model", "-model-bootstrap");
    expect(config.inputs.productionVariants).toEqual([
      {
        variantName: "AllTraffic",
        modelName: model.inputs.name,
        instanceType: "ml.m5.large",
        initialInstanceCount: 2,
      },
    ]);
    expect(config.inputs.kmsKeyArn).toBe(keyArn(prod));
    expect(model.inputs.vpcConfig).toEqual({
      subnets: privateSubnetIds(prod),
      securityGroupIds: [sagemakerSg(prod)],
    });
    const alarms = ["warecast-prod-forecast-rollback-5xx", "warecast-prod-forecast-rollback-latency"];
    expect(one(prod, "aws:sagemaker/endpoint:Endpoint").inputs.deploymentConfig).toEqual({
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration: {
          type: "CANARY",
          canarySize: { type: "CAPACITY_PERCENT", value: 25 },
          waitIntervalInSeconds: 600,
        },
        terminationWaitInSeconds: 600,
      },
      autoRollbackConfiguration: { alarms: alarms.map((alarmName) => ({ alarmName })) },
    });
    const guardrails = prod
      .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
      .filter((a) => a.name.includes("-model-rollback-"));
    expect(guardrails.map((a) => a.inputs.name).sort()).toEqual(alarms);
    for (const a of guardrails) {
      expect(a.inputs.dimensions).toEqual({
        EndpointName: "warecast-prod-forecast",
        VariantName: "AllTraffic",
      });
    }
    expect(one(prod, "aws:appautoscaling/target:Target").inputs).toMatchObject({
      serviceNamespace: "sagemaker",
      scalableDimension: "sagemaker:variant:DesiredInstanceCount",
      resourceId: "endpoint/warecast-prod-forecast/variant/AllTraffic",
      minCapacity: 2,
      maxCapacity: 6,
    });
    expect(
      one(prod, "aws:appautoscaling/policy:Policy").inputs.targetTrackingScalingPolicyConfiguration,
    ).toEqual({
      targetValue: 100,
      predefinedMetricSpecification: { predefinedMetricType: "SageMakerVariantInvocationsPerInstance" },
      scaleInCooldown: 300,
      scaleOutCooldown: 60,
    });
    expect(promoteSettings(prod).serving).toEqual({
      kind: "instance",
      instanceType: "ml.m5.large",
      minInstances: 2,
      subnetIds: privateSubnetIds(prod),
      securityGroupIds: [sagemakerSg(prod)],
    });
    expect(promoteSettings(prod).deployment).toEqual({
      blueGreen: true,
      canaryPercent: 25,
      waitSeconds: 600,
      terminationWaitSeconds: 600,
      rollbackAlarms: alarms,
    });
  });

  it("names the bootstrap model after everything CreateModel sends: new code, artifact or network is a new model", () => {
    const base = {
      roleArn: "arn:aws:iam::123456789012:role/sm",
      image: IMAGE,
      modelDataUrl: "s3://artifacts/bootstrap/aaaa/model.tar.gz",
      environment: { SAGEMAKER_PROGRAM: "inference.py" },
      serving: { kind: "serverless" as const, memorySizeMb: 2048, maxConcurrency: 2 },
    };
    const name = (m: typeof base | Record<string, unknown>) =>
      bootstrapModelSpec("warecast-dev-forecast", m as typeof base).name;
    expect(name(base)).toBe(name({ ...base }));
    const variants = [
      { ...base, modelDataUrl: "s3://artifacts/bootstrap/bbbb/model.tar.gz" },
      { ...base, image: `${IMAGE}-next` },
      { ...base, environment: { SAGEMAKER_PROGRAM: "other.py" } },
      { ...base, roleArn: "arn:aws:iam::123456789012:role/other" },
      {
        ...base,
        serving: {
          kind: "instance",
          instanceType: "ml.m5.large",
          minInstances: 2,
          subnetIds: ["a"],
          securityGroupIds: ["sg"],
        },
      },
    ];
    expect(new Set([base, ...variants].map(name)).size).toBe(1 + variants.length);
    // Serving size alone (memory, instance count) does not touch the model: it lives in the endpoint config.
    expect(name({ ...base, serving: { ...base.serving, memorySizeMb: 4096 } })).toBe(name(base));
  });

  it("the same stack config with blue/green off deploys prod-sized instances without guardrails", async () => {
    const run = await runStack("prod", {
      program: PROGRAM,
      overrides: { "warecast:endpointBlueGreen": "false" },
    });
    expect(one(run, "aws:sagemaker/endpoint:Endpoint").inputs.deploymentConfig).toBeUndefined();
    expect(promoteSettings(run).deployment).toMatchObject({ blueGreen: false, rollbackAlarms: [] });
    expect(run.ofType("aws:appautoscaling/target:Target")).toHaveLength(1);
  }, 120_000);
});
