import {
  deliveryRolePolicy,
  producerPolicy,
  streamLayout,
  validateBuffering,
} from "../../components/ingestion-plan";

describe("streamLayout", () => {
  it("puts records under <purpose>/dt=<UTC date>/ and failures under errors/<purpose>/<type>/dt=…/", () => {
    expect(streamLayout("events")).toEqual({
      prefix: "events/dt=!{timestamp:yyyy-MM-dd}/",
      errorOutputPrefix: "errors/events/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
      writablePrefixes: ["events/", "errors/events/"],
    });
    expect(streamLayout("forecasts").writablePrefixes).toEqual(["forecasts/", "errors/forecasts/"]);
    expect(() => streamLayout("Events/x")).toThrow(/purpose must be 1-31 of \[a-z0-9-\]/);
  });
});

describe("validateBuffering", () => {
  it("accepts Firehose's ranges and names the bad field", () => {
    expect(validateBuffering({ intervalSeconds: 0, sizeMiB: 1 })).toEqual({ intervalSeconds: 0, sizeMiB: 1 });
    expect(validateBuffering({ intervalSeconds: 900, sizeMiB: 128 })).toEqual({
      intervalSeconds: 900,
      sizeMiB: 128,
    });
    expect(() => validateBuffering({ intervalSeconds: 901, sizeMiB: 5 })).toThrow(
      "buffering.intervalSeconds must be an integer 0–900; got 901",
    );
    expect(() => validateBuffering({ intervalSeconds: 60, sizeMiB: 0 }, "x")).toThrow(
      "x.sizeMiB must be an integer 1–128; got 0",
    );
  });
});

describe("IAM documents", () => {
  const scope = {
    bucketArn: "arn:aws:s3:::raw",
    keyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
    region: "eu-west-1",
    logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/warecast/dev/firehose/ingest",
    layout: streamLayout("events"),
  };

  it("lets the delivery role write objects under its own prefixes only, with its own key only", () => {
    expect(deliveryRolePolicy(scope).Statement).toEqual([
      {
        Sid: "WriteOwnPrefixes",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
        Resource: ["arn:aws:s3:::raw/events/*", "arn:aws:s3:::raw/errors/events/*"],
      },
      { Sid: "LocateBucket", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: "arn:aws:s3:::raw" },
      {
        Sid: "EncryptWithStackKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "arn:aws:kms:eu-west-1:123456789012:key/k",
        Condition: {
          StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
          StringLike: { "kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::raw", "arn:aws:s3:::raw/*"] },
        },
      },
      {
        Sid: "LogDeliveryErrors",
        Effect: "Allow",
        Action: "logs:PutLogEvents",
        Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/warecast/dev/firehose/ingest:log-stream:*",
      },
    ]);
    const text = JSON.stringify(deliveryRolePolicy(scope));
    expect(text).not.toMatch(/s3:GetObject|s3:Delete|s3:\*|kms:\*|"\*"/);
  });

  it("lets producers put records into this stream only", () => {
    expect(producerPolicy("arn:aws:firehose:eu-west-1:123456789012:deliverystream/s")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "PutRecordsToStream",
          Effect: "Allow",
          Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
          Resource: "arn:aws:firehose:eu-west-1:123456789012:deliverystream/s",
        },
      ],
    });
  });
});
