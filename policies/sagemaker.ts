import type { PolicyResource } from "@pulumi/policy";
import { allowStatements, POLICY_DOCUMENTS } from "./iam";
import { LAMBDA_FUNCTION } from "./lambda";
import {
  resourcePolicy,
  stackKeyProblem,
  stackPolicy,
  type ResourceRule,
  type WarecastPolicy,
} from "./lib/policy";
import { ofType } from "./lib/stack";
import { RetrainSettingsSchema, type RetrainSettings } from "../functions/model/settings";
import { buildTrainingJobRequest } from "../functions/model/training-job";
import { at, list, parseJson, strings, UNKNOWN } from "./lib/values";

/**
 * SageMaker. Training jobs are created by the retrain function at run time, not by Pulumi. What Pulumi does see is
 * the retrain function's settings: one JSON environment variable that functions/model/settings.ts validates. The
 * training rules find every function whose environment carries such settings, build the CreateTrainingJob request
 * from them with the function's own builder (functions/model/training-job.ts), and check that request. A stack
 * that grants sagemaker:CreateTrainingJob but carries no retrain settings is itself a finding, so the rules cannot
 * pass vacuously.
 */

export const ENDPOINT = "aws:sagemaker/endpoint:Endpoint";
export const ENDPOINT_CONFIGURATION = "aws:sagemaker/endpointConfiguration:EndpointConfiguration";
export const SCALABLE_TARGET = "aws:appautoscaling/target:Target";

interface Template {
  fn: PolicyResource;
  variable: string;
  body: Record<string, unknown>;
}

/** The request the retrain function would send; the per-run fields are placeholders. */
export function trainingRequestFrom(settings: RetrainSettings): Record<string, unknown> {
  const request = buildTrainingJobRequest(settings, {
    jobName: `${settings.jobNamePrefix}-policy-check`,
    data: { key: "runs/policy-check.json", lastModified: new Date(0) },
    champion: {
      modelName: "policy-check",
      modelDataUrl: `s3://${settings.artifactsBucket}/policy-check/model.tar.gz`,
    },
  });
  return JSON.parse(JSON.stringify(request)) as Record<string, unknown>;
}

/** A settings object meant for the retrain function: the fields only it carries. */
function looksLikeRetrainSettings(json: Record<string, unknown>): boolean {
  return ["jobNamePrefix", "trainingImage", "roleArn", "checkpointPrefix"].every(
    (k) => typeof json[k] === "string",
  );
}

/** A function's settings variable that `looksLike` one kind of settings. */
export interface SettingsCarrier {
  fn: PolicyResource;
  variable: string;
  json: Record<string, unknown>;
}

/**
 * Every function environment variable whose JSON `looksLike` the settings a rule checks; `unknown` when some
 * environment cannot be read yet (preview), so the absence of settings proves nothing.
 */
export function settingsCarriers(
  resources: PolicyResource[],
  looksLike: (json: Record<string, unknown>) => boolean,
): { carriers: SettingsCarrier[]; unknown: boolean } {
  const carriers: SettingsCarrier[] = [];
  let unknown = false;
  for (const fn of ofType(resources, LAMBDA_FUNCTION)) {
    const variables = at(fn.props, "environment.variables");
    if (variables === UNKNOWN) {
      unknown = true;
      continue;
    }
    for (const [variable, raw] of Object.entries((variables ?? {}) as Record<string, unknown>)) {
      const json = parseJson(raw);
      if (json === UNKNOWN) unknown = true;
      else if (json && looksLike(json)) carriers.push({ fn, variable, json });
    }
  }
  return { carriers, unknown };
}

/** The IAM policies that allow `action` (a sagemaker action name), or every SageMaker action. */
export function grantsOf(resources: PolicyResource[], action: string): PolicyResource[] {
  const pattern = new RegExp(`^sagemaker:(${action}|\\*)$|^\\*$`, "i");
  return resources.filter((r) => {
    if (!POLICY_DOCUMENTS[r.type]) return false;
    try {
      return allowStatements(r.type, r.props).some((s) => strings(s.Action).some((a) => pattern.test(a)));
    } catch {
      return false; // an unknown document during preview: nothing to conclude
    }
  });
}

