import { LOG_GROUP } from "./encryption";
import { resourcePolicy, type ResourceRule } from "./lib/policy";
import { at, parseJson, UNKNOWN } from "./lib/values";

/** Tags and retention: every taggable resource is attributable, and logs are kept neither too briefly nor forever. */

/**
 * Resource types that take `tags` and that Warecast creates. The provider's default tags reach these through
 * `tagsAll`; types outside this list (attachments, policies of buckets, …) have no tags to check.
 */
export const TAGGABLE = [
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketObjectv2:BucketObjectv2",
  "aws:kms/key:Key",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:cloudwatch/eventRule:EventRule",
  "aws:sns/topic:Topic",
  "aws:sqs/queue:Queue",
  "aws:budgets/budget:Budget",
  "aws:lambda/function:Function",
  "aws:lambda/eventSourceMapping:EventSourceMapping",
  "aws:iam/role:Role",
  "aws:iam/policy:Policy",
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  "aws:glue/job:Job",
  "aws:glue/catalogDatabase:CatalogDatabase",
  "aws:glue/connection:Connection",
  "aws:glue/crawler:Crawler",
  "aws:sagemaker/model:Model",
  "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
  "aws:sagemaker/endpoint:Endpoint",
  "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:ec2/vpcEndpoint:VpcEndpoint",
  "aws:ec2/natGateway:NatGateway",
  "aws:ec2/eip:Eip",
  "aws:ec2/internetGateway:InternetGateway",
  "aws:ec2/routeTable:RouteTable",
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  "aws:appautoscaling/target:Target",
  "aws:ec2/flowLog:FlowLog",
  "aws:cloudtrail/trail:Trail",
  "aws:apigateway/restApi:RestApi",
  "aws:apigateway/stage:Stage",
  "aws:apigateway/usagePlan:UsagePlan",
  "aws:apigateway/apiKey:ApiKey",
  // Not awsx:ec2:Vpc: a remote component is no AWS resource. Its children (the ec2 Vpc, subnets, gateways, routes,
  // endpoints) are on this list and made through the providers it is given, the stack's tagged one.
];

/** The tags a resource will carry: its provider's default tags overlaid with its own. */
export function effectiveTags(
  props: Record<string, unknown>,
  providerProps: Record<string, unknown> | undefined,
): Record<string, unknown> | typeof UNKNOWN {
  // Provider inputs reach the analyzer JSON-encoded (the SDK stringifies object-valued provider arguments).
  const defaults = parseJson(providerProps ? at(providerProps, "defaultTags") : undefined);
  if (defaults === UNKNOWN) return UNKNOWN;
  const own = at(props, "tags");
  if (own === UNKNOWN) return UNKNOWN;
  return {
    ...((defaults?.tags as Record<string, unknown>) ?? {}),
    ...((own as Record<string, unknown>) ?? {}),
  };
}

export const requiredTags: ResourceRule = resourcePolicy(
  {
    name: "required-tags",
    description:
      "Every taggable resource carries the required tags (from the pack config), through the provider's default tags or its own.",
    remediationSteps:
      "Create the resource with the stack's tagged AWS provider (opts.provider, or parent: a component created " +
      "with it), whose defaultTags come from the stack config; set any missing tag in Pulumi.<stack>.yaml.",
    severity: "low",
    configSchema: {
      properties: {
        tags: {
          type: "array",
          items: { type: "string" },
          default: ["project", "environment", "owner", "cost-center"],
          description: "Tag keys every taggable resource must carry, with a non-empty value.",
        },
      },
    },
  },
  TAGGABLE,
  (props, args, report) => {
    const { tags = [] } = args.getConfig<{ tags?: string[] }>();
    const effective = effectiveTags(props, args.provider?.props);
    if (effective === UNKNOWN) return;
    const missing = tags.filter((t) => typeof effective[t] !== "string" || effective[t] === "");
    if (missing.length > 0) {
      report(
        `is missing required tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (provider: ${args.provider?.name ?? "default"})`,
      );
    }
  },
);

export const logRetentionBounds: ResourceRule = resourcePolicy(
  {
    name: "log-retention-bounds",
    description:
      "Every CloudWatch log group sets retentionInDays within the stack's bounds (minDays..maxDays in the pack config).",
    remediationSteps:
      "Set retentionInDays from the stack config through the shared log-group helper; if the stack's retention " +
      "changed on purpose, move minDays/maxDays in policies/config/<stack>.json with it.",
    severity: "medium",
    configSchema: {
      properties: {
        minDays: { type: "integer", minimum: 1, default: 7, description: "Shortest allowed retention." },
        maxDays: { type: "integer", minimum: 1, default: 3653, description: "Longest allowed retention." },
      },
    },
  },
  [LOG_GROUP],
  (props, args, report) => {
    const { minDays = 7, maxDays = 3653 } = args.getConfig<{ minDays?: number; maxDays?: number }>();
    const days = props.retentionInDays;
    if (typeof days !== "number" || days <= 0)
      report(`has no retentionInDays; logs would be kept forever (allowed: ${minDays}–${maxDays} days)`);
    else if (days < minDays || days > maxDays)
      report(`retentionInDays is ${days}; allowed: ${minDays}–${maxDays} days`);
  },
);

export const tagPolicies = [requiredTags, logRetentionBounds];
