/**
 * What `pulumi up` would leave in the account, created in moto from the mocked stack's own resources (names,
 * roles, containers, variants come from the resource inputs, never retyped here): the buckets, the SQS queues,
 * the Firehose streams, the Glue job, and the endpoint serving the bootstrap model with its registry.
 */
import { Firehose } from "@aws-sdk/client-firehose";
import { Glue } from "@aws-sdk/client-glue";
import { S3 } from "@aws-sdk/client-s3";
import { SageMaker, type ProductionVariant } from "@aws-sdk/client-sagemaker";
import { SQS } from "@aws-sdk/client-sqs";
import type { RegisteredResource, StackRun } from "../../harness";

export interface MotoClients {
  readonly s3: S3;
  readonly sqs: SQS;
  readonly firehose: Firehose;
  readonly glue: Glue;
  readonly sagemaker: SageMaker;
}

export function motoClients(endpoint: string, region: string): MotoClients {
  const common = { endpoint, region, maxAttempts: 1 };
  return {
    s3: new S3({ ...common, forcePathStyle: true }),
    sqs: new SQS(common),
    firehose: new Firehose(common),
    glue: new Glue(common),
    sagemaker: new SageMaker(common),
  };
}

type Inputs = Record<string, unknown>;
const str = (v: unknown): string => String(v);

function variant(v: Inputs): ProductionVariant {
  const serverless = v.serverlessConfig as Inputs | undefined;
  return {
    VariantName: str(v.variantName),
    ModelName: str(v.modelName),
    ...(v.instanceType ? { InstanceType: str(v.instanceType) as ProductionVariant["InstanceType"] } : {}),
    ...(v.initialInstanceCount ? { InitialInstanceCount: Number(v.initialInstanceCount) } : {}),
    ...(serverless
      ? {
          ServerlessConfig: {
            MemorySizeInMB: Number(serverless.memorySizeInMb),
            MaxConcurrency: Number(serverless.maxConcurrency),
          },
        }
      : {}),
  };
}

const ofType = (run: StackRun, type: string): RegisteredResource[] => run.ofType(type);

export async function provisionStack(run: StackRun, clients: MotoClients, region: string): Promise<void> {
  const { s3, sqs, firehose, glue, sagemaker } = clients;
  for (const b of ofType(run, "aws:s3/bucket:Bucket")) {
    await s3.createBucket({
      Bucket: b.id,
      CreateBucketConfiguration: { LocationConstraint: region as "eu-west-1" },
    });
  }
  for (const q of ofType(run, "aws:sqs/queue:Queue")) {
    await sqs.createQueue({ QueueName: q.id.split("/").pop()! });
  }
  for (const f of ofType(run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")) {
    const dest = f.inputs.extendedS3Configuration as Inputs;
    await firehose.createDeliveryStream({
      // Unnamed in the program: the mocks (like the provider's auto-naming here) use the logical name.
      DeliveryStreamName: str(f.inputs.name ?? f.name),
      DeliveryStreamType: "DirectPut",
      ExtendedS3DestinationConfiguration: {
        BucketARN: str(dest.bucketArn),
        RoleARN: str(dest.roleArn),
        Prefix: str(dest.prefix),
      },
    });
  }
  for (const j of ofType(run, "aws:glue/job:Job")) {
    const command = j.inputs.command as Inputs;
    await glue.createJob({
      Name: str(j.inputs.name),
      Role: str(j.inputs.roleArn),
      Command: {
        Name: str(command.name),
        ScriptLocation: str(command.scriptLocation),
        PythonVersion: str(command.pythonVersion),
      },
      GlueVersion: str(j.inputs.glueVersion),
      DefaultArguments: j.inputs.defaultArguments as Record<string, string>,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
    });
  }
  for (const m of ofType(run, "aws:sagemaker/model:Model")) {
    const c = m.inputs.primaryContainer as Inputs;
    await sagemaker.createModel({
      ModelName: str(m.inputs.name),
      ExecutionRoleArn: str(m.inputs.executionRoleArn),
      PrimaryContainer: {
        Image: str(c.image),
        ModelDataUrl: str(c.modelDataUrl),
        Environment: c.environment as Record<string, string>,
      },
    });
  }
  for (const e of ofType(run, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")) {
    await sagemaker.createEndpointConfig({
      EndpointConfigName: str(e.inputs.name),
      ProductionVariants: (e.inputs.productionVariants as Inputs[]).map(variant),
      ...(e.inputs.kmsKeyArn ? { KmsKeyId: str(e.inputs.kmsKeyArn) } : {}),
    });
  }
  for (const e of ofType(run, "aws:sagemaker/endpoint:Endpoint")) {
    await sagemaker.createEndpoint({
      EndpointName: str(e.inputs.name),
      EndpointConfigName: str(e.inputs.endpointConfigName),
    });
  }
  for (const g of ofType(run, "aws:sagemaker/modelPackageGroup:ModelPackageGroup")) {
    await sagemaker.createModelPackageGroup({ ModelPackageGroupName: str(g.inputs.modelPackageGroupName) });
  }
}
