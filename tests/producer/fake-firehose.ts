import type { PutRecordBatchCommand, PutRecordBatchCommandOutput } from "@aws-sdk/client-firehose";
import type { PutRecordBatchClient } from "../../functions/producer/firehose-sink";

/** Decides per call: throw an error, or answer each record (undefined = accept, a string = that ErrorCode). */
export type FakeBehaviour = (call: number, records: readonly string[]) => Error | (string | undefined)[];

/**
 * A PutRecordBatch client in memory. Records it accepts are kept in `accepted` (in order), so a test can check
 * that every record arrived exactly once; every call's records are kept in `calls`.
 */
export class FakeFirehose implements PutRecordBatchClient {
  readonly accepted: string[] = [];
  readonly calls: string[][] = [];
  readonly bytesPerCall: number[] = [];
  private nextId = 0;

  constructor(private readonly behaviour: FakeBehaviour = () => []) {}

  async send(command: PutRecordBatchCommand): Promise<PutRecordBatchCommandOutput> {
    const records = (command.input.Records ?? []).map((r) =>
      Buffer.from(r.Data as Uint8Array).toString("utf8"),
    );
    this.calls.push(records);
    this.bytesPerCall.push(records.reduce((n, r) => n + Buffer.byteLength(r), 0));
    const answer = this.behaviour(this.calls.length, records);
    if (answer instanceof Error) throw answer;
    let failed = 0;
    const RequestResponses = records.map((r, i) => {
      const code = answer[i];
      if (code) {
        failed++;
        return { ErrorCode: code, ErrorMessage: `fake ${code}` };
      }
      this.accepted.push(r);
      return { RecordId: `rec-${this.nextId++}` };
    });
    return { FailedPutCount: failed, Encrypted: false, RequestResponses, $metadata: {} };
  }
}

/** A schema-valid event as NDJSON text; `n` makes its id unique. */
export function eventLine(n: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schema_version: 1,
    event_id: `ev-${n}`,
    event_type: "sale",
    occurred_at: "2024-03-01T12:00:00Z",
    warehouse_id: "WH1",
    sku: `SKU-${n % 7}`,
    quantity: n % 5,
    ...extra,
  });
}
