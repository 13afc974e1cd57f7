import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";

/** CloudWatch namespace of every Warecast metric (dashboards and alarms read it). */
export const METRICS_NAMESPACE = "Warecast";

/** The logger, metrics and tracer that every handler receives: one style (manual calls) everywhere. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/**
 * Builds a handler's Powertools trio. Called once per cold start (module scope or a CallbackFunction's
 * callbackFactory), never per invocation, so buffered metrics and the logger's context survive.
 */
export function createObservability(serviceName: string): Observability {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
    tracer: new Tracer({ serviceName }),
  };
}
