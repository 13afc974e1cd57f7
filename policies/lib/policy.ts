import type {
  PolicyResource,
  ReportViolation,
  StackValidationPolicy,
  StackValidationArgs,
} from "@pulumi/policy";
import { resolveRef, stackKeyTargets, KEY_FIELDS } from "./stack";

/** A Warecast rule: every rule carries remediation text, and its level comes from the per-stack pack config. */
export type WarecastPolicy = StackValidationPolicy & { remediationSteps: string };

/** Reports `message` against one resource; findings always name the resource they concern. */
export function reportOn(report: ReportViolation, res: PolicyResource, message: string): void {
  report(message, res.urn);
}

/**
 * Checks that the property at `path` names the stack's own customer-managed KMS key (or an alias of it).
 * Returns the problem, or undefined when the reference is fine or cannot be known before deploy.
 */
export function stackKeyProblem(
  res: PolicyResource,
  path: string,
  resources: PolicyResource[],
): string | undefined {
  const targets = stackKeyTargets(resources);
  const ref = resolveRef(res, path, targets, KEY_FIELDS);
  if (ref.kind === "resolved" || ref.kind === "unknown") return undefined;
  if (ref.value === "") return `${path} is not set; it must name the stack's KMS key`;
  if (targets.length === 0) return `${path} is "${ref.value}" but the stack declares no KMS key`;
  return `${path} is "${ref.value}", which is not the stack's KMS key`;
}

/** A stack policy over the resources of some types; the check function reports through `report`. */
export function stackPolicy(
  meta: Omit<WarecastPolicy, "validateStack">,
  check: (args: StackValidationArgs, report: (res: PolicyResource, message: string) => void) => void,
): WarecastPolicy {
  return {
    ...meta,
    validateStack: (args, reportViolation) =>
      check(args, (res, message) => reportOn(reportViolation, res, message)),
  };
}

export type ResourceRule = import("@pulumi/policy").ResourceValidationPolicy & { remediationSteps: string };

/** A resource policy for the given resource types; other types are reported as not applicable, as the SDK does. */
export function resourcePolicy(
  meta: Omit<ResourceRule, "validateResource">,
  types: string[],
  check: (
    props: Record<string, unknown>,
    args: import("@pulumi/policy").ResourceValidationArgs,
    report: (message: string) => void,
  ) => void,
): ResourceRule {
  return {
    ...meta,
    validateResource: (args, reportViolation) => {
      if (!types.includes(args.type)) return;
      check(args.props, args, (message) => reportViolation(message));
    },
  };
}
