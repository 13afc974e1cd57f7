import fc from "fast-check";
import { Batcher } from "../../functions/producer/batcher";
import { backoffDelay, DEFAULT_RETRY_POLICY } from "../../functions/producer/backoff";
import { FirehoseSink, isRetryableError } from "../../functions/producer/firehose-sink";
import { ingestItems } from "../../functions/producer/ingest";
import { FIREHOSE_LIMITS } from "../../functions/producer/limits";
import type { EncodedRecord, InputItem, Rejection } from "../../functions/producer/types";
import { eventLine, FakeFirehose } from "./fake-firehose";

const rec = (n: number, bytes?: number): EncodedRecord => ({
  ref: { file: "t", line: n },
  data: bytes === undefined ? Buffer.from(`${n}\n`) : Buffer.alloc(bytes, 0x61),
});

async function* items(lines: string[], file = "in.ndjson"): AsyncGenerator<InputItem> {
  for (const [i, raw] of lines.entries()) {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      yield { ref: { file, line: i + 1 }, raw, error: "not valid JSON" };
      continue;
    }
    yield { ref: { file, line: i + 1 }, raw, value, payload: raw };
  }
}

const noSleep = { sleep: async () => undefined, random: () => 0.5 };

describe("Batcher", () => {
  it("closes a batch at 500 records", () => {
    const b = new Batcher();
    const batches: EncodedRecord[][] = [];
    for (let i = 0; i < 1201; i++) {
      const full = b.add(rec(i));
      if (full) batches.push(full);
    }
    batches.push(b.take());
    expect(batches.map((x) => x.length)).toEqual([500, 500, 201]);
    expect(batches.flat().map((r) => r.ref.line)).toEqual([...Array(1201).keys()]);
  });

  it("closes a batch before it would pass 4 MiB", () => {
    const b = new Batcher();
    const size = 900 * 1024; // 4 such records = 3.5 MiB; the 5th would make 4.4 MiB
    const batches: EncodedRecord[][] = [];
    for (let i = 0; i < 9; i++) {
      const full = b.add(rec(i, size));
      if (full) batches.push(full);
    }
    batches.push(b.take());
    expect(batches.map((x) => x.length)).toEqual([4, 4, 1]);
    for (const batch of batches) {
      expect(batch.reduce((n, r) => n + r.data.length, 0)).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBatchBytes);
    }
  });

  it("accepts a record of exactly 1,000 KiB and refuses one byte more", () => {
    const b = new Batcher();
    expect(b.oversize(Buffer.alloc(1000 * 1024))).toBeUndefined();
    expect(b.oversize(Buffer.alloc(1000 * 1024 + 1))).toMatch(/^record too large: 1024001 bytes/);
    expect(() => b.add(rec(1, 1000 * 1024 + 1))).toThrow(/too large/);
  });
});

describe("backoffDelay", () => {
  it("grows exponentially under full jitter and never passes the cap", () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((r) => backoffDelay(r, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(30, policy, () => 0.5)).toBe(500);
  });
});

describe("FirehoseSink", () => {
  const batch = Array.from({ length: 10 }, (_, i) => rec(i));

  it("re-sends only the records that failed, until all are accepted", async () => {
    // Call 1: records 2, 5, 7 throttled. Call 2: record 5 still throttled. Call 3: all accepted.
    const fake = new FakeFirehose((call, records) =>
      records.map((r) => {
        const n = Number(r);
        if (call === 1 && [2, 5, 7].includes(n)) return "ServiceUnavailableException";
        if (call === 2 && n === 5) return "ServiceUnavailableException";
        return undefined;
      }),
    );
    const delays: number[] = [];
    const sink = new FirehoseSink({
      client: fake,
      streamName: "s",
      random: () => 0.5,
      sleep: async (ms) => void delays.push(ms),
    });
    const out = await sink.send(batch);
    expect(out).toEqual({ delivered: 10, retried: 4, failed: [] });
    expect(fake.calls.map((c) => c.map(Number))).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 5, 7], [5]]);
    expect(fake.accepted.map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(delays).toEqual([50, 100]); // 0.5 × 100 ms, 0.5 × 200 ms
  });

  it("stops at the bound and reports what Firehose never accepted, with its error code", async () => {
    const fake = new FakeFirehose((_call, records) =>
      records.map((r) => (r === "3\n" ? "InternalFailure" : undefined)),
    );
    const sink = new FirehoseSink({
      client: fake,
      streamName: "s",
      retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 },
      ...noSleep,
    });
    const out = await sink.send(batch);
    expect(out.delivered).toBe(9);
    expect(out.retried).toBe(2);
    expect(out.failed.map((f) => [f.record.ref.line, f.reason])).toEqual([
      [3, "InternalFailure: fake InternalFailure (after 3 attempts)"],
    ]);
    expect(fake.calls).toHaveLength(3);
  });

  it("never counts a record without a RecordId as delivered", async () => {
    const client = {
      send: async () => ({ FailedPutCount: 0, RequestResponses: [{ RecordId: "a" }], $metadata: {} }),
    };
    const sink = new FirehoseSink({
      client,
      streamName: "s",
      retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 2 },
      ...noSleep,
    });
    const out = await sink.send(batch.slice(0, 3));
    // Call 1 answers only the first of 3 records; the retry of the other 2 again answers only its first.
    expect(out.delivered).toBe(2);
    expect(out.failed.map((f) => [f.record.ref.line, f.reason])).toEqual([
      [2, "no RecordId in response (after 2 attempts)"],
    ]);
  });

  it("retries a throttled call as a whole, and fails a non-retryable one at once", async () => {
    const throttled = Object.assign(new Error("slow down"), { name: "ServiceUnavailableException" });
    const fake = new FakeFirehose((call) => (call === 1 ? throttled : []));
    const out = await new FirehoseSink({ client: fake, streamName: "s", ...noSleep }).send(batch);
    expect(out).toEqual({ delivered: 10, retried: 10, failed: [] });

    const missing = Object.assign(new Error("Stream s not found"), { name: "ResourceNotFoundException" });
    expect(isRetryableError(missing)).toBe(false);
    const fake2 = new FakeFirehose(() => missing);
    const out2 = await new FirehoseSink({ client: fake2, streamName: "s", ...noSleep }).send(batch);
    expect(out2.delivered).toBe(0);
    expect(out2.failed).toHaveLength(10);
    expect(out2.failed[0].reason).toBe("ResourceNotFoundException: Stream s not found (after 1 attempt)");
    expect(fake2.calls).toHaveLength(1);
    expect(out2.fatal).toBe("ResourceNotFoundException: Stream s not found");
  });
});

