/** CloudTrail, SageMaker, tag and retention rules, each on a compliant and a violating resource, through the real pack. */
import { retrainSettings, tunerSettings } from "../functions/model-fakes";
import { doc } from "./fixtures";
import { findingsOf, KEY_ARN, OTHER_KEY_ARN, PROVIDER, resource, STACK_KEY, urnOf, usePack } from "./support";

usePack();

describe("CloudTrail", () => {
  const trail = (name: string, inputs: Record<string, unknown>) =>
    resource("aws:cloudtrail/trail:Trail", name, { s3BucketName: "audit", kmsKeyId: KEY_ARN, ...inputs });
  test("cloudtrail-multi-region-validated: multi-region with validation passes; single-region without it is reported", async () => {
    const ok = trail("ok", {
      isMultiRegionTrail: true,
      enableLogFileValidation: true,
      includeGlobalServiceEvents: true,
    });
    expect(await findingsOf("cloudtrail-multi-region-validated", [ok])).toEqual([]);
    const bad = trail("bad", { includeGlobalServiceEvents: false });
    expect(await findingsOf("cloudtrail-multi-region-validated", [bad])).toEqual([
      "bad: is not multi-region (isMultiRegionTrail)",
      "bad: excludes global service events (IAM, STS)",
      "bad: has no log file validation (enableLogFileValidation)",
    ]);
  });
  test("cloudtrail-kms-stack-key: the stack key passes; no key is reported", async () => {
    expect(await findingsOf("cloudtrail-kms-stack-key", [STACK_KEY, trail("ok", {})])).toEqual([]);
    expect(
      await findingsOf("cloudtrail-kms-stack-key", [STACK_KEY, trail("plain", { kmsKeyId: undefined })]),
    ).toEqual(["plain: kmsKeyId is not set; it must name the stack's KMS key"]);
  });
});

describe("SageMaker training (the retrain function's settings, built into a CreateTrainingJob request)", () => {
  // The function tests' own settings fixture, moved onto this test's stack key.
  const settings = (overrides: Record<string, unknown> = {}) =>
    retrainSettings({ kmsKeyArn: KEY_ARN, ...overrides });
  const retrain = (name: string, overrides: Record<string, unknown> = {}) =>
    resource("aws:lambda/function:Function", name, {
      runtime: "nodejs22.x",
      environment: {
        variables: {
          RETRAIN_SETTINGS: JSON.stringify(settings(overrides)),
          POWERTOOLS_SERVICE_NAME: "retrain",
        },
      },
    });
  const grant = resource("aws:iam/rolePolicy:RolePolicy", "retrain-policy", {
    role: "retrain",
    policy: doc({
      Effect: "Allow",
      Action: ["sagemaker:CreateTrainingJob"],
      Resource: "arn:aws:sagemaker:eu-west-1:123456789012:training-job/warecast-test-train-*",
    }),
  });

  test("compliant settings pass all three training rules", async () => {
    for (const rule of [
      "sagemaker-training-spot-checkpoint",
      "sagemaker-training-in-vpc",
      "sagemaker-training-kms-stack-key",
    ]) {
      expect(await findingsOf(rule, [STACK_KEY, grant, retrain("retrain")])).toEqual([]);
    }
  });
  test("sagemaker-training-spot-checkpoint: on-demand training is reported", async () => {
    expect(
      await findingsOf("sagemaker-training-spot-checkpoint", [
        STACK_KEY,
        retrain("retrain", { spot: false }),
      ]),
    ).toEqual([
      "retrain: training job from RETRAIN_SETTINGS: EnableManagedSpotTraining is not true",
      "retrain: training job from RETRAIN_SETTINGS: StoppingCondition.MaxWaitTimeInSeconds is not set",
    ]);
  });
  test("sagemaker-training-in-vpc: training outside the VPC is reported", async () => {
    expect(
      await findingsOf("sagemaker-training-in-vpc", [
        STACK_KEY,
        retrain("retrain", { subnetIds: [], securityGroupIds: [] }),
      ]),
    ).toEqual([
      "retrain: training job from RETRAIN_SETTINGS: VpcConfig.Subnets is empty or missing",
      "retrain: training job from RETRAIN_SETTINGS: VpcConfig.SecurityGroupIds is empty or missing",
    ]);
  });
  test("sagemaker-training-kms-stack-key: another key is reported for output and volume", async () => {
    expect(
      await findingsOf("sagemaker-training-kms-stack-key", [
        STACK_KEY,
        retrain("retrain", { kmsKeyArn: OTHER_KEY_ARN }),
      ]),
    ).toEqual([
      `retrain: training job from RETRAIN_SETTINGS: OutputDataConfig.KmsKeyId is "${OTHER_KEY_ARN}", which is not the stack's KMS key`,
      `retrain: training job from RETRAIN_SETTINGS: ResourceConfig.VolumeKmsKeyId is "${OTHER_KEY_ARN}", which is not the stack's KMS key`,
    ]);
  });
  test("a stack that may start training jobs but hides their settings is reported", async () => {
    const blind = resource("aws:lambda/function:Function", "retrain", { runtime: "nodejs22.x" });
    expect(await findingsOf("sagemaker-training-in-vpc", [STACK_KEY, grant, blind])).toEqual([
      "retrain-policy: allows sagemaker:CreateTrainingJob, but no function in the stack carries retrain settings, so the training job's settings cannot be checked",
    ]);
  });
});

