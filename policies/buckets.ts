import { attachedTo, S3_BUCKET } from "./encryption";
import { resourcePolicy, stackPolicy, type ResourceRule, type WarecastPolicy } from "./lib/policy";
import { ofType } from "./lib/stack";
import { at, list, parseJson, strings, UNKNOWN } from "./lib/values";

/** S3 bucket guard rails: TLS only, no public access, versioned data. */

export const S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
export const S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
export const S3_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning";

/** True when the statement denies every S3 action for everyone when the request is not over TLS. */
export function isTlsOnlyStatement(statement: Record<string, unknown>): boolean {
  if (statement.Effect !== "Deny") return false;
  const principal = statement.Principal;
  const everyone =
    principal === "*" || strings((principal as Record<string, unknown> | undefined)?.AWS).includes("*");
  const actions = strings(statement.Action);
  const allActions = actions.includes("s3:*") || actions.includes("*");
  const bool = (statement.Condition as Record<string, Record<string, unknown>> | undefined)?.Bool;
  const secure = bool?.["aws:SecureTransport"];
  const insecure = secure === false || secure === "false" || strings(secure).includes("false");
  const objects = strings(statement.Resource).some((r) => r.endsWith("/*"));
  return everyone && allActions && insecure && objects;
}

export const s3TlsOnly: WarecastPolicy = stackPolicy(
  {
    name: "s3-tls-only",
    description:
      "Every S3 bucket has a bucket policy that denies any request not made over TLS (aws:SecureTransport).",
    remediationSteps:
      'Attach an aws.s3.BucketPolicy with a statement { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ' +
      '[bucketArn, bucketArn + "/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } } (SecureBucket does this).',
    severity: "high",
  },
  ({ resources }, report) => {
    const policies = ofType(resources, S3_BUCKET_POLICY);
    for (const bucket of ofType(resources, S3_BUCKET)) {
      const attached = attachedTo(bucket, policies);
      if (attached.length === 0) {
        report(bucket, "has no bucket policy, so plain-HTTP requests are not denied");
        continue;
      }
      let unknown = false;
      const tlsOnly = attached.some((p) => {
        const doc = parseJson(at(p.props, "policy"));
        if (doc === UNKNOWN) unknown = true;
        if (!doc || doc === UNKNOWN) return false;
        const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
        return statements.some(
          (s) => s && typeof s === "object" && isTlsOnlyStatement(s as Record<string, unknown>),
        );
      });
      if (!tlsOnly && !unknown)
        report(bucket, "its bucket policy has no statement denying requests without aws:SecureTransport");
    }
  },
);

const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const s3PublicAccessBlocked: WarecastPolicy = stackPolicy(
  {
    name: "s3-public-access-blocked",
    description: "Every S3 bucket blocks all public access (all four BucketPublicAccessBlock settings on).",
    remediationSteps:
      "Attach an aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and " +
      "restrictPublicBuckets all true (SecureBucket does this).",
    severity: "critical",
  },
  ({ resources }, report) => {
    const blocks = ofType(resources, S3_PUBLIC_ACCESS_BLOCK);
    for (const bucket of ofType(resources, S3_BUCKET)) {
      const attached = attachedTo(bucket, blocks);
      if (attached.length === 0) {
        report(bucket, "has no BucketPublicAccessBlock");
        continue;
      }
      for (const block of attached) {
        const off = BLOCK_FLAGS.filter((f) => at(block.props, f) !== true && at(block.props, f) !== UNKNOWN);
        if (off.length > 0) report(block, `does not set ${off.join(", ")} to true`);
      }
    }
  },
);

export const s3Versioning: WarecastPolicy = stackPolicy(
  {
    name: "s3-data-bucket-versioning",
    description:
      "Data buckets (every bucket, unless its logical name matches an exemption in the pack config) have versioning enabled.",
    remediationSteps:
      'Attach an aws.s3.BucketVersioning with versioningConfiguration.status "Enabled" (SecureBucket does this), ' +
      "or, for a bucket that holds no data of record, add its logical-name pattern to exemptNamePatterns in the pack config.",
    severity: "medium",
    configSchema: {
      properties: {
        exemptNamePatterns: {
          type: "array",
          items: { type: "string" },
          default: [],
          description:
            "Regular expressions on the bucket's logical name for buckets that are not data buckets.",
        },
      },
    },
  },
  ({ resources, getConfig }, report) => {
    const { exemptNamePatterns = [] } = getConfig<{ exemptNamePatterns?: string[] }>();
    const exempt = exemptNamePatterns.map((p) => new RegExp(p));
    const versionings = ofType(resources, S3_VERSIONING);
    for (const bucket of ofType(resources, S3_BUCKET)) {
      if (exempt.some((re) => re.test(bucket.name))) continue;
      const attached = attachedTo(bucket, versionings);
      const status = attached.map((v) => at(v.props, "versioningConfiguration.status"));
      if (status.includes(UNKNOWN) || status.includes("Enabled")) continue;
      report(
        bucket,
        attached.length === 0
          ? "has no BucketVersioning"
          : `versioning status is "${String(status[0])}", not "Enabled"`,
      );
    }
  },
);

export const S3_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";
const FILTER_FIELDS = ["prefix", "tag", "and", "objectSizeGreaterThan", "objectSizeLessThan"];

export const s3LifecycleFilter: ResourceRule = resourcePolicy(
  {
    name: "s3-lifecycle-rule-filter",
    description:
      "Every S3 lifecycle rule says what it applies to (filter.prefix, tag, and, or an object size); an empty or missing filter is deprecated in the AWS provider v7.",
    remediationSteps:
      'Give each rule of aws.s3.BucketLifecycleConfiguration a filter; for the whole bucket write filter: { prefix: "" }.',
    severity: "low",
  },
  [S3_LIFECYCLE],
  (props, _args, report) => {
    const rules = list(props, "rules");
    if (rules === UNKNOWN) return;
    rules.forEach((_, i) => {
      const filter = at(props, `rules.${i}.filter`);
      if (filter === UNKNOWN) return;
      const id = String(at(props, `rules.${i}.id`) ?? i);
      const set = FILTER_FIELDS.filter((f) => {
        const v = at(props, `rules.${i}.filter.${f}`);
        return v !== undefined && v !== null;
      });
      if (set.length === 0)
        report(
          `rule "${id}" has ${filter ? "an empty" : "no"} filter; for the whole bucket write filter: { prefix: "" }`,
        );
    });
  },
);

export const bucketPolicies = [s3TlsOnly, s3PublicAccessBlocked, s3Versioning, s3LifecycleFilter];
