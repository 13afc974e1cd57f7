import type * as http from "node:http";
import { Logger, LogLevelThreshold, type LogItem } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { METRICS_NAMESPACE, type Observability } from "../../functions/powertools";

/**
 * Where `warecast serve` sends what the Lambda would print. In AWS, the handlers' JSON logs and CloudWatch EMF
 * metrics go to stdout for CloudWatch to read; on a terminal they would bury the requests. So locally the same
 * Powertools objects write them, unchanged, to a file (NDJSON), and the terminal gets one readable line per
 * request plus the handlers' warnings and errors.
 */

type Write = (line: string) => void;

const clock = () => new Date().toTimeString().slice(0, 8);

/** A Powertools Logger whose records (the same JSON) go to `sink`; warnings and errors also to `echo`, readable. */
class SinkLogger extends Logger {
  constructor(
    private readonly sink: Write,
    private readonly echo: Write,
    options: ConstructorParameters<typeof Logger>[0],
  ) {
    super(options);
  }

  protected override printLog(level: number, log: LogItem): void {
    const attributes = log.getAttributes();
    this.sink(JSON.stringify(attributes));
    if (level >= LogLevelThreshold.WARN) {
      const error = attributes.error as { message?: string } | undefined;
      this.echo(
        `${clock()} ${String(attributes.level)} ${String(attributes.message)}${error?.message ? `: ${error.message}` : ""}`,
      );
    }
  }

  protected override createLogger(options?: ConstructorParameters<typeof Logger>[0]): Logger {
    return new SinkLogger(this.sink, this.echo, options);
  }
}

/** Powertools Metrics whose EMF documents go to `sink` instead of stdout. */
class SinkMetrics extends Metrics {
  constructor(
    private readonly sink: Write,
    private readonly options: ConstructorParameters<typeof Metrics>[0],
  ) {
    super(options);
  }

  /** A metric published at once (functions/predict/forecast-service.ts), into the same sink. */
  override singleMetric(): Metrics {
    return new SinkMetrics(this.sink, { ...this.options, singleMetric: true });
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) this.sink(JSON.stringify(this.serializeMetrics()));
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }
}

/** The handlers' Powertools trio (functions/powertools.ts), writing to `sink` and echoing warnings to `echo`. */
export function sinkObservability(serviceName: string, sink: Write, echo: Write): Observability {
  const logger = new SinkLogger(sink, echo, { serviceName });
  return {
    logger,
    metrics: new SinkMetrics(sink, { namespace: METRICS_NAMESPACE, serviceName, logger }),
    tracer: new Tracer({ serviceName, enabled: false }),
  };
}

/**
 * Logs every request once it is answered: `12:00:01 GET /v1/health 200 3 ms` (text) or one JSON object (json).
 * For the local API's `extraHandler`: it never handles a request itself.
 */
export function requestLog(format: "text" | "json", write: Write) {
  return (req: http.IncomingMessage, res: http.ServerResponse): false => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const path = req.url ?? "/";
      write(
        format === "json"
          ? JSON.stringify({
              time: new Date().toISOString(),
              method: req.method,
              path,
              status: res.statusCode,
              ms: Math.round(ms),
            })
          : `${clock()} ${req.method} ${path} ${res.statusCode} ${ms.toFixed(0)} ms`,
      );
    });
    return false;
  };
}
