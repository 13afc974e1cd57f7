import type { PolicyResource } from "@pulumi/policy";
import { awsxSubnetKind, publicSubnets, SUBNET } from "./network";
import { grantsOf, settingsCarriers } from "./sagemaker";
import { stackKeyProblem, stackPolicy, type WarecastPolicy } from "./lib/policy";
import { ofType } from "./lib/stack";
import { at, strings } from "./lib/values";
import { buildTuningJobRequest } from "../functions/model/tuning-job";
import { TuneSettingsSchema, type TuneSettings } from "../functions/model/tuning-settings";

/**
 * SageMaker tuning jobs, like training jobs, are created at run time (functions/tune.ts, `warecast model tune`),
 * so the rule checks what Pulumi does see: every function whose environment carries tune settings. It builds the
 * CreateHyperParameterTuningJob request with the function's own builder and checks it. A stack that grants
 * sagemaker:CreateHyperParameterTuningJob but carries no tune settings is itself a finding.
 */

interface TuningConfig {
  maxTrainingJobs?: number;
  maxParallelTrainingJobs?: number;
  maxInstanceHours?: number;
}

function looksLikeTuneSettings(json: Record<string, unknown>): boolean {
  return ["tuningJobPrefix", "trainingImage", "roleArn", "checkpointPrefix"].every(
    (k) => typeof json[k] === "string",
  );
}

/** Checks one request; `fn` is the function that would send it. */
function requestProblems(
  body: Record<string, unknown>,
  fn: PolicyResource,
  resources: PolicyResource[],
  cfg: Required<TuningConfig>,
): string[] {
  const out: string[] = [];
  const def = (at(body, "TrainingJobDefinition") ?? {}) as Record<string, unknown>;
  // Spot with checkpoints and a max wait.
  if (def.EnableManagedSpotTraining !== true) out.push("EnableManagedSpotTraining is not true");
  const uri = at(def, "CheckpointConfig.S3Uri");
  if (typeof uri !== "string" || !uri.startsWith("s3://"))
    out.push("CheckpointConfig.S3Uri is not an s3:// location");
  const run = at(def, "StoppingCondition.MaxRuntimeInSeconds");
  const wait = at(def, "StoppingCondition.MaxWaitTimeInSeconds");
  if (typeof wait !== "number") out.push("StoppingCondition.MaxWaitTimeInSeconds is not set");
  else if (typeof run === "number" && wait < run)
    out.push(`MaxWaitTimeInSeconds (${wait}) is shorter than MaxRuntimeInSeconds (${run})`);
  // The stack key on output and volumes.
  const shadow = { ...fn, props: def, propertyDependencies: {} } as unknown as PolicyResource;
  for (const field of ["OutputDataConfig.KmsKeyId", "ResourceConfig.VolumeKmsKeyId"]) {
    const problem = stackKeyProblem(shadow, field, resources);
    if (problem) out.push(problem);
  }
  // Private subnets only: by the awsx VPC's outputs (under mocks its subnets are no resources of their own), or
  // by the ec2 subnets the stack declares and their routes (the real engine), as lambda-private-subnets judges.
  const subnets = strings(at(def, "VpcConfig.Subnets"));
  if (subnets.length === 0) out.push("VpcConfig.Subnets is empty or missing");
  if (strings(at(def, "VpcConfig.SecurityGroupIds")).length === 0)
    out.push("VpcConfig.SecurityGroupIds is empty or missing");
  const exposed = publicSubnets(resources);
  for (const id of subnets) {
    if (awsxSubnetKind(resources, id) === "public") {
      out.push(`subnet ${id} is one of the VPC's public subnets; trials must run in a private subnet`);
      continue;
    }
    const declared = ofType(resources, SUBNET).find((s) => s.props.id === id || s.props.subnetId === id);
    const why = declared && exposed.get(declared);
    if (why) out.push(`subnet ${id} is public (it ${why}); trials must run in a private subnet`);
  }
  // A bounded budget.
  const jobs = at(body, "HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs");
  const parallel = at(body, "HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs");
  const total = at(body, "HyperParameterTuningJobConfig.ResourceLimits.MaxRuntimeInSeconds");
  if (typeof jobs !== "number") out.push("ResourceLimits.MaxNumberOfTrainingJobs is not set");
  else if (jobs > cfg.maxTrainingJobs)
    out.push(`ResourceLimits.MaxNumberOfTrainingJobs is ${jobs}, more than ${cfg.maxTrainingJobs}`);
  if (typeof parallel === "number" && parallel > cfg.maxParallelTrainingJobs)
    out.push(
      `ResourceLimits.MaxParallelTrainingJobs is ${parallel}, more than ${cfg.maxParallelTrainingJobs}`,
    );
  if (typeof total !== "number") out.push("ResourceLimits.MaxRuntimeInSeconds is not set");
  const instances = at(def, "ResourceConfig.InstanceCount");
  if (typeof jobs === "number" && typeof run === "number" && typeof instances === "number") {
    const hours = (jobs * run * instances) / 3600;
    if (hours > cfg.maxInstanceHours) {
      out.push(
        `at most ${hours.toFixed(1)} instance-hours (${jobs} jobs × ${run} s × ${instances}), more than ${cfg.maxInstanceHours}`,
      );
    }
  }
  return out;
}

