/**
 * The foundation under mocks, for dev and prod: provider and tags, buckets, network, and the exact differences
 * between the two stacks. Both stacks run in this one file (the harness serialises runs and reloads the program).
 */
import * as path from "node:path";
import packageJson from "../../package.json";
import { Encryption } from "../../components/encryption";
import { createLogGroup } from "../../components/log-group";
import { SecureBucket } from "../../components/secure-bucket";
import { MOCK_ACCOUNT_ID, runStack, type RegisteredResource, type StackRun } from "../harness";

const BUCKET = "aws:s3/bucket:Bucket";
const SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const SECURE_BUCKET = "warecast:foundation:SecureBucket";

let dev: StackRun;
let prod: StackRun;
// The whole stack serializes several Lambda callbacks per run; on a loaded 2-core machine a run takes tens of seconds.
const STACK_RUN_TIMEOUT_MS = 300_000;
beforeAll(async () => {
  dev = await runStack("dev");
  prod = await runStack("prod");
}, 2 * STACK_RUN_TIMEOUT_MS);

function parseJson(value: unknown): Record<string, unknown> {
  return typeof value === "string"
    ? (JSON.parse(value) as Record<string, unknown>)
    : (value as Record<string, unknown>);
}

/** The child of `type` whose `bucket` input is this bucket's id. */
function attached(run: StackRun, type: string, bucket: RegisteredResource): RegisteredResource[] {
  return run.ofType(type).filter((r) => r.inputs.bucket === bucket.id);
}

function stackKeyArn(run: StackRun): string {
  const keys = run.ofType("aws:kms/key:Key");
  expect(keys).toHaveLength(1);
  return `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT_ID}:key/${keys[0].id}`;
}

