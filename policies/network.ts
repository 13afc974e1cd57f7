import { resourcePolicy, type ResourceRule } from "./lib/policy";
import { strings } from "./lib/values";

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
