import type { PolicyResource } from "@pulumi/policy";
import { resourcePolicy, stackPolicy, type ResourceRule, type WarecastPolicy } from "./lib/policy";
import { ofType, resolveRef } from "./lib/stack";
import { at, list, strings, UNKNOWN } from "./lib/values";

/** Network exposure: nothing in the stack accepts traffic from the whole internet. */

const OPEN = new Set(["0.0.0.0/0", "::/0"]);

/** Each resource type's ingress CIDRs, as `[where, cidr]` pairs. */
const INGRESS: Record<string, (props: Record<string, unknown>) => [string, string][]> = {
  "aws:ec2/securityGroup:SecurityGroup": (p) =>
    (Array.isArray(p.ingress) ? p.ingress : []).flatMap((rule: Record<string, unknown>, i: number) =>
      [...strings(rule.cidrBlocks), ...strings(rule.ipv6CidrBlocks)].map((c): [string, string] => [
        `ingress[${i}]`,
        c,
      ]),
    ),
  "aws:ec2/securityGroupRule:SecurityGroupRule": (p) =>
    p.type === "ingress"
      ? [...strings(p.cidrBlocks), ...strings(p.ipv6CidrBlocks)].map((c): [string, string] => ["rule", c])
      : [],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (p) =>
    [...strings(p.cidrIpv4), ...strings(p.cidrIpv6)].map((c): [string, string] => ["rule", c]),
};

export const sgNoPublicIngress: ResourceRule = resourcePolicy(
  {
    name: "sg-no-public-ingress",
    description: "No security group (or security group rule) allows ingress from 0.0.0.0/0 or ::/0.",
    remediationSteps:
      "Allow ingress only from the VPC CIDR or from other security groups (referencedSecurityGroupId / " +
      "sourceSecurityGroupId); public traffic enters through API Gateway, never a security group.",
    severity: "critical",
  },
  Object.keys(INGRESS),
  (props, args, report) => {
    for (const [where, cidr] of INGRESS[args.type](props)) {
      if (OPEN.has(cidr)) report(`${where} allows ingress from ${cidr}`);
    }
  },
);

/** awsx's VPC: a remote component, one resource under mocks (its inputs and outputs), many under the real engine. */
export const AWSX_VPC = "awsx:ec2:Vpc";

const VPC = "aws:ec2/vpc:Vpc";
const VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const DNS_FLAGS = ["enableDnsSupport", "enableDnsHostnames"];
const isS3Gateway = (serviceName: unknown, type: unknown) =>
  /\.s3$/.test(String(serviceName)) && type === "Gateway";

/**
 * What the private workloads need from the VPC to reach AWS. Offline (under mocks) the awsx VPC is one resource and
 * the rule reads its inputs, the layout awsx will build; under the real engine it reads the children awsx made (the
 * ec2 Vpc and its endpoints), and the awsx resource itself only when its inputs are visible.
 */
export const vpcPrivateLayout: WarecastPolicy = stackPolicy(
  {
    name: "vpc-private-layout",
    description:
      "Each VPC has private subnets in at least two AZs, DNS support and hostnames on (interface endpoints' private DNS), and an S3 gateway endpoint (Glue jobs in private subnets require one).",
    remediationSteps:
      "Build the VPC with components/network.ts: subnetSpecs with a Private spec, numberOfAvailabilityZones ≥ 2, " +
      "enableDnsSupport and enableDnsHostnames true, and vpcEndpointSpecs with com.amazonaws.<region>.s3 of type Gateway.",
    severity: "high",
  },
  ({ resources }, report) => {
    for (const vpc of ofType(resources, AWSX_VPC)) {
      // The component's own inputs (what the mocked graph carries); AnalyzeStack may show only its outputs.
      if (
        ["subnetSpecs", "numberOfAvailabilityZones", "cidrBlock"].every((k) => at(vpc.props, k) === undefined)
      )
        continue;
      const specs = list(vpc.props, "subnetSpecs");
      if (
        specs !== UNKNOWN &&
        specs.length > 0 &&
        !specs.some((_, i) => at(vpc.props, `subnetSpecs.${i}.type`) === "Private")
      )
        report(
          vpc,
          "has no Private subnet spec: functions, Glue and SageMaker would have nowhere private to run",
        );
      const names = list(vpc.props, "availabilityZoneNames");
      const count =
        names !== UNKNOWN && names.length > 0 ? names.length : at(vpc.props, "numberOfAvailabilityZones");
      // awsx's default is 3 zones.
      if (typeof count === "number" && count < 2)
        report(vpc, `spans ${count} availability zone; use at least 2`);
      for (const flag of DNS_FLAGS) {
        if (at(vpc.props, flag) !== true && at(vpc.props, flag) !== UNKNOWN)
          report(vpc, `${flag} is not true: interface endpoints' private DNS names would not resolve`);
      }
      const endpoints = list(vpc.props, "vpcEndpointSpecs");
      if (endpoints === UNKNOWN) continue;
      const s3Gateway = endpoints.some((_, i) =>
        isS3Gateway(
          at(vpc.props, `vpcEndpointSpecs.${i}.serviceName`),
          at(vpc.props, `vpcEndpointSpecs.${i}.vpcEndpointType`),
        ),
      );
      if (!s3Gateway) report(vpc, "has no S3 gateway endpoint in vpcEndpointSpecs");
    }
    // The VPC awsx (or anything else) created: its DNS flags, and an S3 gateway endpoint attached to it.
    const endpoints = ofType(resources, VPC_ENDPOINT);
    for (const vpc of ofType(resources, VPC)) {
      for (const flag of DNS_FLAGS) {
        const value = at(vpc.props, flag);
        if (value === false)
          report(vpc, `${flag} is false: interface endpoints' private DNS names would not resolve`);
      }
      const gateways = endpoints.filter((e) =>
        isS3Gateway(at(e.props, "serviceName"), at(e.props, "vpcEndpointType")),
      );
      const attached = gateways.map((e) => resolveRef(e, "vpcId", [vpc], ["id"]));
      if (attached.some((r) => r.kind !== "unresolved")) continue;
      report(vpc, "has no S3 gateway endpoint");
    }
  },
);

