/**
 * Network: a VPC with one public and one private subnet per AZ, NAT per config, VPC flow logs, an S3 gateway
 * endpoint and interface endpoints for every AWS API the private functions, Glue and SageMaker call.
 * Plain aws.ec2 resources (not awsx) so every piece is visible to tests and policies under mocks.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";
import { createLogGroup, type LogSettings } from "./log-group";
import {
  GATEWAY_ENDPOINTS,
  INTERFACE_ENDPOINTS,
  natLayout,
  planSubnets,
  type InterfaceEndpointService,
} from "./network-plan";
import { assumeRolePolicy, policyDocument } from "./policy-documents";

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
  /** Interface endpoints to create. Default: all of INTERFACE_ENDPOINTS. */
  readonly interfaceEndpoints?: readonly InterfaceEndpointService[];
}

export class Network extends pulumi.ComponentResource {
  public readonly vpc: aws.ec2.Vpc;
  public readonly vpcId: pulumi.Output<string>;
  public readonly cidr: string;
  public readonly privateSubnetIds: pulumi.Output<string>[];
  public readonly publicSubnetIds: pulumi.Output<string>[];
  /** Security group of the interface endpoints: HTTPS from the VPC only. */
  public readonly endpointSecurityGroup: aws.ec2.SecurityGroup;
  public readonly privateRouteTableIds: pulumi.Output<string>[];
  public readonly flowLogGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("warecast:foundation:Network", name, {}, opts);
    const cidr = args.cidr ?? "10.0.0.0/16";
    const azCount = args.azCount ?? 2;
    const plan = planSubnets(cidr, azCount);
    const nat = natLayout(args.nat ?? "single", azCount);
    const endpoints =
      args.interfaceEndpoints ?? (Object.keys(INTERFACE_ENDPOINTS) as InterfaceEndpointService[]);
    const child = { parent: this };

    const azs = aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this });
    this.cidr = cidr;
    this.vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: `${name}-vpc` } },
      child,
    );
    const vpcId = this.vpc.id;
    // Take over the default security group and leave it without rules, so nothing can use it by accident.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId, ingress: [], egress: [] }, child);

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId, tags: { Name: `${name}-igw` } }, child);
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public-rt`,
      { vpcId, tags: { Name: `${name}-public` } },
      child,
    );
    new aws.ec2.Route(
      `${name}-public-default`,
      { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id },
      child,
    );

    // No subnet maps public IPs: public subnets hold only NAT gateways, which have their own Elastic IPs.
    const subnet = (tier: "public" | "private", block: string, i: number) =>
      new aws.ec2.Subnet(
        `${name}-${tier}-${i + 1}`,
        {
          vpcId,
          cidrBlock: block,
          availabilityZone: azs.names[i],
          mapPublicIpOnLaunch: false,
          tags: { Name: `${name}-${tier}-${i + 1}`, tier },
        },
        child,
      );
    const publicSubnets = plan.public.map((block, i) => {
      const s = subnet("public", block, i);
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${i + 1}`,
        { subnetId: s.id, routeTableId: publicRoutes.id },
        child,
      );
      return s;
    });

    const natGateways = Array.from({ length: nat.count }, (_, i) => {
      const eip = new aws.ec2.Eip(
        `${name}-nat-${i + 1}`,
        { domain: "vpc", tags: { Name: `${name}-nat-${i + 1}` } },
        child,
      );
      return new aws.ec2.NatGateway(
        `${name}-nat-${i + 1}`,
        { allocationId: eip.id, subnetId: publicSubnets[i].id, tags: { Name: `${name}-nat-${i + 1}` } },
        { parent: this, dependsOn: [igw] },
      );
    });

    const privateSubnets = plan.private.map((block, i) => subnet("private", block, i));
    const privateRouteTables = privateSubnets.map((subnet, i) => {
      const table = new aws.ec2.RouteTable(
        `${name}-private-rt-${i + 1}`,
        { vpcId, tags: { Name: `${name}-private-${i + 1}` } },
        child,
      );
      const natIndex = nat.forAz(i);
      if (natIndex !== undefined) {
        new aws.ec2.Route(
          `${name}-private-default-${i + 1}`,
          {
            routeTableId: table.id,
            destinationCidrBlock: "0.0.0.0/0",
            natGatewayId: natGateways[natIndex].id,
          },
          child,
        );
      }
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${i + 1}`,
        { subnetId: subnet.id, routeTableId: table.id },
        child,
      );
      return table;
    });

    for (const service of GATEWAY_ENDPOINTS) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service}-gateway`,
        {
          vpcId,
          serviceName: `com.amazonaws.${args.region}.${service}`,
          vpcEndpointType: "Gateway",
          routeTableIds: privateRouteTables.map((t) => t.id),
          tags: { Name: `${name}-${service}` },
        },
        child,
      );
    }

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
          subnetIds: privateSubnets.map((s) => s.id),
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
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateRouteTableIds = privateRouteTables.map((t) => t.id);
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds });
  }
}