describe.each(["dev", "prod"])("%s stack", (stack) => {
  const run = () => (stack === "dev" ? dev : prod);

  it("creates every resource through the one tagged provider", () => {
    const providers = run().ofType("pulumi:providers:aws");
    expect(providers).toHaveLength(1);
    const tags = parseJson(providers[0].inputs.defaultTags).tags;
    expect(tags).toEqual({
      project: "warecast",
      environment: stack,
      owner: "warecast-team",
      "cost-center": `forecasting-${stack}`,
    });
    expect(providers[0].inputs.region).toBe("eu-west-1");
    const custom = run().resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    expect(custom.length).toBeGreaterThan(50);
    expect(custom.filter((r) => r.provider !== providers[0].urn).map((r) => r.urn)).toEqual([]);
  });

  it("has a KMS key with rotation, an alias, and a key policy naming this account and region", () => {
    const [key] = run().ofType("aws:kms/key:Key");
    expect(key.inputs.enableKeyRotation).toBe(true);
    const policy = parseJson(key.inputs.policy) as { Statement: { Sid: string; Principal: unknown }[] };
    expect(policy.Statement.map((s) => s.Sid)).toContain("CloudWatchLogs");
    expect(JSON.stringify(policy)).toContain(`logs.eu-west-1.amazonaws.com`);
    expect(JSON.stringify(policy)).toContain(`arn:aws:iam::${MOCK_ACCOUNT_ID}:root`);
    expect(run().ofType("aws:kms/alias:Alias")[0].inputs.name).toBe(`alias/warecast-${stack}`);
  });

  it("makes every bucket a SecureBucket: stack key (or SSE-S3 for the access-log bucket only), versioning, no public access, TLS-only policy", () => {
    const keyArn = stackKeyArn(run());
    const buckets = run().ofType(BUCKET);
    expect(buckets.length).toBeGreaterThanOrEqual(3);
    // S3 server access logs can only be delivered into an SSE-S3 bucket: the one exception to the stack key.
    const loggings = run().ofType("aws:s3/bucketLogging:BucketLogging");
    const logTargets = new Set(loggings.map((l) => l.inputs.targetBucket as string));
    for (const bucket of buckets) {
      expect({ bucket: bucket.name, parent: run().byUrn(bucket.parent!).type }).toEqual({
        bucket: bucket.name,
        parent: SECURE_BUCKET,
      });
      // storageProtect: prod protects and retains every bucket (and its settings); dev can be destroyed.
      expect({ bucket: bucket.name, protect: bucket.protect, retain: bucket.retainOnDelete }).toEqual({
        bucket: bucket.name,
        protect: stack === "prod",
        retain: stack === "prod",
      });
      expect(bucket.inputs.forceDestroy).toBe(stack !== "prod");
      const [sse] = attached(run(), SSE, bucket);
      const rule = (sse.inputs.rules as Record<string, Record<string, unknown>>[])[0];
      if (logTargets.has(bucket.id)) {
        expect(rule.applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "AES256" });
      } else {
        expect(rule.applyServerSideEncryptionByDefault).toEqual({
          sseAlgorithm: "aws:kms",
          kmsMasterKeyId: keyArn,
        });
        expect(rule.bucketKeyEnabled).toBe(true);
      }
      const [versioning] = attached(run(), "aws:s3/bucketVersioning:BucketVersioning", bucket);
      expect(versioning.inputs.versioningConfiguration).toEqual({ status: "Enabled" });
      const [pab] = attached(run(), "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket);
      expect(pab.inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      const [policy] = attached(run(), "aws:s3/bucketPolicy:BucketPolicy", bucket);
      const statements = (parseJson(policy.inputs.policy) as { Statement: Record<string, unknown>[] })
        .Statement;
      expect(statements[0]).toEqual({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${bucket.id}`, `arn:aws:s3:::${bucket.id}/*`],
        Condition: { Bool: { "aws:SecureTransport": false } },
      });
    }
    // prod logs every data bucket into the one access-log bucket; dev has access logging off.
    expect(logTargets.size).toBe(stack === "prod" ? 1 : 0);
    const logged = new Set(loggings.map((l) => l.inputs.bucket as string));
    expect(buckets.filter((b) => !logTargets.has(b.id) && !logged.has(b.id)).length).toBe(
      stack === "prod" ? 0 : buckets.length,
    );
  });

  it("never maps public IPs in private subnets, and puts one private + one public subnet in each AZ", () => {
    const subnets = run().ofType("aws:ec2/subnet:Subnet");
    const privateSubnets = subnets.filter(
      (s) => (s.inputs.tags as Record<string, string>).tier === "private",
    );
    expect(privateSubnets).toHaveLength(stack === "prod" ? 3 : 2);
    for (const s of privateSubnets) expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
    expect(new Set(privateSubnets.map((s) => s.inputs.availabilityZone)).size).toBe(privateSubnets.length);
    expect(subnets).toHaveLength(2 * privateSubnets.length);
  });

  it("has no security group ingress from 0.0.0.0/0 (or ::/0)", () => {
    const open = (cidrs: unknown) =>
      ((cidrs as string[] | undefined) ?? []).some((c) => c === "0.0.0.0/0" || c === "::/0");
    const offenders: string[] = [];
    for (const r of run().resources) {
      if (
        r.type === "aws:ec2/securityGroup:SecurityGroup" ||
        r.type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
      ) {
        for (const rule of (r.inputs.ingress as Record<string, unknown>[] | undefined) ?? []) {
          if (open(rule.cidrBlocks) || open(rule.ipv6CidrBlocks)) offenders.push(r.urn);
        }
      }
      if (r.type === "aws:ec2/securityGroupRule:SecurityGroupRule" && r.inputs.type === "ingress") {
        if (open(r.inputs.cidrBlocks) || open(r.inputs.ipv6CidrBlocks)) offenders.push(r.urn);
      }
      if (r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
        if (open([r.inputs.cidrIpv4, r.inputs.cidrIpv6])) offenders.push(r.urn);
      }
    }
    expect(offenders).toEqual([]);
    const endpointSg = run()
      .ofType("aws:ec2/securityGroup:SecurityGroup")
      .find((r) => r.name.endsWith("-endpoints"))!;
    const vpc = run().ofType("aws:ec2/vpc:Vpc")[0];
    expect(endpointSg.inputs.ingress).toEqual([
      {
        description: "HTTPS from the VPC",
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrBlocks: [vpc.inputs.cidrBlock],
      },
    ]);
  });

  it("turns on VPC flow logs into an encrypted log group, and has S3 + interface endpoints", () => {
    const [flowLog] = run().ofType("aws:ec2/flowLog:FlowLog");
    expect(flowLog.inputs).toMatchObject({ trafficType: "ALL", logDestinationType: "cloud-watch-logs" });
    const logGroup = run()
      .ofType("aws:cloudwatch/logGroup:LogGroup")
      .find((g) => g.name.endsWith("-flow-logs"))!;
    expect(flowLog.inputs.logDestination).toContain(`log-group:${String(logGroup.inputs.name)}`);
    expect(logGroup.inputs.kmsKeyId).toBe(stackKeyArn(run()));
    const services = run()
      .ofType("aws:ec2/vpcEndpoint:VpcEndpoint")
      .map(
        (e) =>
          `${String(e.inputs.vpcEndpointType)}:${String(e.inputs.serviceName).replace("com.amazonaws.eu-west-1.", "")}`,
      );
    expect(services.sort()).toEqual(
      [
        "Gateway:s3",
        ...[
          "sagemaker.api",
          "sagemaker.runtime",
          "glue",
          "logs",
          "monitoring",
          "kms",
          "sts",
          "kinesis-firehose",
          "events",
        ],
        ...["sqs", "ecr.api", "ecr.dkr"],
      ]
        .map((s) => (s.includes(":") ? s : `Interface:${s}`))
        .sort(),
    );
  });

  it("encrypts every log group with the stack key and keeps it for the configured days", () => {
    const groups = run().ofType("aws:cloudwatch/logGroup:LogGroup");
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      expect(g.inputs.kmsKeyId).toBe(stackKeyArn(run()));
      expect(g.inputs.retentionInDays).toBe(stack === "prod" ? 90 : 7);
    }
  });

  it("makes every Lambda function a PrivateFunction (private subnets, own log group, X-Ray)", () => {
    const offenders = run()
      .ofType("aws:lambda/function:Function")
      .filter((f) => !f.parent || run().byUrn(f.parent).type !== "warecast:foundation:PrivateFunction")
      .map((f) => f.urn);
    expect(offenders).toEqual([]);
  });

  it("exports the bucket names and network ids", () => {
    expect(run().outputs).toMatchObject({
      region: "eu-west-1",
      environment: stack,
      rawBucketName: expect.stringMatching(/raw$/),
      processedBucketName: expect.stringMatching(/processed$/),
      artifactsBucketName: expect.stringMatching(/artifacts$/),
    });
    expect(run().outputs.privateSubnetIds).toHaveLength(stack === "prod" ? 3 : 2);
  });
});

/** Normalises names and values that carry the stack name, so the two stacks can be compared resource by resource. */
function normalise(value: unknown, stack: string): unknown {
  const s = JSON.stringify(value ?? null)
    .replace(new RegExp(`warecast-${stack}`, "g"), "warecast-ENV")
    .replace(new RegExp(`/warecast/${stack}`, "g"), "/warecast/ENV")
    .replace(new RegExp(`:${stack}::`, "g"), ":ENV::");
  return JSON.parse(s) as unknown;
}

/**
 * The foundation's resources (the provider and everything under the Foundation component), keyed by type and
 * normalised name. Other components assert their own per-stack differences in their tests.
 */
function index(run: StackRun): Map<string, RegisteredResource> {
  const [foundation] = run.ofType("warecast:foundation:Foundation");
  const own = [...run.ofType("pulumi:providers:aws"), foundation, ...run.descendantsOf(foundation.urn)];
  return new Map(own.map((r) => [`${r.type}::${String(normalise(r.name, run.stack))}`, r]));
}

describe("the foundation of prod differs from dev in exactly the configured ways", () => {
  it("adds only the third AZ, per-AZ NAT and access logging", () => {
    const d = index(dev);
    const p = index(prod);
    expect([...d.keys()].filter((k) => !p.has(k))).toEqual([]);
    const onlyProd = [...p.keys()].filter((k) => !d.has(k)).map((k) => k.replace(/^[^:]+:[^:]+:/, ""));
    expect(onlyProd.sort()).toEqual(
      [
        // networkAzCount 2 → 3
        "Subnet::warecast-ENV-network-public-3",
        "RouteTableAssociation::warecast-ENV-network-public-3",
        "Subnet::warecast-ENV-network-private-3",
        "RouteTable::warecast-ENV-network-private-rt-3",
        "RouteTableAssociation::warecast-ENV-network-private-3",
        // networkNat single → perAz
        "Eip::warecast-ENV-network-nat-2",
        "NatGateway::warecast-ENV-network-nat-2",
        "Eip::warecast-ENV-network-nat-3",
        "NatGateway::warecast-ENV-network-nat-3",
        "Route::warecast-ENV-network-private-default-3",
        // storageAccessLogging false → true
        ...["", "-public-access", "-encryption", "-versioning", "-lifecycle", "-policy"].flatMap((suffix) => [
          `${suffix === "" ? "Bucket" : bucketChildType(suffix)}::warecast-ENV-access-logs${suffix}`,
        ]),
        "SecureBucket::warecast-ENV-access-logs",
        ...["raw", "processed", "artifacts"].map((b) => `BucketLogging::warecast-ENV-${b}-access-logging`),
      ].sort(),
    );
  });

  it("changes only retention, protection, sizes and the per-stack names and ranges in the resources both have", () => {
    const d = index(dev);
    const p = index(prod);
    const changed = new Set<string>();
    for (const [key, dr] of d) {
      const pr = p.get(key)!;
      const di = normalise(dr.inputs, "dev") as Record<string, unknown>;
      const pi = normalise(pr.inputs, "prod") as Record<string, unknown>;
      for (const field of new Set([...Object.keys(di), ...Object.keys(pi)])) {
        if (JSON.stringify(di[field]) !== JSON.stringify(pi[field]))
          changed.add(`${dr.type.split(":").pop()}.${field}`);
      }
      if (dr.protect !== pr.protect) changed.add(`${dr.type.split(":").pop()}.<protect>`);
      if (dr.retainOnDelete !== pr.retainOnDelete)
        changed.add(`${dr.type.split(":").pop()}.<retainOnDelete>`);
    }
    expect([...changed].sort()).toEqual(
      [
        // tags: costCenter
        "aws.defaultTags",
        // networkAzCount: endpoints span every private subnet / route table
        "VpcEndpoint.subnetIds",
        "VpcEndpoint.routeTableIds",
        // networkNat: AZ 2 routes through its own NAT gateway
        "Route.natGatewayId",
        // networkVpcCidr
        "Vpc.cidrBlock",
        "Subnet.cidrBlock",
        "SecurityGroup.ingress",
        // observabilityLogRetentionDays
        "LogGroup.retentionInDays",
        // storageRawRetentionDays, storageNoncurrentVersionDays
        "BucketLifecycleConfiguration.rules",
        // storageProtect
        "Bucket.forceDestroy",
        "Bucket.<protect>",
        "Bucket.<retainOnDelete>",
        "BucketPublicAccessBlock.<retainOnDelete>",
        "BucketServerSideEncryptionConfiguration.<retainOnDelete>",
        "BucketVersioning.<retainOnDelete>",
        "BucketLifecycleConfiguration.<retainOnDelete>",
        "BucketPolicy.<retainOnDelete>",
        "Key.deletionWindowInDays",
        "Key.<protect>",
        "Key.<retainOnDelete>",
      ].sort(),
    );
  });
});

function bucketChildType(suffix: string): string {
  return {
    "-public-access": "BucketPublicAccessBlock",
    "-encryption": "BucketServerSideEncryptionConfiguration",
    "-versioning": "BucketVersioning",
    "-lifecycle": "BucketLifecycleConfiguration",
    "-policy": "BucketPolicy",
  }[suffix]!;
}

describe("PrivateFunction (test program, prod with networkNat: none)", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await runStack("prod", {
      program: path.join(__dirname, "programs", "private-function.ts"),
      overrides: { "warecast:networkNat": "none" },
    });
  }, STACK_RUN_TIMEOUT_MS);

  it("has no NAT gateway, Elastic IP or private default route when networkNat is none", () => {
    expect(run.ofType("aws:ec2/natGateway:NatGateway")).toEqual([]);
    expect(run.ofType("aws:ec2/eip:Eip")).toEqual([]);
    const routes = run.ofType("aws:ec2/route:Route").map((r) => r.name);
    expect(routes).toEqual(["warecast-prod-network-public-default"]);
    // AWS APIs stay reachable through the endpoints.
    expect(run.ofType("aws:ec2/vpcEndpoint:VpcEndpoint")).toHaveLength(13);
  });

  it("runs in private subnets with a no-ingress security group, X-Ray, JSON logs to its own group, and config concurrency", () => {
    const fn = run.ofType("aws:lambda/function:Function").find((f) => f.name === "echo")!;
    const privateSubnetIds = run
      .ofType("aws:ec2/subnet:Subnet")
      .filter((s) => (s.inputs.tags as Record<string, string>).tier === "private")
      .map((s) => s.id);
    const vpcConfig = fn.inputs.vpcConfig as { subnetIds: string[]; securityGroupIds: string[] };
    expect(vpcConfig.subnetIds).toEqual(privateSubnetIds);
    const sg = run.ofType("aws:ec2/securityGroup:SecurityGroup").find((s) => s.name === "echo-sg")!;
    expect(vpcConfig.securityGroupIds).toEqual([sg.id]);
    expect(sg.inputs.ingress).toEqual([]);
    expect(fn.inputs.tracingConfig).toEqual({ mode: "Active" });
    expect(fn.inputs.loggingConfig).toEqual({ logFormat: "JSON", logGroup: "/warecast/prod/lambda/echo" });
    expect(fn.inputs.reservedConcurrentExecutions).toBe(5);
    expect(fn.inputs.runtime).toBe("nodejs22.x");
    expect(fn.inputs.kmsKeyArn).toBe(stackKeyArn(run));
    expect((fn.inputs.environment as { variables: Record<string, string> }).variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: "echo",
      RAW_BUCKET: expect.stringMatching(/raw$/),
    });
    const logGroup = run.ofType("aws:cloudwatch/logGroup:LogGroup").find((g) => g.name === "echo-logs")!;
    expect(logGroup.inputs).toMatchObject({ name: "/warecast/prod/lambda/echo", retentionInDays: 90 });
  });

  it("gives the role only the caller's statements plus VPC, its own log group and X-Ray", () => {
    const role = run.ofType("aws:iam/role:Role").find((r) => r.name === "echo-role")!;
    const trust = parseJson(role.inputs.assumeRolePolicy) as { Statement: { Principal: unknown }[] };
    expect(trust.Statement[0].Principal).toEqual({ Service: "lambda.amazonaws.com" });
    expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
    expect(
      run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.parent === role.parent),
    ).toEqual([]);
    const policy = run.ofType("aws:iam/rolePolicy:RolePolicy").find((r) => r.name === "echo-policy")!;
    const doc = parseJson(policy.inputs.policy) as { Statement: { Sid: string; Resource: unknown }[] };
    expect(doc.Statement.map((s) => s.Sid)).toEqual([
      "WriteOwnLogGroup",
      "VpcNetworkInterfaces",
      "XRayTracing",
      "ReadRaw",
    ]);
    expect(doc.Statement[3].Resource).toMatch(/^arn:aws:s3:::.*raw\/\*$/);
  });

  it("zips Powertools and the function's own packages with their dependencies: no other dependency, no @types", async () => {
    const fn = run.ofType("aws:lambda/function:Function").find((f) => f.name === "echo")!;
    const entries = Object.keys(
      await (fn.inputs.code as { assets: Promise<Record<string, unknown>> }).assets,
    );
    expect(entries).toContain("__index.js");
    expect(entries).toEqual(
      expect.arrayContaining([
        "node_modules/@aws-lambda-powertools/logger",
        "node_modules/@aws-lambda-powertools/metrics",
        "node_modules/@aws-lambda-powertools/tracer",
        "node_modules/csv-parse",
      ]),
    );
    const others = Object.keys(packageJson.dependencies).filter(
      (d) => d !== "csv-parse" && !d.startsWith("@aws-lambda-powertools/"),
    );
    expect(entries.filter((e) => others.some((d) => e === `node_modules/${d}`))).toEqual([]);
    expect(entries.filter((e) => e.includes("@types/"))).toEqual([]);
  });

  it("is created through the tagged provider too", () => {
    const [provider] = run.ofType("pulumi:providers:aws");
    const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    expect(custom.filter((r) => r.provider !== provider.urn).map((r) => r.urn)).toEqual([]);
  });
});

describe("foundation components reject bad arguments, naming the argument", () => {
  // Mocks are set by the runs above; these constructors throw before declaring any child.
  const key = () => new Encryption("k", { region: "eu-west-1", alias: "warecast-test" });

  it("SecureBucket", () => {
    expect(() => new SecureBucket("b1", { region: "eu-west-1" })).toThrow(
      'SecureBucket b1: key is required for kind "data"',
    );
    expect(
      () => new SecureBucket("b2", { region: "eu-west-1", key: key(), noncurrentVersionDays: 0 }),
    ).toThrow("SecureBucket b2: noncurrentVersionDays must be a positive integer; got 0");
    const expiry = [
      { id: "x", prefix: "a/", expireAfterDays: 1 },
      { id: "x", prefix: "b/", expireAfterDays: 1 },
    ];
    expect(() => new SecureBucket("b3", { region: "eu-west-1", key: key(), expiry })).toThrow(
      'SecureBucket b3: expiry rule ids must be unique; "x" repeats',
    );
  });

  it("Encryption and createLogGroup", () => {
    expect(() => new Encryption("k2", { region: "eu-west-1", alias: "aws/s3" })).toThrow("alias must be");
    expect(() => createLogGroup("g", { key: key(), retentionDays: 10, namePrefix: "/w" })).toThrow(
      "createLogGroup g: retentionDays must be one of 1, 3, 5, 7, 14",
    );
  });
});