describe("ingestItems with a Firehose sink", () => {
  it("sends every valid record exactly once, never an invalid one, and the counts reconcile", async () => {
    const lines = Array.from({ length: 2345 }, (_, i) => eventLine(i));
    lines[10] = "{not json";
    lines[20] = eventLine(20, { quantity: -1 });
    lines[30] = eventLine(30, { event_type: "inventory_snapshot" }); // no on_hand
    // Every 3rd call fails a quarter of its records once.
    const fake = new FakeFirehose((call, records) =>
      records.map((_r, i) => (call % 3 === 0 && i % 4 === 0 ? "ServiceUnavailableException" : undefined)),
    );
    const rejections: Rejection[] = [];
    const sink = new FirehoseSink({ client: fake, streamName: "s", ...noSleep });
    const s = await ingestItems(items(lines), sink, { onReject: (r) => rejections.push(r), maxInFlight: 3 });

    expect(rejections.map((r) => [r.stage, r.ref.line])).toEqual([
      ["invalid", 11],
      ["invalid", 21],
      ["invalid", 31],
    ]);
    expect(rejections[1].reason).toBe("/quantity must be >= 0");
    expect(rejections[2].reason).toBe("record must have required property 'on_hand'");
    expect(s).toMatchObject({ read: 2345, valid: 2342, invalid: 3, sent: 2342, failed: 0 });
    expect(s.retried).toBeGreaterThan(0);
    const expected = lines.filter((_l, i) => ![10, 20, 30].includes(i)).map((l) => l + "\n");
    expect([...fake.accepted].sort()).toEqual([...expected].sort());
    expect(new Set(fake.accepted).size).toBe(fake.accepted.length);
    for (const call of fake.calls) expect(call.length).toBeLessThanOrEqual(500);
    expect(fake.accepted.every((r) => r.endsWith("}\n"))).toBe(true);
  });

  it("stops reading when the stream refuses every call, and accounts for every record it read", async () => {
    const missing = Object.assign(new Error("Stream s not found"), { name: "ResourceNotFoundException" });
    const fake = new FakeFirehose(() => missing);
    const rejections: Rejection[] = [];
    const lines = Array.from({ length: 2000 }, (_, i) => eventLine(i));
    const sink = new FirehoseSink({ client: fake, streamName: "s", ...noSleep });
    const s = await ingestItems(items(lines), sink, { onReject: (r) => rejections.push(r), maxInFlight: 1 });
    // The first batch (500) fails while record 501 waits in the batcher; nothing after it is read.
    expect(s).toMatchObject({ read: 501, valid: 501, invalid: 0, sent: 0, failed: 501 });
    expect(s.stopped).toEqual({
      reason: "ResourceNotFoundException: Stream s not found",
      after: { file: "in.ndjson", line: 501 },
    });
    expect(fake.calls).toHaveLength(1);
    expect(rejections[500]).toEqual({
      stage: "failed",
      ref: { file: "in.ndjson", line: 501 },
      reason: "not sent: ResourceNotFoundException: Stream s not found",
      raw: lines[500],
    });
  });

  it("rejects a payload with a line break (it would split into two NDJSON lines)", async () => {
    const pretty = JSON.stringify(JSON.parse(eventLine(1)), null, 2);
    const item: InputItem = {
      ref: { file: "api", line: 1 },
      raw: pretty,
      value: JSON.parse(pretty),
      payload: pretty,
    };
    async function* one() {
      yield item;
    }
    const fake = new FakeFirehose();
    const rejections: Rejection[] = [];
    const s = await ingestItems(one(), new FirehoseSink({ client: fake, streamName: "s" }), {
      onReject: (r) => rejections.push(r),
    });
    expect(s).toMatchObject({ read: 1, valid: 0, invalid: 1, sent: 0 });
    expect(rejections[0].reason).toBe("record contains a line break (NDJSON needs one per line)");
    expect(fake.calls).toEqual([]);
  });

  it("rejects a record over 1,000 KiB as invalid instead of sending it", async () => {
    const big = eventLine(1, { attributes: { blob: "x".repeat(1000 * 1024) } });
    const fake = new FakeFirehose();
    const rejections: Rejection[] = [];
    const s = await ingestItems(
      items([eventLine(0), big]),
      new FirehoseSink({ client: fake, streamName: "s" }),
      {
        onReject: (r) => rejections.push(r),
      },
    );
    expect(s).toMatchObject({ read: 2, valid: 1, invalid: 1, sent: 1 });
    expect(rejections[0].reason).toMatch(
      /^record too large: \d+ bytes; Firehose accepts at most 1024000 bytes/,
    );
  });

  it("reports records still refused after the retry bound as failed, with the raw record", async () => {
    const fake = new FakeFirehose((_c, records) =>
      records.map((r) => (r.includes('"ev-7"') ? "InternalFailure" : undefined)),
    );
    const rejections: Rejection[] = [];
    const sink = new FirehoseSink({
      client: fake,
      streamName: "s",
      retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 2 },
      ...noSleep,
    });
    const lines = Array.from({ length: 20 }, (_, i) => eventLine(i));
    const s = await ingestItems(items(lines), sink, { onReject: (r) => rejections.push(r) });
    expect(s).toMatchObject({ read: 20, valid: 20, invalid: 0, sent: 19, failed: 1, retried: 1 });
    expect(rejections).toEqual([
      {
        stage: "failed",
        ref: { file: "in.ndjson", line: 8 },
        reason: "InternalFailure: fake InternalFailure (after 2 attempts)",
        raw: lines[7],
      },
    ]);
    expect(s.reasons).toEqual({ "failed: InternalFailure": 1 });
  });
});

