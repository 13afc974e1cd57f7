/** Plain unit tests of the foundation's pure modules: policy documents, subnet plan, NAT layout, names, zips. */
import { excludedPackages } from "../../components/function-packages";
import { physicalName, stackPrefix } from "../../components/naming";
import { natLayout, planSubnets } from "../../components/network-plan";
import {
  KEY_ADMIN_ACTIONS,
  assumeRolePolicy,
  bucketPolicy,
  keyPolicy,
  keyUseStatement,
  type PolicyStatement,
} from "../../components/policy-documents";

const ctx = { partition: "aws", accountId: "111122223333", region: "eu-central-1" };

describe("keyPolicy", () => {
  const doc = keyPolicy(ctx);
  const bySid = (sid: string) => doc.Statement.find((s) => s.Sid === sid)!;

  it("grants exactly these statements", () => {
    expect(doc.Statement.map((s) => s.Sid)).toEqual([
      "KeyAdministration",
      "UseThroughWarecastServices",
      "GrantsForAwsResources",
      "CloudWatchLogs",
      "CloudTrailEncrypt",
      "CloudTrailDescribe",
      "PublishToEncryptedTopics",
    ]);
    expect(doc.Statement.every((s) => s.Effect === "Allow")).toBe(true);
  });

  it("gives the account administration but no crypto use without a service in between", () => {
    const admin = bySid("KeyAdministration");
    expect(admin.Principal).toEqual({ AWS: "arn:aws:iam::111122223333:root" });
    expect(admin.Action).toEqual([...KEY_ADMIN_ACTIONS]);
    for (const action of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:*"]) {
      expect(admin.Action).not.toContain(action);
    }
    const use = bySid("UseThroughWarecastServices");
    expect(use.Condition).toEqual({
      StringEquals: {
        "kms:CallerAccount": "111122223333",
        "kms:ViaService": [
          "s3.eu-central-1.amazonaws.com",
          "firehose.eu-central-1.amazonaws.com",
          "glue.eu-central-1.amazonaws.com",
          "sagemaker.eu-central-1.amazonaws.com",
          "sns.eu-central-1.amazonaws.com",
          "sqs.eu-central-1.amazonaws.com",
          "lambda.eu-central-1.amazonaws.com",
          "ec2.eu-central-1.amazonaws.com",
        ],
      },
    });
    expect((bySid("GrantsForAwsResources").Condition as Record<string, unknown>).Bool).toEqual({
      "kms:GrantIsForAWSResource": true,
    });
  });

  it("scopes service principals to this region and account", () => {
    expect(bySid("CloudWatchLogs").Principal).toEqual({ Service: "logs.eu-central-1.amazonaws.com" });
    expect(bySid("CloudWatchLogs").Condition).toEqual({
      ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-central-1:111122223333:log-group:*" },
    });
    expect(bySid("CloudTrailEncrypt").Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "111122223333" },
      StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111122223333:trail/*" },
    });
    expect(bySid("PublishToEncryptedTopics").Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "111122223333" },
    });
    for (const s of doc.Statement) {
      const principal = s.Principal as { AWS?: string; Service?: unknown };
      expect(principal).not.toBe("*");
      if (principal.AWS) expect(principal.AWS).toBe("arn:aws:iam::111122223333:root");
    }
  });

  it("uses the partition", () => {
    expect(JSON.stringify(keyPolicy({ ...ctx, partition: "aws-cn" }))).toContain(
      "arn:aws-cn:iam::111122223333:root",
    );
  });
});

describe("keyUseStatement", () => {
  it("allows the key only through the named services", () => {
    expect(keyUseStatement("arn:key", "eu-central-1", ["s3", "firehose"])).toEqual({
      Sid: "UseStackKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*"],
      Resource: "arn:key",
      Condition: {
        StringEquals: {
          "kms:ViaService": ["s3.eu-central-1.amazonaws.com", "firehose.eu-central-1.amazonaws.com"],
        },
      },
    });
  });
});

describe("bucketPolicy", () => {
  const extra: PolicyStatement = {
    Sid: "Extra",
    Effect: "Allow",
    Principal: { Service: "x.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: "arn:aws:s3:::b/*",
  };

  it("denies plain HTTP, other encryption and other keys, then appends the caller's statements", () => {
    const doc = bucketPolicy({ bucketArn: "arn:aws:s3:::b", kmsKeyArn: "arn:key", extra: [extra] });
    expect(doc.Statement.map((s) => s.Sid)).toEqual([
      "DenyInsecureTransport",
      "DenyOtherEncryption",
      "DenyOtherKmsKeys",
      "Extra",
    ]);
    expect(doc.Statement[2].Condition).toEqual({
      StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:key" },
    });
  });

  it("without a key (the access-log bucket) only denies plain HTTP", () => {
    expect(bucketPolicy({ bucketArn: "arn:aws:s3:::b" }).Statement.map((s) => s.Sid)).toEqual([
      "DenyInsecureTransport",
    ]);
  });
});

describe("assumeRolePolicy", () => {
  it("limits the service to the account when given", () => {
    expect(assumeRolePolicy("lambda.amazonaws.com", "1").Statement[0]).toEqual({
      Effect: "Allow",
      Principal: { Service: "lambda.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": "1" } },
    });
  });
});

describe("planSubnets", () => {
  it("carves /20s from a /16: private first, public from the upper half", () => {
    expect(planSubnets("10.0.0.0/16", 3)).toEqual({
      private: ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"],
      public: ["10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20"],
    });
  });

  it("keeps existing subnets when an AZ is added", () => {
    const two = planSubnets("10.20.0.0/16", 2);
    const three = planSubnets("10.20.0.0/16", 3);
    expect(three.private.slice(0, 2)).toEqual(two.private);
    expect(three.public.slice(0, 2)).toEqual(two.public);
  });

  it("works for small VPCs and never overlaps", () => {
    const plan = planSubnets("192.168.4.0/22", 6);
    expect(plan.private[0]).toBe("192.168.4.0/26");
    expect(plan.public[5]).toBe("192.168.7.64/26");
    expect(new Set([...plan.private, ...plan.public]).size).toBe(12);
  });

  it("rejects malformed or misaligned CIDRs with the argument named", () => {
    expect(() => planSubnets("10.0.0.0", 2)).toThrow("vpcCidr must look like 10.0.0.0/16");
    expect(() => planSubnets("10.0.0.0/8", 2)).toThrow("vpcCidr prefix must be /16 to /24");
    expect(() => planSubnets("10.0.1.0/16", 2)).toThrow("not aligned");
    expect(() => planSubnets("10.0.0.0/16", 9)).toThrow("azCount must be an integer from 1 to 8");
  });
});

describe("natLayout", () => {
  it("routes each AZ per strategy", () => {
    const forAll = (n: "none" | "single" | "perAz") => {
      const l = natLayout(n, 3);
      return [l.count, [0, 1, 2].map(l.forAz)];
    };
    expect(forAll("none")).toEqual([0, [undefined, undefined, undefined]]);
    expect(forAll("single")).toEqual([1, [0, 0, 0]]);
    expect(forAll("perAz")).toEqual([3, [0, 1, 2]]);
  });
});

describe("names", () => {
  it("prefixes with project and environment", () => {
    expect(stackPrefix("warecast", "Dev")).toBe("warecast-dev");
  });

  it("makes AWS-safe names within the limit", () => {
    expect(physicalName(["Warecast", "dev", "predict_fn"])).toBe("warecast-dev-predict-fn");
    expect(physicalName(["a".repeat(40), "b".repeat(40)], 63)).toHaveLength(63);
    expect(physicalName(["x".repeat(62), "y"], 63)).toBe(`${"x".repeat(62)}`);
    expect(() => physicalName(["__"])).toThrow("no usable characters");
  });
});

describe("excludedPackages (what a Lambda zip leaves out)", () => {
  const dependencies = ["@aws-sdk/client-s3", "@pulumi/aws", "tar", "zod"];
  const lock = [
    "",
    "node_modules/tar",
    "node_modules/@types/node",
    "node_modules/a/node_modules/@types/shimmer",
  ];

  it("leaves out every dependency the function does not list, and every @types package of the lock file", () => {
    expect(excludedPackages(["@aws-sdk/client-s3", "zod"], dependencies, lock)).toEqual([
      "@pulumi/aws",
      "@types/node",
      "@types/shimmer",
      "tar",
    ]);
  });

  it("refuses a package that is not a dependency, naming it", () => {
    expect(() => excludedPackages(["zod", "left-pad"], dependencies, lock)).toThrow(
      "function packages left-pad are not in package.json dependencies",
    );
  });
});
