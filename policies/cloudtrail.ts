import {
  resourcePolicy,
  stackPolicy,
  stackKeyProblem,
  type ResourceRule,
  type WarecastPolicy,
} from "./lib/policy";
import { ofType } from "./lib/stack";

/** CloudTrail: one trail sees every region, and its log files can be proven untampered. */

export const TRAIL = "aws:cloudtrail/trail:Trail";

export const cloudTrailMultiRegion: ResourceRule = resourcePolicy(
  {
    name: "cloudtrail-multi-region-validated",
    description:
      "CloudTrail trails are multi-region, include global service events, and have log file validation on.",
    remediationSteps:
      "Set isMultiRegionTrail: true, includeGlobalServiceEvents: true and enableLogFileValidation: true on the aws.cloudtrail.Trail.",
    severity: "high",
  },
  [TRAIL],
  (props, _args, report) => {
    if (props.isMultiRegionTrail !== true) report("is not multi-region (isMultiRegionTrail)");
    if (props.includeGlobalServiceEvents === false) report("excludes global service events (IAM, STS)");
    if (props.enableLogFileValidation !== true)
      report("has no log file validation (enableLogFileValidation)");
  },
);

export const cloudTrailKms: WarecastPolicy = stackPolicy(
  {
    name: "cloudtrail-kms-stack-key",
    description: "CloudTrail trails encrypt their log files with the stack's KMS key (kmsKeyId).",
    remediationSteps:
      "Set kmsKeyId on the trail to the stack key's ARN; the key policy must allow cloudtrail.amazonaws.com to " +
      "GenerateDataKey* with the aws:cloudtrail:arn encryption context.",
    severity: "high",
  },
  ({ resources }, report) => {
    for (const trail of ofType(resources, TRAIL)) {
      const problem = stackKeyProblem(trail, "kmsKeyId", resources);
      if (problem) report(trail, problem);
    }
  },
);

export const cloudTrailPolicies = [cloudTrailMultiRegion, cloudTrailKms];