/** The training requests the stack's functions would send, plus the policies that may start training jobs. */
function trainingTemplates(resources: PolicyResource[]): {
  templates: Template[];
  unknown: boolean;
  granted: PolicyResource[];
} {
  const { carriers, unknown } = settingsCarriers(resources, looksLikeRetrainSettings);
  const templates = carriers.map(({ fn, variable, json }): Template => {
    // Invalid settings are still built (the function would reject them at cold start): the rules then name the
    // field that matters instead of hiding the function from every check.
    const parsed = RetrainSettingsSchema.safeParse(json);
    try {
      return {
        fn,
        variable,
        body: trainingRequestFrom(parsed.success ? parsed.data : (json as unknown as RetrainSettings)),
      };
    } catch (err) {
      return { fn, variable, body: { error: (err as Error).message } };
    }
  });
  return { templates, unknown, granted: grantsOf(resources, "CreateTrainingJob") };
}

function trainingPolicy(
  meta: Omit<WarecastPolicy, "validateStack">,
  check: (t: Template, report: (message: string) => void, resources: PolicyResource[]) => void,
): WarecastPolicy {
  return stackPolicy(meta, ({ resources }, report) => {
    const { templates, unknown, granted } = trainingTemplates(resources);
    if (templates.length === 0 && !unknown && granted.length > 0) {
      report(
        granted[0],
        "allows sagemaker:CreateTrainingJob, but no function in the stack carries retrain settings, so the training job's settings cannot be checked",
      );
    }
    for (const t of templates) {
      const say = (message: string) => report(t.fn, `training job from ${t.variable}: ${message}`);
      if (typeof t.body.error === "string") say(`the request cannot be built: ${t.body.error}`);
      else check(t, say, resources);
    }
  });
}

export const trainingSpotCheckpoint = trainingPolicy(
  {
    name: "sagemaker-training-spot-checkpoint",
    description:
      "SageMaker training jobs use managed spot capacity with a checkpoint location and a max wait no shorter than the max runtime.",
    remediationSteps:
      "Set modelSpot: true and modelMaxWaitSeconds ≥ modelMaxRuntimeSeconds in the stack config; the retrain " +
      "settings must carry a checkpointPrefix so the request gets CheckpointConfig.S3Uri.",
    severity: "medium",
  },
  ({ body }, report) => {
    if (body.EnableManagedSpotTraining !== true) report("EnableManagedSpotTraining is not true");
    const uri = at(body, "CheckpointConfig.S3Uri");
    if (typeof uri !== "string" || !uri.startsWith("s3://"))
      report("CheckpointConfig.S3Uri is not an s3:// location");
    const wait = at(body, "StoppingCondition.MaxWaitTimeInSeconds");
    const run = at(body, "StoppingCondition.MaxRuntimeInSeconds");
    if (typeof wait !== "number") report("StoppingCondition.MaxWaitTimeInSeconds is not set");
    else if (typeof run === "number" && wait < run)
      report(`MaxWaitTimeInSeconds (${wait}) is shorter than MaxRuntimeInSeconds (${run})`);
  },
);

export const trainingInVpc = trainingPolicy(
  {
    name: "sagemaker-training-in-vpc",
    description:
      "SageMaker training jobs run in the stack's VPC (VpcConfig with subnets and security groups).",
    remediationSteps:
      "Pass the Network's private subnet IDs and a training security group into the retrain settings (subnetIds, " +
      "securityGroupIds) so the request carries VpcConfig; the VPC's S3 gateway endpoint keeps data off the internet.",
    severity: "high",
  },
  ({ body }, report) => {
    if (strings(at(body, "VpcConfig.Subnets")).length === 0) report("VpcConfig.Subnets is empty or missing");
    if (strings(at(body, "VpcConfig.SecurityGroupIds")).length === 0)
      report("VpcConfig.SecurityGroupIds is empty or missing");
  },
);

/** Matches a template's key reference against the stack key by evaluating it as if it were a resource input. */
function templateKeyProblem(t: Template, field: string, resources: PolicyResource[]): string | undefined {
  const shadow = { ...t.fn, props: t.body, propertyDependencies: {} } as unknown as PolicyResource;
  return stackKeyProblem(shadow, field, resources);
}

