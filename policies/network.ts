import type { PolicyResource } from "@pulumi/policy";
import { resourcePolicy, type ResourceRule } from "./lib/policy";
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

export const networkPolicies = [sgNoPublicIngress];

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