export const tuningGuarded: WarecastPolicy = stackPolicy(
  {
    name: "sagemaker-tuning-guarded",
    description:
      "SageMaker tuning jobs run their trials on managed spot with checkpoints, with the stack's KMS key, in private subnets (none of the VPC's public ones), within a bounded budget (trials × max runtime).",
    remediationSteps:
      "Set modelSpot: true and tuningTrialMaxWaitSeconds ≥ tuningTrialMaxRuntimeSeconds; build the tune settings " +
      "from retraining's (the stack key, the private subnets); keep tuningMaxJobs × tuningTrialMaxRuntimeSeconds " +
      "within the rule's maxInstanceHours.",
    severity: "high",
    configSchema: {
      properties: {
        maxTrainingJobs: {
          type: "integer",
          minimum: 1,
          default: 50,
          description: "Most trials per tuning job.",
        },
        maxParallelTrainingJobs: {
          type: "integer",
          minimum: 1,
          default: 10,
          description: "Most trials at once.",
        },
        maxInstanceHours: {
          type: "number",
          minimum: 0,
          default: 40,
          description: "Most instance-hours a tuning job may use: trials × trial max runtime × instances.",
        },
      },
    },
  },
  (args, report) => {
    const c = args.getConfig<TuningConfig>();
    const cfg = {
      maxTrainingJobs: c.maxTrainingJobs ?? 50,
      maxParallelTrainingJobs: c.maxParallelTrainingJobs ?? 10,
      maxInstanceHours: c.maxInstanceHours ?? 40,
    };
    const { carriers, unknown } = settingsCarriers(args.resources, looksLikeTuneSettings);
    for (const { fn, variable, json } of carriers) {
      const say = (message: string) => report(fn, `tuning job from ${variable}: ${message}`);
      // Invalid settings are still built, as for training jobs (policies/sagemaker.ts).
      const parsed = TuneSettingsSchema.safeParse(json);
      let body: Record<string, unknown>;
      try {
        const settings = parsed.success ? parsed.data : (json as unknown as TuneSettings);
        body = JSON.parse(
          JSON.stringify(buildTuningJobRequest(settings, `${settings.tuningJobPrefix}-policy`)),
        ) as Record<string, unknown>;
      } catch (err) {
        say(`the request cannot be built: ${(err as Error).message}`);
        continue;
      }
      for (const problem of requestProblems(body, fn, args.resources, cfg)) say(problem);
    }
    if (carriers.length > 0 || unknown) return;
    const [granted] = grantsOf(args.resources, "CreateHyperParameterTuningJob");
    if (granted) {
      report(
        granted,
        "allows sagemaker:CreateHyperParameterTuningJob, but no function in the stack carries tune settings, so the tuning job's settings cannot be checked",
      );
    }
  },
);
