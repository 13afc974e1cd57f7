/**
 * Network: an awsx VPC (one public and one private subnet per AZ at fixed CIDRs, NAT per config, the S3 gateway
 * endpoint on every route table), the default security group emptied, VPC flow logs, and interface endpoints for
 * every AWS API the private functions, Glue and SageMaker call (when config asks for them).
 *
 * Under Pulumi's mocks the awsx VPC is one opaque resource (a remote component): its inputs are what tests and the
 * offline policy check judge (policies/network.ts), and the mocks return its outputs as AWS would. Under the real
 * engine its subnets, routes and gateways are ordinary resources that the same policies check.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";
import { createLogGroup, type LogSettings } from "./log-group";
import {
  GATEWAY_ENDPOINTS,
  INTERFACE_ENDPOINTS,
  planSubnets,
  type InterfaceEndpointService,
} from "./network-plan";
import { assumeRolePolicy, policyDocument } from "./policy-documents";

/** awsx's NAT strategies, by the config's names. */
const NAT_STRATEGY = { none: "None", single: "Single", perAz: "OnePerAz" } as const;

/** The AWS provider `parent` inherited (the stack's tagged provider), as a providers list for a child. */
function awsProvider(parent: pulumi.Resource): pulumi.ProviderResource[] {
  const provider = parent.getProvider("aws::");
  return provider ? [provider] : [];
}

export interface NetworkArgs {
  /** Region (endpoint service names). Required. */
  readonly region: string;
  /** VPC CIDR, /16 to /24. Default 10.0.0.0/16. */
  readonly cidr?: string;
  /** Availability zones (one public + one private subnet each). Default 2. */
  readonly azCount?: number;
  /** NAT gateways: none, single, or perAz. Default single. */
  readonly nat?: "none" | "single" | "perAz";
  /** Log settings for the flow-log group. Required. */
  readonly logs: LogSettings;
  /** Interface endpoints to create. Default: all of INTERFACE_ENDPOINTS; [] reaches AWS through NAT only. */
  readonly interfaceEndpoints?: readonly InterfaceEndpointService[];
}

export class Network extends pulumi.ComponentResource {
  public readonly vpc: awsx.ec2.Vpc;
  public readonly vpcId: pulumi.Output<string>;
  public readonly cidr: string;
  /** One private subnet per AZ, in AZ order. */
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** One public subnet per AZ (NAT gateways only). */
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  /** Security group of the interface endpoints: HTTPS from the VPC only. */
  public readonly endpointSecurityGroup: aws.ec2.SecurityGroup;
  public readonly flowLogGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:foundation:Network", name, {}, opts);
    const cidr = args.cidr ?? "10.0.0.0/16";
    const azCount = args.azCount ?? 2;
    const plan = planSubnets(cidr, azCount);
    const nat = args.nat ?? "single";
    if (!(nat in NAT_STRATEGY))
      throw new Error(`Network ${name}: nat must be none, single or perAz; got "${nat}"`);
    const endpoints =
      args.interfaceEndpoints ?? (Object.keys(INTERFACE_ENDPOINTS) as InterfaceEndpointService[]);
    if (nat === "none" && endpoints.length === 0) {
      throw new Error(`Network ${name}: with nat "none" the private subnets need interface endpoints`);
    }
    const child = { parent: this };

    this.cidr = cidr;
    // Exact CIDRs (planSubnets): adding an AZ never renumbers the existing subnets.
    this.vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: cidr,
        numberOfAvailabilityZones: azCount,
        subnetStrategy: "Auto",
        subnetSpecs: [
          { type: "Private", name: "private", cidrBlocks: plan.private },
          { type: "Public", name: "public", cidrBlocks: plan.public },
        ],
        natGateways: { strategy: NAT_STRATEGY[nat] },
        // Interface endpoints answer under the services' own DNS names only with both on.
        enableDnsHostnames: true,
        enableDnsSupport: true,
        // Gateway endpoints (free) on every route table the VPC makes: Glue in a private subnet requires S3's.
        vpcEndpointStrategy: "Auto",
        vpcEndpointSpecs: GATEWAY_ENDPOINTS.map((service) => ({
          serviceName: `com.amazonaws.${args.region}.${service}`,
          vpcEndpointType: "Gateway",
        })),
        tags: { Name: `${name}-vpc` },
      },
      // A remote component gets only the providers named on it, and its subnets, routes and gateways must go
      // through the stack's tagged provider (the default one is disabled), so name it.
      { parent: this, providers: awsProvider(this) },
    );
    const vpcId = this.vpc.vpcId;
    this.privateSubnetIds = this.vpc.privateSubnetIds;
    this.publicSubnetIds = this.vpc.publicSubnetIds;
    // Take over the default security group and leave it without rules, so nothing can use it by accident.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId, ingress: [], egress: [] }, child);

    this.endpointSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-endpoints`,
      {
        vpcId,
        description: "VPC interface endpoints: HTTPS from inside the VPC only",
        ingress: [
          {
            description: "HTTPS from the VPC",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: [cidr],
          },
        ],
        egress: [],
        tags: { Name: `${name}-endpoints` },
      },
      child,
    );
    for (const service of endpoints) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service.replace(/\./g, "-")}`,
        {
          vpcId,
          serviceName: `com.amazonaws.${args.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: this.privateSubnetIds,
          securityGroupIds: [this.endpointSecurityGroup.id],
          tags: { Name: `${name}-${service}` },
        },
        child,
      );
    }

    // Flow logs: all traffic, into an encrypted log group with the stack's retention.
    this.flowLogGroup = createLogGroup(`${name}-flow-logs`, args.logs, child);
    const ctx = accountContext(this, args.region);
    const flowRole = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        description: "VPC flow logs delivery to CloudWatch Logs",
        assumeRolePolicy: ctx.apply((c) =>
          JSON.stringify(assumeRolePolicy("vpc-flow-logs.amazonaws.com", c.accountId)),
        ),
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: flowRole.id,
        policy: this.flowLogGroup.arn.apply((arn) =>
          JSON.stringify(
            policyDocument([
              {
                Sid: "DeliverFlowLogs",
                Effect: "Allow",
                Action: [
                  "logs:CreateLogStream",
                  "logs:PutLogEvents",
                  "logs:DescribeLogGroups",
                  "logs:DescribeLogStreams",
                ],
                Resource: [arn, `${arn}:log-stream:*`],
              },
            ]),
          ),
        ),
      },
      child,
    );
    new aws.ec2.FlowLog(
      `${name}-flow-log`,
      {
        vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: this.flowLogGroup.arn,
        iamRoleArn: flowRole.arn,
        maxAggregationInterval: 60,
      },
      child,
    );

    this.vpcId = vpcId;
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds });
  }
}
