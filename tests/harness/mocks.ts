/**
 * Deterministic Pulumi mocks for the AWS resources Warecast declares. Buckets get their name as id (as the real
 * provider does), and data-source calls return fixed values, so two runs of the same stack produce the same graph.
 *
 * The outputs the program reads come back in the shapes AWS (and the provider) return, so no code path hides
 * behind a missing output: a queue's URL (its id), ARNs in each service's own format (SQS, SNS, Firehose,
 * EventBridge, SageMaker, …), a REST API's execution ARN and a stage's invoke URL. The formats are checked in
 * tests/components/mocks.test.ts.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT_ID = "123456789012";

/** `aws:s3/bucket:Bucket` → `s3`; `aws:ec2/vpc:Vpc` → `ec2`. */
function service(type: string): string {
  return type.split(":")[1]?.split("/")[0]?.toLowerCase() ?? "unknown";
}

/** API Gateway ids: 10 lowercase alphanumerics, stable per logical name. */
function apiGatewayId(name: string): string {
  return createHash("sha256").update(name).digest("hex").slice(0, 10);
}

function physicalName(args: pulumi.runtime.MockResourceArgs): string {
  const inputs = args.inputs as Record<string, unknown>;
  for (const key of [
    "bucket",
    "name",
    "functionName",
    "roleName",
    "streamName",
    "endpointName",
    "modelPackageGroupName",
  ]) {
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
          state.qualifiedArn = `${String(state.arn)}:$LATEST`;
          state.version = "$LATEST";
          break;
        case "aws:sqs/queue:Queue": {
          // The provider's id of a queue is its URL.
          const url = `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT_ID}/${name}`;
          id = url;
          Object.assign(state, { name, url, arn: arnOf("sqs", name) });
          break;
        }
        case "aws:sns/topic:Topic":
          state.arn = arnOf("sns", name);
          state.name = name;
          id = String(state.arn);
          break;
        case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
          state.arn = arnOf("firehose", `deliverystream/${name}`);
          state.name = name;
          id = String(state.arn);
          break;
        case "aws:cloudwatch/eventRule:EventRule":
          state.arn = arnOf("events", `rule/${name}`);
          state.name = name;
          id = name;
          break;
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
          state.arn = arnOf("cloudwatch", `alarm:${name}`);
          state.name = name;
          id = name;
          break;
        case "aws:cloudtrail/trail:Trail":
          state.arn = arnOf("cloudtrail", `trail/${name}`);
          state.name = name;
          id = String(state.arn);
          break;
        case "aws:kms/alias:Alias":
          state.arn = arnOf("kms", name);
          id = name;
          break;
        case "aws:glue/catalogDatabase:CatalogDatabase":
          state.arn = arnOf("glue", `database/${name}`);
          id = `${MOCK_ACCOUNT_ID}:${name}`;
          break;
        case "aws:glue/catalogTable:CatalogTable":
          state.arn = arnOf("glue", `table/${String(inputs.databaseName)}/${name}`);
          id = `${MOCK_ACCOUNT_ID}:${String(inputs.databaseName)}:${name}`;
          break;
        case "aws:glue/job:Job":
          state.arn = arnOf("glue", `job/${name}`);
          id = name;
          break;
        case "aws:sagemaker/endpoint:Endpoint":
        case "aws:sagemaker/endpointConfiguration:EndpointConfiguration":
        case "aws:sagemaker/model:Model":
        case "aws:sagemaker/modelPackageGroup:ModelPackageGroup": {
          // SageMaker ARNs carry the name in lower case.
          const kind = {
            "aws:sagemaker/endpoint:Endpoint": "endpoint",
            "aws:sagemaker/endpointConfiguration:EndpointConfiguration": "endpoint-config",
            "aws:sagemaker/model:Model": "model",
            "aws:sagemaker/modelPackageGroup:ModelPackageGroup": "model-package-group",
          }[args.type];
          state.arn = arnOf("sagemaker", `${kind}/${name.toLowerCase()}`);
          id = name;
          break;
        }
        case "aws:apigateway/restApi:RestApi":
          id = apiGatewayId(args.name);
          Object.assign(state, {
            arn: `arn:aws:apigateway:${region}::/restapis/${id}`,
            executionArn: arnOf("execute-api", id),
            rootResourceId: apiGatewayId(`${args.name}/`),
          });
          break;
        case "aws:apigateway/stage:Stage": {
          const api = String(inputs.restApi);
          const stage = String(inputs.stageName);
          id = `ags-${api}-${stage}`;
          Object.assign(state, {
            arn: `arn:aws:apigateway:${region}::/restapis/${api}/stages/${stage}`,
            executionArn: arnOf("execute-api", `${api}/${stage}`),
            invokeUrl: `https://${api}.execute-api.${region}.amazonaws.com/${stage}`,
          });
          break;
        }
        case "aws:apigateway/apiKey:ApiKey":
          id = apiGatewayId(args.name);
          state.arn = `arn:aws:apigateway:${region}::/apikeys/${id}`;
          break;
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