describe("properties (fast-check)", () => {
  it("batches never pass the limits, and keep every record once, in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 * 1024 }), { maxLength: 1200 }),
        fc.integer({ min: 1, max: 600 }),
        (sizes, maxRecords) => {
          const limits = { ...FIREHOSE_LIMITS, maxRecordsPerBatch: maxRecords };
          const b = new Batcher(limits);
          const batches: EncodedRecord[][] = [];
          sizes.forEach((size, i) => {
            const full = b.add({ ref: { file: "p", line: i }, data: Buffer.allocUnsafe(size) });
            if (full) batches.push(full);
          });
          const last = b.take();
          if (last.length) batches.push(last);
          for (const batch of batches) {
            expect(batch.length).toBeGreaterThan(0);
            expect(batch.length).toBeLessThanOrEqual(maxRecords);
            expect(batch.reduce((n, r) => n + r.data.length, 0)).toBeLessThanOrEqual(
              FIREHOSE_LIMITS.maxBatchBytes,
            );
          }
          expect(batches.flat().map((r) => r.ref.line)).toEqual(sizes.map((_s, i) => i));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("whatever Firehose refuses and when, each record is delivered exactly once or reported failed, never both", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.func(fc.boolean()),
        async (n, maxAttempts, refuses) => {
          const fake = new FakeFirehose((call, records) =>
            records.map((r) => (refuses(call, r) ? "ServiceUnavailableException" : undefined)),
          );
          const sink = new FirehoseSink({
            client: fake,
            streamName: "s",
            retry: { ...DEFAULT_RETRY_POLICY, maxAttempts },
            ...noSleep,
          });
          const batch = Array.from({ length: n }, (_, i) => rec(i));
          const out = await sink.send(batch);
          expect(out.delivered + out.failed.length).toBe(n);
          expect(fake.accepted).toHaveLength(out.delivered);
          const accepted = new Set(fake.accepted.map(Number));
          expect(accepted.size).toBe(out.delivered);
          for (const f of out.failed) expect(accepted.has(f.record.ref.line)).toBe(false);
          expect(fake.calls.length).toBeLessThanOrEqual(maxAttempts);
          expect(out.retried).toBe(fake.calls.slice(1).reduce((k, c) => k + c.length, 0));
        },
      ),
      { numRuns: 100 },
    );
  });
});
