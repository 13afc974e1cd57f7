import type { JobMessage, JobQueue } from "../../functions/forecast-jobs";

/**
 * The local stand-in for the jobs queue: messages run one after another in this process, after the request
 * that enqueued them has been answered (as SQS decouples them in AWS). A failed message is retried after
 * `retryDelayMs`, up to `maxReceives` times, like a queue's redrive policy.
 */
export class InProcessJobQueue implements JobQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private worker: ((m: JobMessage) => Promise<void>) | undefined;

  constructor(
    private readonly options: {
      maxReceives?: number;
      retryDelayMs?: number;
      onError?: (err: unknown) => void;
    } = {},
  ) {}

  /** Sets the worker (it needs the deps that hold this queue, hence not a constructor argument). */
  attach(worker: (m: JobMessage) => Promise<void>): void {
    this.worker = worker;
  }

  async enqueue(message: JobMessage): Promise<void> {
    if (!this.worker) throw new Error("InProcessJobQueue: no worker attached");
    const worker = this.worker;
    this.pending++;
    const run = async () => {
      const max = this.options.maxReceives ?? 3;
      for (let receive = 1; receive <= max; receive++) {
        try {
          await worker(message);
          return;
        } catch (err) {
          if (receive === max) this.options.onError?.(err);
          else await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 1000));
        }
      }
    };
    this.tail = this.tail
      .then(() => new Promise<void>((r) => setImmediate(r)))
      .then(run)
      .finally(() => {
        this.pending--;
      });
  }

  /** Resolves when every message enqueued so far (and those they enqueue) has run. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }
}
