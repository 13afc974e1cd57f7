import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { METRICS_NAMESPACE } from "./metric-catalogue";

export { METRICS_NAMESPACE };

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

/**
 * Runs one invocation inside its own X-Ray subsegment (`## <name>`), as Powertools' captureLambdaHandler does.
 * In Lambda the invocation's segment is a read-only facade: annotations (tracer.putAnnotation) only land on a
 * subsegment, and on the facade they are dropped with a warning on every call. With tracing off (tests, local
 * mode) the tracer hands out a dummy segment and this only runs `fn`.
 */
export async function traced<T>(tracer: Tracer, name: string, fn: () => Promise<T>): Promise<T> {
  const segment = tracer.getSegment();
  if (!segment) return fn();
  const subsegment = segment.addNewSubsegment(`## ${name}`);
  tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    return await fn();
  } catch (err) {
    tracer.addErrorAsMetadata(err as Error);
    throw err;
  } finally {
    subsegment.close();
    tracer.setSegment(segment);
  }
}
