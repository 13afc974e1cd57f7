import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateDeliveryStreamCommand, FirehoseClient } from "@aws-sdk/client-firehose";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { buildProgram } from "../../cli/main";
import { ingestFiles } from "../../functions/producer/files";
import { FirehoseSink } from "../../functions/producer/firehose-sink";
import { importFile } from "../../functions/producer/importers/import";
import type { Rejection } from "../../functions/producer/types";
import { startMoto, type MotoServer } from "../support/moto";
import { eventLine } from "./fake-firehose";

// Integration: the real AWS SDK v3 against a moto server on 127.0.0.1. moto writes one S3 object per
// PutRecordBatch call, concatenating the records with no delimiter, and ignores prefix/compression (NOTES.md):
// the producer's trailing newlines are what keep the objects NDJSON.
let moto: MotoServer;
let firehose: FirehoseClient;
let s3: S3Client;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  firehose = new FirehoseClient({ endpoint: moto.endpoint, maxAttempts: 1 });
  s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, maxAttempts: 1 });
});
afterAll(async () => {
  firehose?.destroy();
  s3?.destroy();
  await moto?.stop();
});
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "wc-moto-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function createStream(name: string): Promise<string> {
  const bucket = `${name}-raw`;
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
    }),
  );
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      DeliveryStreamType: "DirectPut",
      ExtendedS3DestinationConfiguration: {
        BucketARN: `arn:aws:s3:::${bucket}`,
        RoleARN: "arn:aws:iam::123456789012:role/firehose",
        Prefix: "events/dt=!{timestamp:yyyy-MM-dd}/",
        ErrorOutputPrefix: "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
        CompressionFormat: "UNCOMPRESSED",
      },
    }),
  );
  return bucket;
}

/** Every object of the bucket as text. */
async function objects(bucket: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
      out.push(await body.Body!.transformToString("utf8"));
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

const linesOf = (texts: string[]) => texts.flatMap((t) => t.split("\n").slice(0, -1));

describe("producer → Firehose (moto) → S3", () => {
  it("lands every valid record exactly once, as NDJSON, and the counts reconcile", async () => {
    const bucket = await createStream("ingest-it");
    const good = Array.from({ length: 1234 }, (_, i) => eventLine(i, { attributes: { n: i } }));
    const bad = [
      '{"schema_version":1,"event_id":"bad-1"}',
      "not json",
      eventLine(99999, { sku: "has space" }),
    ];
    const input = path.join(dir, "events.ndjson");
    fs.writeFileSync(
      input,
      [...good.slice(0, 500), bad[0], ...good.slice(500, 1000), bad[1], bad[2], ...good.slice(1000)].join(
        "\n",
      ) + "\n",
    );

    const rejections: Rejection[] = [];
    const sink = new FirehoseSink({ client: firehose, streamName: "ingest-it" });
    const s = await ingestFiles([input], sink, { onReject: (r) => rejections.push(r) });

    expect(s).toMatchObject({ read: 1237, valid: 1234, invalid: 3, sent: 1234, failed: 0, retried: 0 });
    expect(rejections.map((r) => r.ref.line)).toEqual([501, 1002, 1003]);
    const texts = await objects(bucket);
    // 1,234 records in batches of at most 500: three calls, one object each.
    expect(texts).toHaveLength(3);
    expect(texts.every((t) => t.endsWith("\n"))).toBe(true);
    const landed = linesOf(texts);
    expect(landed).toHaveLength(s.sent);
    expect(new Set(landed).size).toBe(landed.length);
    expect([...landed].sort()).toEqual([...good].sort());
  });

  it("imports the bundled pasta sample through Firehose with every event once", async () => {
    const bucket = await createStream("import-it");
    const pasta = path.resolve(__dirname, "../../data/sample/pasta/hierarchical_sales_data.csv");
    const lines = fs.readFileSync(pasta, "utf8").split("\n");
    const slice = path.join(dir, "pasta-slice.csv");
    fs.writeFileSync(slice, lines.slice(0, 31).join("\n") + "\n"); // 30 days × 118 SKUs
    const s = await importFile(slice, new FirehoseSink({ client: firehose, streamName: "import-it" }));
    expect(s).toMatchObject({ read: 3540, valid: 3540, invalid: 0, sent: 3540, failed: 0 });
    const events = linesOf(await objects(bucket)).map(
      (l) => JSON.parse(l) as { event_id: string; sku: string },
    );
    expect(events).toHaveLength(3540);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(3540);
    expect(new Set(events.map((e) => e.sku)).size).toBe(118);
  });

  it("reports records sent to a stream that does not exist as failed, never as sent", async () => {
    const input = path.join(dir, "e.ndjson");
    fs.writeFileSync(input, [eventLine(1), eventLine(2)].join("\n") + "\n");
    const rejections: Rejection[] = [];
    const s = await ingestFiles(
      [input],
      new FirehoseSink({ client: firehose, streamName: "no-such-stream" }),
      {
        onReject: (r) => rejections.push(r),
      },
    );
    expect(s).toMatchObject({ read: 2, valid: 2, sent: 0, failed: 2 });
    expect(rejections.map((r) => r.stage)).toEqual(["failed", "failed"]);
    expect(rejections[0].reason).toMatch(/^ResourceNotFoundException/);
    expect(s.stopped?.reason).toMatch(/^ResourceNotFoundException/);
  });

  it("`warecast ingest --stream` sends through the SDK's AWS_ENDPOINT_URL", async () => {
    const bucket = await createStream("cli-it");
    const input = path.join(dir, "e.ndjson");
    fs.writeFileSync(input, Array.from({ length: 10 }, (_, i) => eventLine(i)).join("\n") + "\n");
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    let out = "";
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((t) => ((out += String(t)), true));
    try {
      await buildProgram()
        .exitOverride()
        .parseAsync(["node", "warecast", "ingest", input, "--stream", "cli-it", "--json"]);
    } finally {
      spy.mockRestore();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
    expect(JSON.parse(out)).toMatchObject({ sink: "firehose:cli-it", read: 10, sent: 10, failed: 0 });
    expect(linesOf(await objects(bucket))).toHaveLength(10);
    expect(process.exitCode).toBeUndefined();
  });
});
