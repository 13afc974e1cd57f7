import { LOG_GROUP } from "./encryption";
import { resourcePolicy, stackPolicy, type ResourceRule, type WarecastPolicy } from "./lib/policy";
import { ofType, resolveRef } from "./lib/stack";
import { awsxSubnetKind, publicSubnets, SUBNET } from "./network";
import { at, isSet, list, str, UNKNOWN } from "./lib/values";

/** Lambda functions: private networking, bounded logs, reserved concurrency where the stack asks for it. */

export const LAMBDA_FUNCTION = "aws:lambda/function:Function";

export const lambdaPrivateSubnets: WarecastPolicy = stackPolicy(
  {
    name: "lambda-private-subnets",
    description:
      "Every Lambda function is attached to the VPC (subnets and security groups), and none of its subnets is public (a default route to an internet gateway, or public IPs on launch).",
    remediationSteps:
      "Create functions with the shared private-subnet CallbackFunction helper, or set vpcConfig.subnetIds to the " +
      "Network's private subnet IDs and vpcConfig.securityGroupIds to a security group without public ingress.",
    severity: "high",
  },
  ({ resources }, report) => {
    const subnets = ofType(resources, SUBNET);
    const exposed = publicSubnets(resources);
    for (const fn of ofType(resources, LAMBDA_FUNCTION)) {
      if (!isSet(fn.props, "vpcConfig.subnetIds")) {
        report(fn, "has no vpcConfig.subnetIds; it runs outside the VPC");
        continue;
      }
      if (!isSet(fn.props, "vpcConfig.securityGroupIds")) report(fn, "has no vpcConfig.securityGroupIds");
      // The function's subnets: by the engine's dependencies of vpcConfig, or by matching the listed ids.
      const own = new Set((fn.propertyDependencies?.vpcConfig ?? []).filter((d) => d.type === SUBNET));
      const ids = list(fn.props, "vpcConfig.subnetIds");
      if (ids !== UNKNOWN) {
        ids.forEach((id, i) => {
          const ref = resolveRef(fn, `vpcConfig.subnetIds.${i}`, subnets, ["id", "subnetId", "arn"]);
          if (ref.kind === "resolved") own.add(ref.target);
          // Under mocks an awsx VPC's subnets are no resources of their own: its outputs say which kind each is.
          else if (typeof id === "string" && awsxSubnetKind(resources, id) === "public")
            report(fn, `subnet ${id} is one of the VPC's public subnets; use a private subnet`);
        });
      }
      for (const subnet of own) {
        const why = exposed.get(subnet);
        if (why) report(fn, `subnet ${subnet.name} is public (it ${why}); use a private subnet`);
      }
    }
  },
);

export const lambdaLogRetention: WarecastPolicy = stackPolicy(
  {
    name: "lambda-log-retention",
    description:
      "Every Lambda function logs to a log group of this stack that has a retention period (loggingConfig.logGroup, or /aws/lambda/<name>).",
    remediationSteps:
      "Create the function's log group with the shared log-group helper (retention and KMS from config) and point " +
      "loggingConfig.logGroup at it; otherwise Lambda creates /aws/lambda/<name> itself, kept forever and unencrypted.",
    severity: "medium",
  },
  ({ resources }, report) => {
    const groups = ofType(resources, LOG_GROUP);
    for (const fn of ofType(resources, LAMBDA_FUNCTION)) {
      let group = undefined;
      if (at(fn.props, "loggingConfig.logGroup") !== undefined) {
        const ref = resolveRef(fn, "loggingConfig.logGroup", groups, ["name", "id", "arn"]);
        if (ref.kind === "unknown") continue;
        if (ref.kind === "unresolved") {
          report(fn, `loggingConfig.logGroup "${ref.value}" is not a log group of this stack`);
          continue;
        }
        group = ref.target;
      } else {
        const name = str(fn.props, "name");
        group = name ? groups.find((g) => str(g.props, "name") === `/aws/lambda/${name}`) : undefined;
      }
      if (!group) {
        report(
          fn,
          "has no log group in the stack (set loggingConfig.logGroup); Lambda would create one without retention",
        );
        continue;
      }
      const days = at(group.props, "retentionInDays");
      if (days !== UNKNOWN && !(typeof days === "number" && days > 0)) {
        report(fn, `its log group ${group.name} keeps logs forever (no retentionInDays)`);
      }
    }
  },
);

export const lambdaReservedConcurrency: ResourceRule = resourcePolicy(
  {
    name: "lambda-reserved-concurrency",
    description:
      "Functions named in the pack config (logical-name pattern → minimum, mirroring the stack config) reserve at least that much concurrency.",
    remediationSteps:
      "Set reservedConcurrentExecutions on the function from the stack config; keep the pattern→minimum map in " +
      "policies/config/<stack>.json in step with Pulumi.<stack>.yaml.",
    severity: "medium",
    configSchema: {
      properties: {
        minimums: {
          type: "object",
          additionalProperties: { type: "integer", minimum: 1 },
          default: {},
          description: "Regular expression on the function's logical name → minimum reserved concurrency.",
        },
      },
    },
  },
  [LAMBDA_FUNCTION],
  (props, args, report) => {
    const { minimums = {} } = args.getConfig<{ minimums?: Record<string, number> }>();
    for (const [pattern, minimum] of Object.entries(minimums)) {
      if (!new RegExp(pattern).test(args.name)) continue;
      const reserved = props.reservedConcurrentExecutions;
      if (typeof reserved !== "number" || reserved < minimum) {
        report(
          `reservedConcurrentExecutions is ${reserved === undefined ? "not set" : String(reserved)}; the stack requires at least ${minimum}`,
        );
      }
    }
  },
);

export const lambdaPolicies = [lambdaPrivateSubnets, lambdaLogRetention, lambdaReservedConcurrency];