describe("SageMaker tuning (the tune function's settings, built into a CreateHyperParameterTuningJob request)", () => {
  const RULE = "sagemaker-tuning-guarded";
  const PRIVATE = ["subnet-a", "subnet-b"];
  const tune = (overrides: Record<string, unknown> = {}) =>
    resource("aws:lambda/function:Function", "tune", {
      runtime: "nodejs22.x",
      vpcConfig: { subnetIds: PRIVATE, securityGroupIds: ["sg-fn"] },
      environment: {
        variables: { TUNE_SETTINGS: JSON.stringify(tunerSettings({ kmsKeyArn: KEY_ARN, ...overrides })) },
      },
    });
  const grant = resource("aws:iam/rolePolicy:RolePolicy", "tune-policy", {
    role: "tune",
    policy: doc({
      Effect: "Allow",
      Action: ["sagemaker:CreateHyperParameterTuningJob"],
      Resource: "arn:aws:sagemaker:eu-west-1:123456789012:hyper-parameter-tuning-job/warecast-test-tune-*",
    }),
  });
  const say = (m: string) => `tune: tuning job from TUNE_SETTINGS: ${m}`;

  test("the settings the component derives pass: spot, the stack key, the function's private subnets, a bounded budget", async () => {
    expect(await findingsOf(RULE, [STACK_KEY, grant, tune()])).toEqual([]);
  });
  test("on-demand trials and a max wait shorter than the run time are reported", async () => {
    expect(await findingsOf(RULE, [STACK_KEY, tune({ spot: false })])).toEqual([
      say("EnableManagedSpotTraining is not true"),
      say("StoppingCondition.MaxWaitTimeInSeconds is not set"),
    ]);
  });
  test("another key, and a public subnet of the VPC, are reported", async () => {
    const vpc = resource("awsx:ec2:Vpc", "vpc", {
      privateSubnetIds: ["subnet-a", "subnet-b"],
      publicSubnetIds: ["subnet-public-1"],
    });
    expect(
      await findingsOf(RULE, [
        STACK_KEY,
        vpc,
        tune({ kmsKeyArn: OTHER_KEY_ARN, subnetIds: ["subnet-a", "subnet-public-1"] }),
      ]),
    ).toEqual([
      say(`OutputDataConfig.KmsKeyId is "${OTHER_KEY_ARN}", which is not the stack's KMS key`),
      say(`ResourceConfig.VolumeKmsKeyId is "${OTHER_KEY_ARN}", which is not the stack's KMS key`),
      say("subnet subnet-public-1 is one of the VPC's public subnets; trials must run in a private subnet"),
    ]);
  });
  test("a budget beyond the configured bounds is reported (prod's limits: 30 trials, 4 at once, 40 instance-hours)", async () => {
    expect(
      await findingsOf(
        RULE,
        [STACK_KEY, tune({ maxJobs: 60, maxParallelJobs: 8, maxRuntimeSeconds: 7200, maxWaitSeconds: 7200 })],
        {
          all: { enforcementLevel: "mandatory" as const },
          [RULE]: { properties: { maxTrainingJobs: 30, maxParallelTrainingJobs: 4, maxInstanceHours: 40 } },
        },
      ),
    ).toEqual([
      say("ResourceLimits.MaxNumberOfTrainingJobs is 60, more than 30"),
      say("ResourceLimits.MaxParallelTrainingJobs is 8, more than 4"),
      say("at most 120.0 instance-hours (60 jobs × 7200 s × 1), more than 40"),
    ]);
  });
  test("settings the builder refuses are reported, and a grant without settings to check is a finding", async () => {
    expect(await findingsOf(RULE, [STACK_KEY, tune({ maxParallelJobs: 30 })])).toEqual([
      say("the request cannot be built: maxParallelJobs (30) must be at most maxJobs (20)"),
    ]);
    const blind = resource("aws:lambda/function:Function", "tune", { runtime: "nodejs22.x" });
    expect(await findingsOf(RULE, [STACK_KEY, grant, blind])).toEqual([
      "tune-policy: allows sagemaker:CreateHyperParameterTuningJob, but no function in the stack carries tune settings, so the tuning job's settings cannot be checked",
    ]);
  });
});