export const trainingKms = trainingPolicy(
  {
    name: "sagemaker-training-kms-stack-key",
    description: "SageMaker training jobs encrypt their output and storage volumes with the stack's KMS key.",
    remediationSteps:
      "Pass the stack key's ARN as kmsKeyArn in the retrain settings, so OutputDataConfig.KmsKeyId and " +
      "ResourceConfig.VolumeKmsKeyId name it.",
    severity: "high",
  },
  (t, report, resources) => {
    for (const field of ["OutputDataConfig.KmsKeyId", "ResourceConfig.VolumeKmsKeyId"]) {
      const problem = templateKeyProblem(t, field, resources);
      if (problem) report(problem);
    }
  },
);

export const endpointCapacity: ResourceRule = resourcePolicy(
  {
    name: "sagemaker-endpoint-min-instances",
    description:
      "SageMaker endpoints run on instances (not serverless) with at least minInstanceCount instances per variant, and autoscaling never goes below it.",
    remediationSteps:
      "Use instance-backed production variants with initialInstanceCount ≥ minInstanceCount, across AZs, and an " +
      "aws.appautoscaling.Target with minCapacity ≥ minInstanceCount.",
    severity: "high",
    configSchema: {
      properties: {
        minInstanceCount: {
          type: "integer",
          minimum: 1,
          default: 2,
          description: "Minimum instances per variant.",
        },
      },
    },
  },
  [ENDPOINT_CONFIGURATION, SCALABLE_TARGET],
  (props, args, report) => {
    const { minInstanceCount = 2 } = args.getConfig<{ minInstanceCount?: number }>();
    if (args.type === SCALABLE_TARGET) {
      if (props.serviceNamespace !== "sagemaker") return;
      if (typeof props.minCapacity === "number" && props.minCapacity < minInstanceCount) {
        report(
          `autoscaling minCapacity is ${props.minCapacity}; endpoints need at least ${minInstanceCount}`,
        );
      }
      return;
    }
    const variants = list(props, "productionVariants");
    if (variants === UNKNOWN) return;
    variants.forEach((v, i) => {
      const name = String(at(v, "variantName") ?? i);
      if (at(v, "serverlessConfig") !== undefined)
        report(`variant ${name} is serverless; it needs ${minInstanceCount}+ instances`);
      else if (
        typeof at(v, "initialInstanceCount") !== "number" ||
        (at(v, "initialInstanceCount") as number) < minInstanceCount
      ) {
        report(
          `variant ${name} has initialInstanceCount ${String(at(v, "initialInstanceCount"))}; it needs at least ${minInstanceCount}`,
        );
      }
    });
  },
);

export const endpointRollback: ResourceRule = resourcePolicy(
  {
    name: "sagemaker-endpoint-rollback",
    description:
      "SageMaker endpoints deploy blue/green with automatic rollback on CloudWatch alarms (deploymentConfig).",
    remediationSteps:
      "Set deploymentConfig: { blueGreenUpdatePolicy: { trafficRoutingConfiguration: … }, autoRollbackConfiguration: " +
      "{ alarms: [{ alarmName: <endpoint error/latency alarm> }] } } on the aws.sagemaker.Endpoint.",
    severity: "high",
  },
  [ENDPOINT],
  (props, _args, report) => {
    if (at(props, "deploymentConfig") === undefined) {
      report("has no deploymentConfig");
      return;
    }
    if (
      at(props, "deploymentConfig.blueGreenUpdatePolicy") === undefined &&
      at(props, "deploymentConfig.rollingUpdatePolicy") === undefined
    ) {
      report("deploymentConfig has no blueGreenUpdatePolicy (or rollingUpdatePolicy)");
    }
    const alarms = list(props, "deploymentConfig.autoRollbackConfiguration.alarms");
    if (alarms !== UNKNOWN && alarms.length === 0)
      report("deploymentConfig.autoRollbackConfiguration has no alarms");
  },
);

export const sagemakerPolicies = [
  trainingSpotCheckpoint,
  trainingInVpc,
  trainingKms,
  endpointCapacity,
  endpointRollback,
];
