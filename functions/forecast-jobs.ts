import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { z } from "zod";
import type { ObjectStore } from "./predict/object-store";
import { ApiProblem, type SeriesKey } from "./predict/problem";

/**
 * Bulk forecast jobs: state and results live in the PredictionApi's own store as S3 documents
 * (`forecast-jobs/<id>/job.json`, `request.json`, `part-NNNNN.ndjson`); work goes through a queue to a worker
 * (functions/forecast-jobs-worker.ts), so no API Gateway or Lambda request waits on a long run.
 */
export const JOBS_PREFIX = "forecast-jobs/";

export type JobStatus = "queued" | "running" | "succeeded" | "failed";

export interface JobDocument {
  readonly job_id: string;
  status: JobStatus;
  readonly created_at: string;
  updated_at: string;
  readonly horizon: number;
  readonly quantiles: number[];
  progress: { series_total: number; series_done: number; series_failed: number };
  model_version?: string;
  error?: string;
  /** Result parts by chunk index; re-running a chunk (a redelivered message) overwrites its own entry. */
  parts: JobPart[];
}

export interface JobPart {
  readonly key: string;
  readonly series_count: number;
  readonly failed: { warehouse_id: string; sku: string; reason: string }[];
}

/** The series a job forecasts, fixed when it is accepted. */
export interface JobRequest {
  readonly series: SeriesKey[];
}

/** Work for the worker: forecast the job's series from `cursor` on (one SQS message body, JSON). */
export const jobMessageSchema = () =>
  z.object({ job_id: z.string().min(1), cursor: z.number().int().min(0) });
export type JobMessage = Readonly<z.infer<ReturnType<typeof jobMessageSchema>>>;

export interface JobQueue {
  enqueue(message: JobMessage): Promise<void>;
}

/** The queue in AWS: one SQS message per unit of work. */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(message: JobMessage): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) }),
    );
  }
}

const JOB_ID = /^[a-z0-9-]{8,64}$/;

export function jobKey(jobId: string, name: string): string {
  return `${JOBS_PREFIX}${jobId}/${name}`;
}

export function partName(index: number): string {
  return `part-${String(index).padStart(5, "0")}.ndjson`;
}

export interface ForecastJobsOptions {
  /** Lifetime of presigned result links, in seconds. */
  readonly linkTtlSeconds: number;
}

/** Creates, reads and presents job documents. */
export class ForecastJobs {
  constructor(
    readonly store: ObjectStore,
    readonly queue: JobQueue,
    private readonly options: ForecastJobsOptions,
  ) {}

  async create(
    jobId: string,
    now: Date,
    series: SeriesKey[],
    options: { horizon: number; quantiles: number[] },
  ): Promise<JobDocument> {
    const doc: JobDocument = {
      job_id: jobId,
      status: "queued",
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      horizon: options.horizon,
      quantiles: options.quantiles,
      progress: { series_total: series.length, series_done: 0, series_failed: 0 },
      parts: [],
    };
    const request: JobRequest = { series };
    await this.store.put(jobKey(jobId, "request.json"), JSON.stringify(request), "application/json");
    await this.save(doc);
    await this.queue.enqueue({ job_id: jobId, cursor: 0 });
    return doc;
  }

  async save(doc: JobDocument): Promise<void> {
    await this.store.put(jobKey(doc.job_id, "job.json"), JSON.stringify(doc), "application/json");
  }

  async load(jobId: string): Promise<JobDocument | undefined> {
    if (!JOB_ID.test(jobId)) return undefined;
    const obj = await this.store.get(jobKey(jobId, "job.json"));
    return obj ? (JSON.parse(new TextDecoder().decode(obj.body)) as JobDocument) : undefined;
  }

  async request(jobId: string): Promise<JobRequest> {
    const obj = await this.store.get(jobKey(jobId, "request.json"));
    if (!obj) throw new Error(`job ${jobId} has no request document`);
    return JSON.parse(new TextDecoder().decode(obj.body)) as JobRequest;
  }

  /** The API's ForecastJob: the document, with presigned links once it succeeded. */
  async view(doc: JobDocument, now: Date): Promise<Record<string, unknown>> {
    const { parts, ...rest } = doc;
    const out: Record<string, unknown> = { ...rest };
    const failed = parts.flatMap((p) => p?.failed ?? []);
    if (failed.length > 0) out.failed_series = failed.slice(0, 100);
    if (doc.status === "succeeded") {
      const ttl = this.options.linkTtlSeconds;
      out.result = {
        format: "application/x-ndjson",
        expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
        parts: await Promise.all(
          parts
            .filter((p) => p.series_count > 0)
            .map(async (p) => ({ url: await this.store.presign(p.key, ttl), series_count: p.series_count })),
        ),
      };
    }
    return out;
  }

  /** 404 problem for an unknown job id. */
  static notFound(jobId: string): ApiProblem {
    return new ApiProblem("notFound", `No forecast job ${jobId}.`);
  }
}
