import { Batcher } from "../producer/batcher";
import type { EncodedRecord, EventSink } from "../producer/types";
import type { QuantileMap } from "./endpoint-client";

/** One served (series, date): the record the ETL joins with actuals (docs/architecture.md). */
export interface ServedForecastRecord {
  readonly served_at: string;
  readonly request_id: string;
  readonly model_version: string;
  readonly warehouse_id: string;
  readonly sku: string;
  readonly target_date: string;
  readonly step: number;
  readonly mean: number;
  readonly quantiles: QuantileMap;
}

export interface ServedLogOutcome {
  readonly delivered: number;
  readonly failed: number;
  readonly reasons: readonly string[];
}

/** Where served forecasts go: the ingestion engineer's sinks (Firehose in AWS, the local raw store locally). */
export interface ServedForecastLog {
  write(records: readonly ServedForecastRecord[]): Promise<ServedLogOutcome>;
}

/**
 * Writes served forecasts through an EventSink, in PutRecordBatch-sized batches. `openSink` gives a sink per
 * write: the local store's objects become visible when the sink closes, so each request's records land whole.
 */
export class SinkServedForecastLog implements ServedForecastLog {
  constructor(private readonly openSink: () => EventSink) {}

  async write(records: readonly ServedForecastRecord[]): Promise<ServedLogOutcome> {
    if (records.length === 0) return { delivered: 0, failed: 0, reasons: [] };
    const sink = this.openSink();
    const batcher = new Batcher();
    const batches: EncodedRecord[][] = [];
    records.forEach((r, i) => {
      const full = batcher.add({
        ref: { file: r.request_id, line: i + 1 },
        data: Buffer.from(JSON.stringify(r) + "\n"),
      });
      if (full) batches.push(full);
    });
    if (batcher.pending > 0) batches.push(batcher.take());
    let delivered = 0;
    let failed = 0;
    const reasons = new Set<string>();
    try {
      for (const batch of batches) {
        const out = await sink.send(batch);
        delivered += out.delivered;
        failed += out.failed.length;
        for (const f of out.failed) reasons.add(f.reason);
      }
    } finally {
      await sink.close();
    }
    return { delivered, failed, reasons: [...reasons].slice(0, 5) };
  }
}

/**
 * What this API instance's served-forecast log has done since it started: `/v1/health` shows it, so a log that
 * refuses records is seen where the API's health is read, not only in the logs and the metric. Plain fields only:
 * it lives in the deps a Lambda builds at cold start.
 */
export class ServedLogTally {
  delivered = 0;
  failed = 0;
  /** True while the most recent write lost records; the next complete write clears it. */
  failing = false;
  lastFailureAt: string | undefined = undefined;
  lastFailure: string | undefined = undefined;

  succeeded(delivered: number): void {
    this.delivered += delivered;
    this.failing = false;
  }

  lost(delivered: number, failed: number, reason: string, at: Date): void {
    this.delivered += delivered;
    this.failed += failed;
    this.failing = true;
    this.lastFailureAt = at.toISOString();
    this.lastFailure = reason.slice(0, 200);
  }

  /** The `served_log` part of the Health response. */
  view(): Record<string, unknown> {
    return {
      records_logged: this.delivered,
      records_failed: this.failed,
      failing: this.failing,
      ...(this.lastFailureAt ? { last_failure_at: this.lastFailureAt, last_failure: this.lastFailure } : {}),
    };
  }
}

/** A log that keeps every record in memory, for tests to read back (a long-running server would grow without bound). */
export class MemoryServedForecastLog implements ServedForecastLog {
  readonly records: ServedForecastRecord[] = [];
  async write(records: readonly ServedForecastRecord[]): Promise<ServedLogOutcome> {
    this.records.push(...records);
    return { delivered: records.length, failed: 0, reasons: [] };
  }
}