describe("SageMaker endpoints", () => {
  const endpointConfig = (name: string, variant: Record<string, unknown>) =>
    resource("aws:sagemaker/endpointConfiguration:EndpointConfiguration", name, {
      kmsKeyArn: KEY_ARN,
      productionVariants: [{ variantName: "live", modelName: "m", ...variant }],
    });
  test("sagemaker-endpoint-min-instances: 2 instances pass; serverless, 1 instance or autoscaling to 1 are reported", async () => {
    const target = (name: string, minCapacity: number) =>
      resource("aws:appautoscaling/target:Target", name, {
        serviceNamespace: "sagemaker",
        minCapacity,
        maxCapacity: 6,
        resourceId: "endpoint/x/variant/live",
        scalableDimension: "sagemaker:variant:DesiredInstanceCount",
      });
    expect(
      await findingsOf("sagemaker-endpoint-min-instances", [
        endpointConfig("ok", { instanceType: "ml.m5.large", initialInstanceCount: 2 }),
        target("scale", 2),
      ]),
    ).toEqual([]);
    const serverless = endpointConfig("serverless", {
      serverlessConfig: { memorySizeInMb: 2048, maxConcurrency: 2 },
    });
    const single = endpointConfig("single", { instanceType: "ml.m5.large", initialInstanceCount: 1 });
    expect(
      await findingsOf("sagemaker-endpoint-min-instances", [serverless, single, target("scale-1", 1)]),
    ).toEqual([
      "serverless: variant live is serverless; it needs 2+ instances",
      "single: variant live has initialInstanceCount 1; it needs at least 2",
      "scale-1: autoscaling minCapacity is 1; endpoints need at least 2",
    ]);
  });
  test("sagemaker-endpoint-min-instances reads its minimum from the pack config", async () => {
    const three = {
      all: { enforcementLevel: "mandatory" as const },
      "sagemaker-endpoint-min-instances": { properties: { minInstanceCount: 3 } },
    };
    expect(
      await findingsOf(
        "sagemaker-endpoint-min-instances",
        [endpointConfig("two", { instanceType: "ml.m5.large", initialInstanceCount: 2 })],
        three,
      ),
    ).toEqual(["two: variant live has initialInstanceCount 2; it needs at least 3"]);
  });
  test("sagemaker-endpoint-rollback: blue/green with rollback alarms passes; none or no alarms is reported", async () => {
    const endpoint = (name: string, deploymentConfig?: Record<string, unknown>) =>
      resource("aws:sagemaker/endpoint:Endpoint", name, {
        name,
        endpointConfigName: "cfg",
        deploymentConfig,
      });
    const ok = endpoint("ok", {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration: {
          type: "CANARY",
          waitIntervalInSeconds: 300,
          canarySize: { type: "CAPACITY_PERCENT", value: 50 },
        },
      },
      autoRollbackConfiguration: { alarms: [{ alarmName: "endpoint-5xx" }] },
    });
    expect(await findingsOf("sagemaker-endpoint-rollback", [ok])).toEqual([]);
    const none = endpoint("none");
    const noAlarms = endpoint("no-alarms", {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration: { type: "ALL_AT_ONCE", waitIntervalInSeconds: 0 },
      },
    });
    expect(await findingsOf("sagemaker-endpoint-rollback", [none, noAlarms])).toEqual([
      "none: has no deploymentConfig",
      "no-alarms: deploymentConfig.autoRollbackConfiguration has no alarms",
    ]);
  });
});

describe("tags and retention", () => {
  test("required-tags: the tagged provider's default tags pass; the default provider without them is reported", async () => {
    const viaProvider = resource("aws:sns/topic:Topic", "tagged", { kmsMasterKeyId: KEY_ARN });
    const partlyOwn = resource("aws:sns/topic:Topic", "own", { tags: { owner: "" } });
    expect(await findingsOf("required-tags", [viaProvider])).toEqual([]);
    const untagged = {
      ...resource("aws:sns/topic:Topic", "untagged", { tags: { project: "warecast" } }),
      provider: undefined,
    };
    const notTaggable = {
      ...resource("aws:s3/bucketPolicy:BucketPolicy", "policy", { bucket: "b", policy: "{}" }),
      provider: undefined,
    };
    expect(await findingsOf("required-tags", [partlyOwn, untagged, notTaggable])).toEqual([
      "own: is missing required tag owner (provider: tagged)",
      "untagged: is missing required tags environment, owner, cost-center (provider: default)",
    ]);
    expect(PROVIDER.urn).toBe(urnOf("pulumi:providers:aws", "tagged"));
  });
  test("log-retention-bounds: retention inside the configured bounds passes; none, too short or too long is reported", async () => {
    const config = {
      all: { enforcementLevel: "mandatory" as const },
      "log-retention-bounds": { properties: { minDays: 90, maxDays: 400 } },
    };
    const group = (name: string, retentionInDays?: number) =>
      resource("aws:cloudwatch/logGroup:LogGroup", name, { name, retentionInDays, kmsKeyId: KEY_ARN });
    expect(await findingsOf("log-retention-bounds", [group("ok", 90), group("ok2", 400)], config)).toEqual(
      [],
    );
    expect(
      await findingsOf(
        "log-retention-bounds",
        [group("forever"), group("short", 7), group("long", 3653)],
        config,
      ),
    ).toEqual([
      "forever: has no retentionInDays; logs would be kept forever (allowed: 90–400 days)",
      "short: retentionInDays is 7; allowed: 90–400 days",
      "long: retentionInDays is 3653; allowed: 90–400 days",
    ]);
  });
});
