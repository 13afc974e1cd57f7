import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { z } from "zod";
import type { Observability } from "./powertools";

/**
 * One way to wire a Lambda (docs/architecture.md, "Wiring a Lambda"):
 * - settings: the component writes ONE environment variable, the JSON of a value its zod schema accepts; the
 *   handler's callbackFactory parses it once, at cold start, with the same schema (`settingsFromEnv`). A deploy
 *   that forgot or misspelt a field fails before the first event, with the variable and the field named.
 * - events: the handler parses each incoming event (EventBridge, SQS message, API Gateway request) with its
 *   schema (`parseEvent`). A rejected event is logged whole, with every bad field named, and counted in the
 *   `EventsRejected` metric (`recordRejected`), so nothing disappears silently.
 *
 * Schemas are built by functions, never held in module constants: a callback is serialized by value, and a zod
 * object cannot be (its prototype chain holds native code). A function that calls `z` is fine: `z` comes from
 * node_modules and is required at run time, so every zip that parses carries zod (components/function-packages.ts).
 */

/** Builds a schema. */
export type SchemaOf<T> = () => Pick<z.ZodType<T>, "safeParse">;

/** `path: message` for every issue, `(root)` for the value itself. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Parses a settings variable's value; the error names the variable and every bad field. */
export function parseSettings<T>(
  schema: Pick<z.ZodType<T>, "safeParse">,
  variable: string,
  raw: string | undefined,
): T {
  if (raw === undefined || raw === "") throw new Error(`${variable} is not set`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${variable} is not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`${variable} is invalid: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** The settings a component wrote into `variable`, checked by `schema` (call once per container). */
export function settingsFromEnv<T>(schema: SchemaOf<T>, variable: string): T {
  return parseSettings(schema(), variable, process.env[variable]);
}

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Parses one incoming event: its value, or why it was rejected (`what` says what was expected). */
export function parseEvent<T>(schema: SchemaOf<T>, event: unknown, what: string): Parsed<T> {
  const parsed = schema().safeParse(event);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: `not ${what}: ${formatIssues(parsed.error)}` };
}

/** Parses a JSON text (an SQS message body) and then the value, as `parseEvent`. */
export function parseJsonEvent<T>(schema: SchemaOf<T>, text: string, what: string): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not ${what}: not JSON (${(err as Error).message})` };
  }
  return parseEvent(schema, json, what);
}

/** Logs a rejected event whole (nothing is lost) and counts it; the caller decides what happens to it next. */
export function recordRejected(
  obs: Observability,
  reason: string,
  event: unknown,
  context: Record<string, unknown> = {},
): void {
  obs.logger.error("event rejected", { reason, ...context, event });
  obs.metrics.addMetric("EventsRejected", MetricUnit.Count, 1);
}
