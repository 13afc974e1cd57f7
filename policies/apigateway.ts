import type { PolicyResource } from "@pulumi/policy";
import { parse as parseYaml } from "yaml";
import { resourcePolicy, stackPolicy, type ResourceRule, type WarecastPolicy } from "./lib/policy";
import { ofType } from "./lib/stack";
import { at, isSet, list, UNKNOWN } from "./lib/values";

/** API Gateway (REST): logged and throttled stages, and no method open to anonymous callers. */

export const REST_API = "aws:apigateway/restApi:RestApi";
export const STAGE = "aws:apigateway/stage:Stage";
export const METHOD = "aws:apigateway/method:Method";
export const METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings";
export const USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan";

export const apiStageAccessLogging: ResourceRule = resourcePolicy(
  {
    name: "apigw-stage-access-logging",
    description:
      "Every API Gateway stage writes access logs (accessLogSettings with a destination log group and a format).",
    remediationSteps:
      "Set accessLogSettings: { destinationArn: <the stage's KMS-encrypted log group ARN>, format: <JSON format " +
      "with $context.requestId, status, apiKeyId> } on the aws.apigateway.Stage.",
    severity: "medium",
  },
  [STAGE],
  (props, _args, report) => {
    if (!isSet(props, "accessLogSettings.destinationArn")) report("has no accessLogSettings.destinationArn");
    else if (!isSet(props, "accessLogSettings.format")) report("has no accessLogSettings.format");
  },
);

/** True when `a` and `b` name the same REST API: the same dependency, or the same known id. */
function sameApi(a: PolicyResource, aPath: string, b: PolicyResource, bPath: string): boolean {
  const depsA = a.propertyDependencies?.[aPath.split(".")[0]] ?? [];
  const depsB = b.propertyDependencies?.[bPath.split(".")[0]] ?? [];
  if (depsA.some((d) => d.type === REST_API && depsB.includes(d))) return true;
  const va = at(a.props, aPath);
  const vb = at(b.props, bPath);
  return typeof va === "string" && va === vb;
}

function positive(v: unknown): boolean {
  return v === UNKNOWN || (typeof v === "number" && v > 0);
}

export const apiStageThrottling: WarecastPolicy = stackPolicy(
  {
    name: "apigw-stage-throttling",
    description:
      "Every API Gateway stage is throttled: stage-wide method settings with rate and burst limits, or a usage plan on the stage with throttle settings.",
    remediationSteps:
      'Add an aws.apigateway.MethodSettings for the stage with methodPath "*/*" and settings.throttlingRateLimit / ' +
      "throttlingBurstLimit > 0, or a UsagePlan whose apiStages include the stage and whose throttleSettings set " +
      "rateLimit and burstLimit.",
    severity: "high",
  },
  ({ resources }, report) => {
    const settings = ofType(resources, METHOD_SETTINGS);
    const plans = ofType(resources, USAGE_PLAN);
    for (const stage of ofType(resources, STAGE)) {
      const stageName = at(stage.props, "stageName");
      const bySettings = settings.some(
        (s) =>
          sameApi(stage, "restApi", s, "restApi") &&
          (at(s.props, "stageName") === stageName || at(s.props, "stageName") === UNKNOWN) &&
          positive(at(s.props, "settings.throttlingRateLimit")) &&
          positive(at(s.props, "settings.throttlingBurstLimit")) &&
          at(s.props, "settings.throttlingRateLimit") !== undefined,
      );
      const byPlan = plans.some((plan) => {
        const stages = list(plan.props, "apiStages");
        if (stages === UNKNOWN) return true;
        const onStage = stages.some(
          (_, i) =>
            sameApi(stage, "restApi", plan, `apiStages.${i}.apiId`) &&
            [stageName, UNKNOWN].includes(at(plan.props, `apiStages.${i}.stage`) as string),
        );
        return (
          onStage &&
          at(plan.props, "throttleSettings.rateLimit") !== undefined &&
          positive(at(plan.props, "throttleSettings.rateLimit")) &&
          positive(at(plan.props, "throttleSettings.burstLimit"))
        );
      });
      if (!bySettings && !byPlan)
        report(
          stage,
          "has no throttling (no MethodSettings limits and no usage plan throttle on this stage)",
        );
    }
  },
);

const HTTP_METHODS = [
  "get",
  "put",
  "post",
  "delete",
  "patch",
  "head",
  "options",
  "x-amazon-apigateway-any-method",
];

/** The OpenAPI operations of a RestApi body with no security requirement (`[]` or none, at both levels). */
export function openOperations(body: string): string[] {
  let doc: Record<string, unknown>;
  try {
    doc = (body.trimStart().startsWith("{") ? JSON.parse(body) : parseYaml(body)) as Record<string, unknown>;
  } catch {
    return [];
  }
  const globalSecurity = doc.security as unknown[] | undefined;
  const open: string[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const method of HTTP_METHODS) {
      const op = item?.[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const security = (op.security as unknown[] | undefined) ?? globalSecurity;
      const required =
        Array.isArray(security) && security.some((s) => s && Object.keys(s as object).length > 0);
      if (!required) open.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return open;
}

export const apiNoUnauthenticatedMethod: ResourceRule = resourcePolicy(
  {
    name: "apigw-no-unauthenticated-method",
    description:
      "No API Gateway method is callable anonymously: each requires an API key or an authorizer (Method resources and operations in a RestApi's OpenAPI body).",
    remediationSteps:
      'Set apiKeyRequired: true (or an authorization other than "NONE") on the aws.apigateway.Method; in an OpenAPI ' +
      "body, give every operation (or the document) a security requirement such as [{ api_key: [] }].",
    severity: "critical",
  },
  [METHOD, REST_API],
  (props, args, report) => {
    if (args.type === METHOD) {
      const authorization = props.authorization;
      if ((authorization === "NONE" || authorization === undefined) && props.apiKeyRequired !== true) {
        report(`${String(props.httpMethod)} has authorization "NONE" and no API key requirement`);
      }
      return;
    }
    const body = props.body;
    if (typeof body !== "string") return;
    for (const op of openOperations(body)) report(`OpenAPI operation ${op} has no security requirement`);
  },
);

export const apiGatewayPolicies = [apiStageAccessLogging, apiStageThrottling, apiNoUnauthenticatedMethod];