export const networkPolicies = [sgNoPublicIngress, vpcPrivateLayout];

/**
 * Subnet ids an awsx VPC hands out, by kind ("private" or "public"), from its outputs (what AnalyzeStack sees).
 * Returns the kind of `id`, or undefined when no VPC of the stack lists it.
 */
export function awsxSubnetKind(resources: PolicyResource[], id: string): "private" | "public" | undefined {
  for (const vpc of ofType(resources, AWSX_VPC)) {
    for (const kind of ["private", "public"] as const) {
      const ids = list(vpc.props, `${kind}SubnetIds`);
      if (ids !== UNKNOWN && ids.includes(id)) return kind;
    }
  }
  return undefined;
}

export const SUBNET = "aws:ec2/subnet:Subnet";
const ROUTE = "aws:ec2/route:Route";
const ROUTE_TABLE = "aws:ec2/routeTable:RouteTable";
const ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation";
const INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway";
const ID_FIELDS = ["id", "arn"];

/** True when `res.path` refers to one of `targets` (by the engine's dependency or by a matching id/ARN). */
function refersTo(res: PolicyResource, path: string, targets: PolicyResource[]): PolicyResource | undefined {
  const ref = resolveRef(res, path, targets, ID_FIELDS);
  return ref.kind === "resolved" ? ref.target : undefined;
}

/**
 * The stack's public subnets, each with the reason: a default route (0.0.0.0/0 or ::/0) to an internet gateway in
 * its route table (a Route resource or an inline route), or public IPs mapped on launch.
 */
export function publicSubnets(resources: PolicyResource[]): Map<PolicyResource, string> {
  const gateways = ofType(resources, INTERNET_GATEWAY);
  const tables = ofType(resources, ROUTE_TABLE);
  const publicTables = new Set<PolicyResource>();
  for (const route of ofType(resources, ROUTE)) {
    const open = ["destinationCidrBlock", "destinationIpv6CidrBlock"].some((f) =>
      OPEN.has(String(at(route.props, f))),
    );
    const table = refersTo(route, "routeTableId", tables);
    if (open && table && refersTo(route, "gatewayId", gateways)) publicTables.add(table);
  }
  for (const table of tables) {
    const routes = list(table.props, "routes");
    if (routes === UNKNOWN) continue;
    routes.forEach((_, i) => {
      const open = ["cidrBlock", "ipv6CidrBlock"].some((f) =>
        OPEN.has(String(at(table.props, `routes.${i}.${f}`))),
      );
      const gateway = at(table.props, `routes.${i}.gatewayId`);
      const toGateway =
        gateways.some((g) => (table.propertyDependencies?.routes ?? []).includes(g)) ||
        (typeof gateway === "string" && gateway.startsWith("igw-"));
      if (open && toGateway) publicTables.add(table);
    });
  }
  const result = new Map<PolicyResource, string>();
  const subnets = ofType(resources, SUBNET);
  for (const assoc of ofType(resources, ASSOCIATION)) {
    const subnet = refersTo(assoc, "subnetId", subnets);
    const table = refersTo(assoc, "routeTableId", tables);
    if (subnet && table && publicTables.has(table))
      result.set(subnet, `routes to an internet gateway (${table.name})`);
  }
  for (const subnet of subnets) {
    if (at(subnet.props, "mapPublicIpOnLaunch") === true) result.set(subnet, "maps public IPs on launch");
  }
  return result;
}
