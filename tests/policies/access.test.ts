/** IAM, Lambda, network and API Gateway rules, each on a compliant and a violating resource, through the real pack. */
import type { CheckResource } from "../../cli/policy-check/analyze";
import { doc } from "./fixtures";
import { findingsOf, KEY_ARN, resource, STACK_KEY, usePack } from "./support";

usePack();

const ROLE_ARN = "arn:aws:iam::123456789012:role/warecast-sagemaker";

describe("IAM", () => {
  const policy = (name: string, ...statements: Record<string, unknown>[]) =>
    resource("aws:iam/rolePolicy:RolePolicy", name, { role: "r", policy: doc(...statements) });

  test("iam-no-wildcard-actions: scoped actions pass; *, service:* and NotAction on Resource * are reported", async () => {
    const ok = policy(
      "ok",
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::raw/*" },
      { Effect: "Allow", Action: "logs:*", Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/x:*" },
    );
    expect(await findingsOf("iam-no-wildcard-actions", [ok])).toEqual([]);
    const bad = policy(
      "bad",
      { Sid: "Admin", Effect: "Allow", Action: "*", Resource: "*" },
      { Effect: "Allow", Action: ["s3:*", "kms:Decrypt"], Resource: ["*"] },
      { Effect: "Allow", NotAction: "iam:*", Resource: "*" },
    );
    const role = resource("aws:iam/role:Role", "inline", {
      assumeRolePolicy: doc({
        Effect: "Allow",
        Principal: { Service: "lambda.amazonaws.com" },
        Action: "sts:AssumeRole",
      }),
      inlinePolicies: [{ name: "p", policy: doc({ Effect: "Allow", Action: "sagemaker:*", Resource: "*" }) }],
    });
    expect(await findingsOf("iam-no-wildcard-actions", [bad, role])).toEqual([
      'bad: statement "Admin" allows "*" on Resource "*"',
      'bad: statement 1 allows "s3:*" on Resource "*"',
      'bad: statement 2 allows NotAction on Resource "*"',
      'inline: statement 0 allows "sagemaker:*" on Resource "*"',
    ]);
  });

  test("iam-no-full-access-managed-policies: a customer policy passes; *FullAccess and AdministratorAccess are reported", async () => {
    const ok = resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ok", {
      role: "r",
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    });
    const full = resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "full", {
      role: "r",
      policyArn: "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
    });
    const role = resource("aws:iam/role:Role", "admin", {
      assumeRolePolicy: doc(),
      managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
    });
    expect(await findingsOf("iam-no-full-access-managed-policies", [ok])).toEqual([]);
    expect(await findingsOf("iam-no-full-access-managed-policies", [full, role])).toEqual([
      "full: attaches the broad managed policy arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
      "admin: attaches the broad managed policy arn:aws:iam::aws:policy/AdministratorAccess",
    ]);
  });

  test("iam-passrole-scoped: a named role with iam:PassedToService passes; wildcards or no condition are reported", async () => {
    const ok = policy("ok", {
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: ROLE_ARN,
      Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
    });
    expect(await findingsOf("iam-passrole-scoped", [ok])).toEqual([]);
    const wide = policy("wide", {
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: "arn:aws:iam::123456789012:role/*",
    });
    const viaWildcard = policy(
      "via-wildcard",
      {
        Effect: "Allow",
        Action: "iam:Pass*",
        Resource: ROLE_ARN,
        Condition: { StringLike: { "iam:PassedToService": "sagemaker.amazonaws.com" } },
      },
      { Effect: "Allow", Action: "iam:*", Resource: ROLE_ARN },
    );
    expect(await findingsOf("iam-passrole-scoped", [wide, viaWildcard])).toEqual([
      'wide: statement 0 allows iam:PassRole on "arn:aws:iam::123456789012:role/*"; name the role ARNs',
      "wide: statement 0 allows iam:PassRole without an iam:PassedToService condition",
      "via-wildcard: statement 1 allows iam:PassRole without an iam:PassedToService condition",
    ]);
  });
});

describe("Lambda", () => {
  const fn = (name: string, inputs: Record<string, unknown>, extra: Partial<CheckResource> = {}) =>
    resource("aws:lambda/function:Function", name, { runtime: "nodejs22.x", ...inputs }, { name }, extra);
  const vpc = { subnetIds: ["private-a-id"], securityGroupIds: ["sg-id"] };
  const subnet = (name: string, mapPublicIpOnLaunch: boolean) =>
    resource(
      "aws:ec2/subnet:Subnet",
      name,
      { cidrBlock: "10.0.0.0/24", mapPublicIpOnLaunch },
      { id: `${name}-id` },
    );
  const group = (name: string, retentionInDays?: number) =>
    resource("aws:cloudwatch/logGroup:LogGroup", name, { name, retentionInDays, kmsKeyId: KEY_ARN });

  test("lambda-private-subnets: a function in a private subnet passes; no VPC or a public subnet is reported", async () => {
    expect(
      await findingsOf("lambda-private-subnets", [subnet("private-a", false), fn("ok", { vpcConfig: vpc })]),
    ).toEqual([]);
    const outside = fn("outside", {});
    const publicOne = fn("public", {
      vpcConfig: { subnetIds: ["public-a-id"], securityGroupIds: ["sg-id"] },
    });
    const noSg = fn("no-sg", { vpcConfig: { subnetIds: ["private-a-id"] } });
    expect(
      await findingsOf("lambda-private-subnets", [
        subnet("private-a", false),
        subnet("public-a", true),
        outside,
        publicOne,
        noSg,
      ]),
    ).toEqual([
      "outside: has no vpcConfig.subnetIds; it runs outside the VPC",
      "public: subnet public-a is public (it maps public IPs on launch); use a private subnet",
      "no-sg: has no vpcConfig.securityGroupIds",
    ]);
  });

  test("lambda-private-subnets: a subnet whose route table sends 0.0.0.0/0 to an internet gateway is public", async () => {
    // Linked by the engine's property dependencies, as in a real preview where ids are still unknown.
    const edge = subnet("edge", false);
    const inner = subnet("inner", false);
    const igw = resource("aws:ec2/internetGateway:InternetGateway", "igw", { vpcId: "vpc" });
    const table = resource("aws:ec2/routeTable:RouteTable", "public-routes", { vpcId: "vpc" });
    const route = resource(
      "aws:ec2/route:Route",
      "default",
      { destinationCidrBlock: "0.0.0.0/0" },
      {},
      {
        propertyDependencies: { routeTableId: [table.urn], gatewayId: [igw.urn] },
      },
    );
    const assoc = resource(
      "aws:ec2/routeTableAssociation:RouteTableAssociation",
      "edge-assoc",
      {},
      {},
      {
        propertyDependencies: { subnetId: [edge.urn], routeTableId: [table.urn] },
      },
    );
    const inVpc = (name: string, target: typeof edge) =>
      fn(
        name,
        { vpcConfig: { securityGroupIds: ["sg-id"], subnetIds: ["unknown-at-preview"] } },
        { propertyDependencies: { vpcConfig: [target.urn] } },
      );
    expect(
      await findingsOf("lambda-private-subnets", [
        edge,
        inner,
        igw,
        table,
        route,
        assoc,
        inVpc("edge-fn", edge),
        inVpc("inner-fn", inner),
      ]),
    ).toEqual([
      "edge-fn: subnet edge is public (it routes to an internet gateway (public-routes)); use a private subnet",
    ]);
  });

  test("lambda-private-subnets: under mocks an awsx VPC's outputs say which of its subnets are public", async () => {
    // A remote component: one resource whose outputs are the subnet ids (no subnet resources of its own).
    const awsxVpc = {
      ...resource(
        "awsx:ec2:Vpc",
        "vpc",
        {},
        {
          vpcId: "vpc-1",
          privateSubnetIds: ["subnet-private-1", "subnet-private-2"],
          publicSubnetIds: ["subnet-public-1", "subnet-public-2"],
        },
      ),
      custom: false,
      remote: true,
    };
    const inVpc = (name: string, subnetIds: string[]) =>
      fn(name, { vpcConfig: { subnetIds, securityGroupIds: ["sg-id"] } });
    expect(
      await findingsOf("lambda-private-subnets", [
        awsxVpc,
        inVpc("private-fn", ["subnet-private-1", "subnet-private-2"]),
        inVpc("public-fn", ["subnet-private-1", "subnet-public-2"]),
      ]),
    ).toEqual(["public-fn: subnet subnet-public-2 is one of the VPC's public subnets; use a private subnet"]);
  });

  test("lambda-log-retention: loggingConfig or /aws/lambda/<name> with retention passes; none or no retention is reported", async () => {
    const viaConfig = fn("via-config", { loggingConfig: { logFormat: "JSON", logGroup: "/warecast/fn" } });
    const byName = fn("by-name", { name: "by-name" });
    expect(
      await findingsOf("lambda-log-retention", [
        group("/warecast/fn", 7),
        group("/aws/lambda/by-name", 7),
        viaConfig,
        byName,
      ]),
    ).toEqual([]);
    const forever = fn("forever", { loggingConfig: { logFormat: "JSON", logGroup: "/warecast/forever" } });
    const none = fn("none", {});
    const elsewhere = fn("elsewhere", { loggingConfig: { logFormat: "JSON", logGroup: "/somewhere/else" } });
    expect(
      await findingsOf("lambda-log-retention", [group("/warecast/forever"), forever, none, elsewhere]),
    ).toEqual([
      "forever: its log group /warecast/forever keeps logs forever (no retentionInDays)",
      "none: has no log group in the stack (set loggingConfig.logGroup); Lambda would create one without retention",
      'elsewhere: loggingConfig.logGroup "/somewhere/else" is not a log group of this stack',
    ]);
  });

  test("lambda-reserved-concurrency: only functions the config names need it, at the configured minimum", async () => {
    const config = {
      all: { enforcementLevel: "mandatory" as const },
      "lambda-reserved-concurrency": { properties: { minimums: { "-predict$": 50 } } },
    };
    const ok = fn("api-predict", { reservedConcurrentExecutions: 50 });
    const other = fn("api-health", {});
    expect(await findingsOf("lambda-reserved-concurrency", [ok, other], config)).toEqual([]);
    const low = fn("prod-predict", { reservedConcurrentExecutions: 5 });
    const unset = fn("dev-predict", {});
    expect(await findingsOf("lambda-reserved-concurrency", [low, unset], config)).toEqual([
      "prod-predict: reservedConcurrentExecutions is 5; the stack requires at least 50",
      "dev-predict: reservedConcurrentExecutions is not set; the stack requires at least 50",
    ]);
  });
});

describe("network", () => {
  test("vpc-private-layout: the awsx VPC as components/network.ts builds it passes; each missing piece is reported", async () => {
    const vpc = (name: string, inputs: Record<string, unknown>) => ({
      ...resource("awsx:ec2:Vpc", name, {
        cidrBlock: "10.0.0.0/16",
        numberOfAvailabilityZones: 2,
        subnetSpecs: [{ type: "Private" }, { type: "Public" }],
        enableDnsSupport: true,
        enableDnsHostnames: true,
        vpcEndpointSpecs: [{ serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway" }],
        ...inputs,
      }),
      custom: false,
      remote: true,
    });
    expect(await findingsOf("vpc-private-layout", [vpc("ok", {})])).toEqual([]);
    expect(
      await findingsOf("vpc-private-layout", [
        vpc("public-only", { subnetSpecs: [{ type: "Public" }] }),
        vpc("one-az", { numberOfAvailabilityZones: 1 }),
        // awsx leaves DNS hostnames off unless asked.
        vpc("no-hostnames", { enableDnsHostnames: undefined }),
        vpc("no-s3", {
          vpcEndpointSpecs: [{ serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Interface" }],
        }),
      ]),
    ).toEqual([
      "public-only: has no Private subnet spec: functions, Glue and SageMaker would have nowhere private to run",
      "one-az: spans 1 availability zone; use at least 2",
      "no-hostnames: enableDnsHostnames is not true: interface endpoints' private DNS names would not resolve",
      "no-s3: has no S3 gateway endpoint in vpcEndpointSpecs",
    ]);
  });

  test("vpc-private-layout: under the real engine, the VPC awsx made and its endpoints are judged", async () => {
    const child = (name: string, dns: boolean) =>
      resource(
        "aws:ec2/vpc:Vpc",
        name,
        { cidrBlock: "10.0.0.0/16", enableDnsSupport: dns, enableDnsHostnames: dns },
        { id: `${name}-id` },
      );
    const s3 = (name: string, vpcId: string, type = "Gateway") =>
      resource("aws:ec2/vpcEndpoint:VpcEndpoint", name, {
        vpcId,
        serviceName: "com.amazonaws.eu-west-1.s3",
        vpcEndpointType: type,
      });
    // The awsx resource as AnalyzeStack may show it: outputs only, so it is left to its children.
    const outputsOnly = {
      ...resource("awsx:ec2:Vpc", "vpc", {}, { vpcId: "good-id", privateSubnetIds: ["s1", "s2"] }),
      inputs: {},
      outputs: { vpcId: "good-id", privateSubnetIds: ["s1", "s2"] },
      custom: false,
      remote: true,
    };
    expect(
      await findingsOf("vpc-private-layout", [outputsOnly, child("good", true), s3("good-s3", "good-id")]),
    ).toEqual([]);
    expect(
      await findingsOf("vpc-private-layout", [
        child("no-dns", false),
        child("no-s3", true),
        s3("interface-s3", "no-s3-id", "Interface"),
      ]),
    ).toEqual([
      "no-dns: enableDnsSupport is false: interface endpoints' private DNS names would not resolve",
      "no-dns: enableDnsHostnames is false: interface endpoints' private DNS names would not resolve",
      "no-dns: has no S3 gateway endpoint",
      "no-s3: has no S3 gateway endpoint",
    ]);
  });

  test("sg-no-public-ingress: VPC-only ingress passes; 0.0.0.0/0 and ::/0 in any form are reported", async () => {
    const ok = resource("aws:ec2/securityGroup:SecurityGroup", "ok", {
      ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.20.0.0/16"] }],
      egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
    });
    expect(await findingsOf("sg-no-public-ingress", [ok])).toEqual([]);
    const open = resource("aws:ec2/securityGroup:SecurityGroup", "open", {
      ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
    });
    const rule = resource("aws:ec2/securityGroupRule:SecurityGroupRule", "rule", {
      type: "ingress",
      ipv6CidrBlocks: ["::/0"],
      securityGroupId: "sg",
    });
    const egress = resource("aws:ec2/securityGroupRule:SecurityGroupRule", "egress", {
      type: "egress",
      cidrBlocks: ["0.0.0.0/0"],
      securityGroupId: "sg",
    });
    const vpcRule = resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "vpc-rule", {
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "tcp",
      securityGroupId: "sg",
    });
    expect(await findingsOf("sg-no-public-ingress", [open, rule, egress, vpcRule])).toEqual([
      "open: ingress[0] allows ingress from 0.0.0.0/0",
      "rule: rule allows ingress from ::/0",
      "vpc-rule: rule allows ingress from 0.0.0.0/0",
    ]);
  });
});

describe("API Gateway", () => {
  const api = resource("aws:apigateway/restApi:RestApi", "api", { name: "api" }, { id: "api-id" });
  const stage = (name: string, extra: Record<string, unknown> = {}) =>
    resource("aws:apigateway/stage:Stage", name, {
      restApi: "api-id",
      stageName: name,
      deployment: "dep",
      accessLogSettings: {
        destinationArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/api",
        format: '{"requestId":"$context.requestId"}',
      },
      ...extra,
    });

  test("apigw-stage-access-logging: a stage with destination and format passes; missing either is reported", async () => {
    expect(await findingsOf("apigw-stage-access-logging", [api, stage("v1")])).toEqual([]);
    expect(
      await findingsOf("apigw-stage-access-logging", [
        api,
        stage("nolog", { accessLogSettings: undefined }),
        stage("noformat", { accessLogSettings: { destinationArn: "arn:x" } }),
      ]),
    ).toEqual([
      "nolog: has no accessLogSettings.destinationArn",
      "noformat: has no accessLogSettings.format",
    ]);
  });

  test("apigw-stage-throttling: method settings or a usage plan throttle pass; an unthrottled stage is reported", async () => {
    const settings = resource("aws:apigateway/methodSettings:MethodSettings", "v1-settings", {
      restApi: "api-id",
      stageName: "v1",
      methodPath: "*/*",
      settings: { throttlingRateLimit: 10, throttlingBurstLimit: 20, metricsEnabled: true },
    });
    const plan = resource("aws:apigateway/usagePlan:UsagePlan", "plan", {
      apiStages: [{ apiId: "api-id", stage: "v2" }],
      throttleSettings: { rateLimit: 10, burstLimit: 20 },
    });
    expect(
      await findingsOf("apigw-stage-throttling", [api, stage("v1"), stage("v2"), settings, plan]),
    ).toEqual([]);
    const quotaOnly = resource("aws:apigateway/usagePlan:UsagePlan", "quota", {
      apiStages: [{ apiId: "api-id", stage: "v3" }],
      quotaSettings: { limit: 100, period: "DAY" },
    });
    expect(await findingsOf("apigw-stage-throttling", [api, stage("v3"), quotaOnly])).toEqual([
      "v3: has no throttling (no MethodSettings limits and no usage plan throttle on this stage)",
    ]);
  });

  test("apigw-no-unauthenticated-method: API keys or authorizers pass; an open method or OpenAPI operation is reported", async () => {
    const keyed = resource("aws:apigateway/method:Method", "get-forecasts", {
      restApi: "api-id",
      resourceId: "r",
      httpMethod: "GET",
      authorization: "NONE",
      apiKeyRequired: true,
    });
    const iam = resource("aws:apigateway/method:Method", "post-jobs", {
      restApi: "api-id",
      resourceId: "r",
      httpMethod: "POST",
      authorization: "AWS_IAM",
    });
    const body = JSON.stringify({
      openapi: "3.0.1",
      security: [{ api_key: [] }],
      paths: { "/health": { get: {} }, "/forecasts": { post: { security: [{ api_key: [] }] } } },
    });
    const withBody = resource("aws:apigateway/restApi:RestApi", "spec-api", { name: "spec-api", body });
    expect(await findingsOf("apigw-no-unauthenticated-method", [keyed, iam, withBody])).toEqual([]);
    const open = resource("aws:apigateway/method:Method", "open", {
      restApi: "api-id",
      resourceId: "r",
      httpMethod: "GET",
      authorization: "NONE",
    });
    const yamlBody =
      "openapi: 3.0.1\npaths:\n  /health:\n    get:\n      security: []\n  /forecasts:\n    post:\n      security:\n        - api_key: []\n";
    const openSpec = resource("aws:apigateway/restApi:RestApi", "open-spec", {
      name: "open-spec",
      body: yamlBody,
    });
    expect(await findingsOf("apigw-no-unauthenticated-method", [open, openSpec])).toEqual([
      'open: GET has authorization "NONE" and no API key requirement',
      "open-spec: OpenAPI operation GET /health has no security requirement",
    ]);
  });
});

test("the KMS key fixture is not flagged by access rules", async () => {
  expect(await findingsOf("iam-no-wildcard-actions", [STACK_KEY])).toEqual([]);
});
