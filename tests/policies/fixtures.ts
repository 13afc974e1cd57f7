/** Compliant building blocks for policy tests; each test breaks one thing and expects one message. */
import type { CheckResource } from "../../cli/policy-check/analyze";
import { KEY_ARN, resource } from "./support";

/** A bucket the way SecureBucket builds it: KMS with the stack key, versioning, public access blocked, TLS only. */
export function secureBucket(
  name: string,
  overrides: {
    sse?: Record<string, unknown>;
    versioning?: Record<string, unknown> | null;
    policy?: unknown;
    block?: Record<string, unknown>;
  } = {},
): CheckResource[] {
  const arn = `arn:aws:s3:::${name}`;
  const out: CheckResource[] = [
    resource("aws:s3/bucket:Bucket", name, { bucket: name }, { arn, bucket: name }),
  ];
  out.push(
    resource(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      `${name}-encryption`,
      {
        bucket: name,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN },
            bucketKeyEnabled: true,
          },
        ],
        ...overrides.sse,
      },
    ),
  );
  if (overrides.versioning !== null) {
    out.push(
      resource("aws:s3/bucketVersioning:BucketVersioning", `${name}-versioning`, {
        bucket: name,
        versioningConfiguration: { status: "Enabled" },
        ...overrides.versioning,
      }),
    );
  }
  out.push(
    resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `${name}-public-access`, {
      bucket: name,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      ...overrides.block,
    }),
  );
  const tlsOnly = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
  out.push(
    resource("aws:s3/bucketPolicy:BucketPolicy", `${name}-policy`, {
      bucket: name,
      policy: JSON.stringify(overrides.policy ?? tlsOnly),
    }),
  );
  return out;
}

/** An IAM policy document with the given statements, as a JSON string (how the components pass it). */
export function doc(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
