/**
 * The mocks (tests/harness/mocks.ts) answer with the outputs AWS and the provider return, in AWS's own formats, for
 * what the program reads: an output the mocks leave out or misspell would hide a code path (a function without
 * its queue URL, a permission scoped to "undefined/*").
 */
import { MOCK_ACCOUNT_ID, createMocks } from "../harness";

const REGION = "eu-west-1";
const ACCOUNT = MOCK_ACCOUNT_ID;
const mocks = createMocks(REGION);

function created(type: string, name: string, inputs: Record<string, unknown> = {}): Record<string, unknown> {
  const out = mocks.newResource({ type, name, inputs, custom: true }) as {
    id: string;
    state: Record<string, unknown>;
  };
  return { id: out.id, ...out.state };
}

describe("mocked outputs", () => {
  it("an SQS queue: its URL is its id, and its ARN names the queue", () => {
    expect(created("aws:sqs/queue:Queue", "jobs")).toMatchObject({
      id: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/jobs`,
      url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/jobs`,
      arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`,
    });
  });

  it("ARNs in each service's format", () => {
    const arn = (type: string, name: string, inputs: Record<string, unknown> = {}) =>
      created(type, name, inputs).arn;
    expect(arn("aws:sns/topic:Topic", "alarms")).toBe(`arn:aws:sns:${REGION}:${ACCOUNT}:alarms`);
    expect(arn("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "s", { name: "ingest" })).toBe(
      `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/ingest`,
    );
    expect(arn("aws:cloudwatch/eventRule:EventRule", "rule")).toBe(
      `arn:aws:events:${REGION}:${ACCOUNT}:rule/rule`,
    );
    expect(arn("aws:cloudwatch/metricAlarm:MetricAlarm", "a", { name: "high" })).toBe(
      `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:high`,
    );
    expect(arn("aws:cloudtrail/trail:Trail", "t", { name: "audit" })).toBe(
      `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/audit`,
    );
    expect(arn("aws:kms/alias:Alias", "a", { name: "alias/warecast-dev" })).toBe(
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/warecast-dev`,
    );
    expect(arn("aws:glue/catalogTable:CatalogTable", "t", { name: "runs", databaseName: "db" })).toBe(
      `arn:aws:glue:${REGION}:${ACCOUNT}:table/db/runs`,
    );
    expect(arn("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "c", { name: "Cfg-1" })).toBe(
      `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/cfg-1`,
    );
    expect(
      arn("aws:sagemaker/modelPackageGroup:ModelPackageGroup", "r", {
        modelPackageGroupName: "warecast-dev",
      }),
    ).toBe(`arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package-group/warecast-dev`);
  });

  it("a REST API's execution ARN and a stage's invoke URL", () => {
    const api = created("aws:apigateway/restApi:RestApi", "warecast-dev-api");
    expect(api.id).toMatch(/^[a-z0-9]{10}$/);
    expect(api.executionArn).toBe(`arn:aws:execute-api:${REGION}:${ACCOUNT}:${api.id}`);
    const stage = created("aws:apigateway/stage:Stage", "s", { restApi: api.id, stageName: "api" });
    expect(stage.invokeUrl).toBe(`https://${api.id}.execute-api.${REGION}.amazonaws.com/api`);
  });

  it("a Lambda function's name, ARN, invoke ARN and version", () => {
    expect(created("aws:lambda/function:Function", "fn")).toMatchObject({
      id: "fn",
      name: "fn",
      arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:fn`,
      invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:${REGION}:${ACCOUNT}:function:fn/invocations`,
      version: "$LATEST",
    });
  });
});
