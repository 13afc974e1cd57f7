import { resourcePolicy, type ResourceRule } from "./lib/policy";
import { parseJson, strings } from "./lib/values";

/** IAM least privilege: no admin wildcards, no broad AWS managed policies, PassRole pinned to roles and services. */

/** Resource types whose inputs carry IAM policy documents, and where the documents sit. */
export const POLICY_DOCUMENTS: Record<string, (props: Record<string, unknown>) => unknown[]> = {
  "aws:iam/policy:Policy": (p) => [p.policy],
  "aws:iam/rolePolicy:RolePolicy": (p) => [p.policy],
  "aws:iam/userPolicy:UserPolicy": (p) => [p.policy],
  "aws:iam/groupPolicy:GroupPolicy": (p) => [p.policy],
  "aws:iam/role:Role": (p) =>
    (Array.isArray(p.inlinePolicies) ? p.inlinePolicies : []).map(
      (ip: unknown) => (ip as { policy?: unknown }).policy,
    ),
};

export interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The Allow statements of every policy document on the resource (unknown documents throw, as the SDK intends). */
export function allowStatements(type: string, props: Record<string, unknown>): Statement[] {
  const docs = POLICY_DOCUMENTS[type]?.(props) ?? [];
  const out: Statement[] = [];
  for (const raw of docs) {
    const doc = parseJson(raw);
    if (!doc || typeof doc !== "object") continue;
    const list = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
    for (const s of list as Statement[]) if (s && s.Effect === "Allow") out.push(s);
  }
  return out;
}

function describe(s: Statement, i: number): string {
  return s.Sid ? `statement "${s.Sid}"` : `statement ${i}`;
}

const SERVICE_WILDCARD = /^[a-z0-9-]+:\*$/i;

export const iamNoWildcardAdmin: ResourceRule = resourcePolicy(
  {
    name: "iam-no-wildcard-actions",
    description: 'No IAM statement allows Action "*" or "<service>:*" (or any NotAction) on Resource "*".',
    remediationSteps:
      "List the specific actions the principal calls and scope Resource to the ARNs it touches (e.g. the stack's " +
      'buckets, its endpoint, its stream). Actions that only support Resource "*" must be named one by one.',
    severity: "critical",
  },
  Object.keys(POLICY_DOCUMENTS),
  (props, args, report) => {
    allowStatements(args.type, props).forEach((s, i) => {
      if (!strings(s.Resource).includes("*")) return;
      const wild = strings(s.Action).filter((a) => a === "*" || SERVICE_WILDCARD.test(a));
      if (wild.length > 0)
        report(`${describe(s, i)} allows ${wild.map((a) => `"${a}"`).join(", ")} on Resource "*"`);
      if (s.NotAction !== undefined) report(`${describe(s, i)} allows NotAction on Resource "*"`);
    });
  },
);

/** Policy ARNs attached by each attachment-like resource type. */
const ATTACHMENTS: Record<string, (props: Record<string, unknown>) => string[]> = {
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (p) => strings(p.policyArn),
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": (p) => strings(p.policyArn),
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": (p) => strings(p.policyArn),
  "aws:iam/policyAttachment:PolicyAttachment": (p) => strings(p.policyArn),
  "aws:iam/role:Role": (p) => strings(p.managedPolicyArns),
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": (p) => strings(p.policyArns),
};

const BROAD_MANAGED = /:policy\/(.*FullAccess[^/]*|AdministratorAccess|PowerUserAccess)$/;

export const iamNoFullAccess: ResourceRule = resourcePolicy(
  {
    name: "iam-no-full-access-managed-policies",
    description:
      "No role, user or group gets an AWS managed *FullAccess, AdministratorAccess or PowerUserAccess policy.",
    remediationSteps:
      "Replace the managed policy with an inline or customer-managed policy that lists only the actions and " +
      "resources used (e.g. sagemaker:CreateTrainingJob on this stack's training-job ARN prefix).",
    severity: "high",
  },
  Object.keys(ATTACHMENTS),
  (props, args, report) => {
    for (const arn of ATTACHMENTS[args.type](props)) {
      if (BROAD_MANAGED.test(arn)) report(`attaches the broad managed policy ${arn}`);
    }
  },
);

/** True when the action pattern covers iam:PassRole (`iam:PassRole`, `iam:Pass*`, `iam:*`, `*`). */
export function coversPassRole(action: string): boolean {
  const re = new RegExp(
    `^${action
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
  return re.test("iam:PassRole");
}

export const iamPassRoleScoped: ResourceRule = resourcePolicy(
  {
    name: "iam-passrole-scoped",
    description:
      "Every statement that allows iam:PassRole names the roles (no wildcard in Resource) and limits the receiving service with an iam:PassedToService condition.",
    remediationSteps:
      "Set Resource to the exact role ARN(s) to pass (e.g. the SageMaker execution role) and add " +
      'Condition: { StringEquals: { "iam:PassedToService": "sagemaker.amazonaws.com" } }.',
    severity: "high",
  },
  Object.keys(POLICY_DOCUMENTS),
  (props, args, report) => {
    allowStatements(args.type, props).forEach((s, i) => {
      if (!strings(s.Action).some(coversPassRole)) return;
      const resources = strings(s.Resource);
      const wide = resources.filter((r) => r.includes("*"));
      if (resources.length === 0 || wide.length > 0) {
        report(
          `${describe(s, i)} allows iam:PassRole on ${wide.length ? wide.map((r) => `"${r}"`).join(", ") : "no named role"}; name the role ARNs`,
        );
      }
      const conditioned = Object.values(s.Condition ?? {}).some(
        (c) => c && Object.keys(c).includes("iam:PassedToService"),
      );
      if (!conditioned)
        report(`${describe(s, i)} allows iam:PassRole without an iam:PassedToService condition`);
    });
  },
);

export const iamPolicies = [iamNoWildcardAdmin, iamNoFullAccess, iamPassRoleScoped];
