import { UnknownValueError } from "@pulumi/policy";

/**
 * Reads from resource properties and policy documents as the policy SDK hands them over: a proxy that throws
 * when a value is unknown (during `pulumi preview`, anything computed from another resource's outputs).
 */

/** Marks a value that exists but cannot be known until the deployment runs. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Maybe<T> = T | typeof UNKNOWN;

/** Runs `read`, mapping the SDK's unknown-value error to UNKNOWN so one preview-time value skips one check only. */
export function read<T>(read: () => T): Maybe<T> {
  try {
    return read();
  } catch (err) {
    if (err instanceof UnknownValueError) return UNKNOWN;
    throw err;
  }
}

/** Reads a dotted path (`a.b.0.c`), returning undefined when any step is missing and UNKNOWN when unknown. */
export function at(obj: unknown, path: string): unknown {
  return read(() => {
    let cur: unknown = obj;
    for (const key of path.split(".")) {
      if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
      cur = (cur as Record<string, unknown>)[key];
    }
    return cur;
  });
}

/** True when the property is present, even if its value is unknown (presence never throws). */
export function isSet(obj: unknown, path: string): boolean {
  const value = at(obj, path);
  if (value === UNKNOWN) return true;
  if (value === undefined || value === null) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** A known string value, or undefined when absent, unknown or not a string. */
export function str(obj: unknown, path: string): string | undefined {
  const value = at(obj, path);
  return typeof value === "string" ? value : undefined;
}

/** A known array (copied out of the proxy), [] when absent, UNKNOWN when unknown. */
export function list(obj: unknown, path: string): Maybe<unknown[]> {
  const value = at(obj, path);
  if (value === UNKNOWN) return UNKNOWN;
  if (!Array.isArray(value)) return [];
  return read(() => value.map((v) => v as unknown));
}

/** Accepts a JSON string or an already-parsed object (IAM documents, templates arrive either way). */
export function parseJson(value: unknown): Maybe<Record<string, unknown> | undefined> {
  if (value === UNKNOWN) return UNKNOWN;
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (value && typeof value === "object") {
    return read(() => JSON.parse(JSON.stringify(value)) as Record<string, unknown>);
  }
  return undefined;
}

/** `x` or `[x]` as an array of strings (IAM's Action/Resource fields allow both). */
export function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.filter((v): v is string => typeof v === "string");
}
