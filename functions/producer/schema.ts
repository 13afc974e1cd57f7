import Ajv2020, { type ErrorObject } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { isRfc3339, valueProblems } from "./record-rules";
// The contract itself, imported as data: no second hand-written copy of its rules exists in the producer.
import eventSchema from "../../schemas/event.schema.json";

/** The event JSON Schema (schemas/event.schema.json), as loaded. */
export const EVENT_SCHEMA: Readonly<Record<string, unknown>> = eventSchema;

/** Validates one parsed record: `[]` when valid, else one readable reason per problem. */
export type EventValidator = (value: unknown) => string[];

/**
 * Compiles the event schema with ajv (JSON Schema 2020-12) and ajv-formats, plus the bounds the ETL shares
 * (record-rules.ts: finite numbers, occurred_at within its window of `clock()`, the arrival time). Call it once
 * per process (or per Lambda cold start): compiling costs milliseconds, validating microseconds.
 */
export function createEventValidator(clock: () => Date = () => new Date()): EventValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats(ajv);
  // The ETL's reading of date-time: no leap second (neither Spark nor Python has an instant for it).
  ajv.addFormat("date-time", isRfc3339);
  ajv.addKeyword({ keyword: "x-warecast-limits", schemaType: "object" });
  const validate = ajv.compile(eventSchema);
  return (value) => {
    const problems = validate(value) ? [] : formatErrors(validate.errors ?? []);
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      problems.push(...valueProblems(value as Record<string, unknown>, clock()));
    return problems;
  };
}

/** Turns ajv errors into short reasons like `/quantity must be >= 0`. */
export function formatErrors(errors: readonly ErrorObject[]): string[] {
  const reasons: string[] = [];
  for (const e of errors) {
    // An if/then miss repeats the inner error ("must match then schema"); the inner one is the useful one.
    if (e.keyword === "if") continue;
    const where = e.instancePath === "" ? "record" : e.instancePath;
    let detail = e.message ?? e.keyword;
    if (e.keyword === "enum")
      detail += `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
    if (e.keyword === "const")
      detail += ` ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    reasons.push(`${where} ${detail}`);
  }
  return reasons;
}

/** JSON types that the schema declares per top-level property, for coercing CSV cells (input.ts). */
export type PropertyKind = "number" | "integer" | "boolean" | "object" | "string";

export function propertyKinds(): ReadonlyMap<string, PropertyKind> {
  const kinds = new Map<string, PropertyKind>();
  const props = (eventSchema as { properties: Record<string, { type?: string; const?: unknown }> })
    .properties;
  for (const [name, def] of Object.entries(props)) {
    if (typeof def.const === "number") kinds.set(name, Number.isInteger(def.const) ? "integer" : "number");
    else if (
      def.type === "number" ||
      def.type === "integer" ||
      def.type === "boolean" ||
      def.type === "object"
    )
      kinds.set(name, def.type);
    else kinds.set(name, "string");
  }
  return kinds;
}
