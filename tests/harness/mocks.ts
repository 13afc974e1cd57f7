/**
 * Deterministic Pulumi mocks for the AWS resources Warecast declares. Buckets get their name as id (as the real
 * provider does), ARNs are fake but well formed, and data-source calls return fixed values, so two runs of the
 * same stack produce the same graph.
 */
import type * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT_ID = "123456789012";

/** `aws:s3/bucket:Bucket` → `s3`; `aws:ec2/vpc:Vpc` → `ec2`. */
function service(type: string): string {
  return type.split(":")[1]?.split("/")[0]?.toLowerCase() ?? "unknown";
}

function physicalName(args: pulumi.runtime.MockResourceArgs): string {
  const inputs = args.inputs as Record<string, unknown>;
  for (const key of ["bucket", "name", "functionName", "roleName", "streamName", "endpointName"]) {
    if (typeof inputs[key] === "string") return inputs[key];
  }
  return args.name;
}

export function createMocks(region: string): pulumi.runtime.Mocks {
  const arnOf = (svc: string, resource: string) => `arn:aws:${svc}:${region}:${MOCK_ACCOUNT_ID}:${resource}`;
  return {
    newResource(args) {
      const inputs = args.inputs as Record<string, unknown>;
      const name = physicalName(args);
      const svc = service(args.type);
      const state: Record<string, unknown> = { ...inputs };
      let id = `${name}-id`;
      switch (args.type) {
        case "aws:s3/bucket:Bucket":
          id = name;
          Object.assign(state, {
            bucket: name,
            arn: `arn:aws:s3:::${name}`,
            bucketRegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
          });
          break;
        case "aws:kms/key:Key":
          id = `key-${args.name}`;
          state.arn = arnOf("kms", `key/${id}`);
          state.keyId = id;
          break;
        case "aws:iam/role:Role":
        case "aws:iam/policy:Policy":
          state.arn = `arn:aws:iam::${MOCK_ACCOUNT_ID}:${args.type.endsWith("Role") ? "role" : "policy"}/${name}`;
          state.name = name;
          id = name;
          break;
        case "aws:cloudwatch/logGroup:LogGroup":
          id = name;
          state.name = name;
          state.arn = arnOf("logs", `log-group:${name}`);
          break;
        case "aws:lambda/function:Function":
          id = name;
          state.name = name;
          state.arn = arnOf("lambda", `function:${name}`);
          state.invokeArn = `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${String(state.arn)}/invocations`;
          break;
        case "awsx:ec2:Vpc": {
          // A remote component: one opaque resource under mocks. Its outputs as awsx returns them: the VPC id and
          // one subnet id per spec and AZ (ids end in the AZ's 1-based index, which getSubnet below reads).
          const specs = (inputs.subnetSpecs as { type: string; name?: string }[] | undefined) ?? [
            { type: "Private" },
            { type: "Public" },
          ];
          const azs = Number(inputs.numberOfAvailabilityZones ?? 3);
          const subnetIds = (type: string) =>
            specs
              .filter((spec) => spec.type === type)
              .flatMap((spec) =>
                Array.from(
                  { length: azs },
                  (_, i) => `subnet-${args.name}-${(spec.name ?? type).toLowerCase()}-${i + 1}`,
                ),
              );
          Object.assign(state, {
            vpcId: `vpc-${args.name}`,
            privateSubnetIds: subnetIds("Private"),
            publicSubnetIds: subnetIds("Public"),
            isolatedSubnetIds: subnetIds("Isolated"),
          });
          break;
        }
        case "aws:ec2/vpc:Vpc":
          state.arn = arnOf("ec2", `vpc/${id}`);
          state.defaultSecurityGroupId = `${name}-default-sg`;
          state.mainRouteTableId = `${name}-main-rtb`;
          break;
        default:
          state.arn ??= arnOf(svc, `${args.type.split(":").pop()?.toLowerCase() ?? "resource"}/${name}`);
          if (state.name === undefined) state.name = name;
      }
      if (args.type.startsWith("pulumi:providers:")) id = `${args.name}-provider-id`;
      return { id, state };
    },
    call(args) {
      switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return {
            accountId: MOCK_ACCOUNT_ID,
            arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/mock`,
            userId: "AIDAMOCK",
            id: MOCK_ACCOUNT_ID,
          };
        case "aws:index/getPartition:getPartition":
          return {
            partition: "aws",
            dnsSuffix: "amazonaws.com",
            reverseDnsPrefix: "com.amazonaws",
            id: "aws",
          };
        case "aws:index/getRegion:getRegion":
          return { name: region, region, id: region, endpoint: `ec2.${region}.amazonaws.com` };
        case "aws:sagemaker/getPrebuiltEcrImage:getPrebuiltEcrImage": {
          // SageMaker's framework images live in an AWS-owned registry per region.
          const inputs = args.inputs as { repositoryName: string; imageTag?: string };
          const registryId = "141502667606";
          const repo = `${registryId}.dkr.ecr.${region}.amazonaws.com/${inputs.repositoryName}`;
          return {
            id: repo,
            registryId,
            repositoryName: inputs.repositoryName,
            imageTag: inputs.imageTag,
            region,
            registryPath: inputs.imageTag ? `${repo}:${inputs.imageTag}` : repo,
          };
        }
        case "aws:ec2/getSubnet:getSubnet": {
          // Subnet ids from the awsx VPC mock end in their AZ's 1-based index.
          const id = String((args.inputs as { id?: string }).id);
          const index = Number(/-(\d+)$/.exec(id)?.[1] ?? "1") - 1;
          return { id, availabilityZone: `${region}${"abcdef"[index]}`, vpcId: "vpc-mock" };
        }
        case "aws:index/getAvailabilityZones:getAvailabilityZones": {
          const letters = ["a", "b", "c", "d", "e", "f"];
          return {
            names: letters.map((l) => `${region}${l}`),
            zoneIds: letters.map((_, i) => `${region.slice(0, 3)}-az${i + 1}`),
            id: region,
          };
        }
        default:
          return args.inputs as Record<string, unknown>;
      }
    },
  };
}
