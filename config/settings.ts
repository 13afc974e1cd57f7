/**
 * Builders for stack settings. A setting pairs what Pulumi.yaml declares (type, default, description) with the
 * zod schema that validates the value at run time, and a human description of the form it expects (used in
 * error messages and docs/configuration.md).
 *
 * Pulumi's project config schema supports only `string`, `integer`, `boolean` and `array` (of those). So:
 * - fractional numbers are declared as strings (`"0.02"`) and parsed here;
 * - maps are declared as arrays of `name=value` strings and parsed into records here.
 * Every value reaches the program as a string (arrays as JSON), and the CLI does not apply Pulumi.yaml defaults
 * under mocks, so the defaults here are the run-time source of truth; a test keeps Pulumi.yaml equal to them.
 */
import { z } from "zod";

/** The types Pulumi's project config schema can declare. */
export type PulumiConfigType = "string" | "integer" | "boolean" | "array";

/** A value as written in YAML (Pulumi.yaml default or a stack file). */
export type YamlValue = string | number | boolean | string[];

export interface Setting<S extends z.ZodType = z.ZodType> {
  /** Declared type in Pulumi.yaml. */
  readonly type: PulumiConfigType;
  /** One line for Pulumi.yaml and the docs. */
  readonly description: string;
  /** The form the value must take, e.g. "an integer from 2 to 6"; error messages quote it. */
  readonly expects: string;
  /** The default as written in Pulumi.yaml; undefined means the key is required. */
  readonly default: YamlValue | undefined;
  /** Validates the value after it is coerced from its config string to `type`. */
  readonly schema: S;
}

interface Common {
  readonly description: string;
}

function setting<S extends z.ZodType>(
  type: PulumiConfigType,
  schema: S,
  expects: string,
  opts: Common & { readonly default?: YamlValue },
): Setting<S> {
  return { type, description: opts.description, expects, default: opts.default, schema };
}

/** An integer within [min, max] (and, when given, one of `allowed`). */
export function integer(
  opts: Common & {
    readonly min: number;
    readonly max: number;
    readonly default?: number;
    readonly allowed?: readonly number[];
  },
) {
  const allowed = opts.allowed;
  const expects = allowed
    ? `one of the integers ${allowed.join(", ")}`
    : `an integer from ${opts.min} to ${opts.max}`;
  let schema = z.number().int().min(opts.min).max(opts.max);
  if (allowed)
    schema = schema.refine((n) => allowed.includes(n), "not an allowed value") as unknown as typeof schema;
  return setting("integer", schema, expects, opts);
}

/** A fractional number, declared as a string because Pulumi's config schema has no number type. */
export function decimal(
  opts: Common & { readonly min: number; readonly max: number; readonly default?: string },
) {
  const schema = z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number)
    .pipe(z.number().min(opts.min).max(opts.max));
  return setting(
    "string",
    schema,
    `a decimal number from ${opts.min} to ${opts.max}, as a string (e.g. "0.05")`,
    opts,
  );
}

export function boolean(opts: Common & { readonly default?: boolean }) {
  return setting("boolean", z.boolean(), "true or false", opts);
}

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  opts: Common & { readonly default?: T[number] },
) {
  return setting("string", z.enum(values), `one of ${values.join(" | ")}`, opts);
}

/** A string matching `pattern` and, when given, `check`. */
export function text(
  opts: Common & {
    readonly pattern: RegExp;
    readonly expects: string;
    readonly default?: string;
    readonly check?: (value: string) => boolean;
    /** Says what `check` rejected, e.g. "unknown time zone". */
    readonly checkMessage?: string;
  },
) {
  const check = opts.check;
  const base = z.string().regex(opts.pattern);
  const schema = check ? base.refine(check, opts.checkMessage ?? "rejected") : base;
  return setting("string", schema, opts.expects, opts);
}

/** An array of strings, each matching `pattern`. */
export function list(
  opts: Common & {
    readonly pattern: RegExp;
    readonly expects: string;
    readonly default?: string[];
    readonly max?: number;
    readonly check?: (item: string) => boolean;
    /** Says what `check` rejected, e.g. "not a real date". */
    readonly checkMessage?: string;
  },
) {
  const check = opts.check ?? (() => true);
  const schema = z
    .array(
      z
        .string()
        .regex(opts.pattern)
        .refine(check, opts.checkMessage ?? "rejected"),
    )
    .max(opts.max ?? 100)
    .refine((items) => new Set(items).size === items.length, "duplicate entries");
  return setting("array", schema, `a list of ${opts.expects} (no duplicates)`, opts);
}

/**
 * A closed-days calendar, declared as an array of `warehouse_id=YYYY-MM-DD` strings (`*` for every warehouse) and
 * parsed into the shape of docs/architecture.md's `calendar/closed-days.json`: warehouse → sorted unique dates.
 */
export function dateCalendar(opts: Common & { readonly default?: string[]; readonly max?: number }) {
  const base = list({
    ...opts,
    pattern: /^([A-Za-z0-9_.-]{1,64}|\*)=\d{4}-\d{2}-\d{2}$/,
    check: (item) => isIsoDate(item.slice(item.indexOf("=") + 1)),
    checkMessage: "not a real calendar date",
    expects: "warehouse_id=YYYY-MM-DD or *=YYYY-MM-DD",
  });
  const schema = base.schema.transform((items) => {
    const out: Record<string, string[]> = {};
    for (const item of items) {
      const eq = item.indexOf("=");
      (out[item.slice(0, eq)] ??= []).push(item.slice(eq + 1));
    }
    for (const dates of Object.values(out)) dates.sort();
    return out;
  });
  return { ...base, schema };
}

/**
 * A map, declared as an array of `name=value` strings (Pulumi's config schema has no object type), parsed into a
 * record. Names must be unique.
 */
export function keyValues(
  opts: Common & {
    readonly name: RegExp;
    readonly value: RegExp;
    readonly expects: string;
    readonly default?: string[];
    readonly checkValue?: (value: string) => boolean;
  },
) {
  const checkValue = opts.checkValue ?? (() => true);
  const schema = z.array(z.string()).transform((items, ctx) => {
    const out: Record<string, string> = {};
    for (const item of items) {
      const eq = item.indexOf("=");
      const k = eq > 0 ? item.slice(0, eq) : "";
      const v = eq > 0 ? item.slice(eq + 1) : "";
      if (!opts.name.test(k) || !opts.value.test(v) || !checkValue(v)) {
        ctx.addIssue({ code: "custom", message: `bad entry ${JSON.stringify(item)}` });
      } else if (k in out) {
        ctx.addIssue({ code: "custom", message: `duplicate name ${JSON.stringify(k)}` });
      } else {
        out[k] = v;
      }
    }
    return out;
  });
  return setting("array", schema, `a list of ${opts.expects} entries (unique names)`, opts);
}

/** True when `zone` is an IANA time zone this Node knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** EventBridge schedule expressions: rate(n unit) or cron(6 fields). */
export const SCHEDULE = /^(rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)|cron\((\S+ ){5}\S+\))$/;
