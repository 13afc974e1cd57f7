/**
 * Reads a stack's config file (Pulumi.<stack>.yaml) into the flat `namespace:key` → string map that a Pulumi program
 * receives at run time: scalars as strings, arrays and objects as JSON, exactly as the CLI passes them.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** The repository root (where Pulumi.yaml lives). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export type StackName = "dev" | "prod";

/** The raw `config:` block of Pulumi.<stack>.yaml, with YAML types (numbers, booleans, arrays) preserved. */
export function readStackFile(stack: string, root = REPO_ROOT): Record<string, unknown> {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  const doc = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  return doc?.config ?? {};
}

/** Converts one YAML value to the string the Pulumi CLI hands the program. */
export function toConfigString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** The stack's config as the program sees it: `namespace:key` → string. */
export function stackConfig(stack: string, root = REPO_ROOT): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(readStackFile(stack, root))) out[key] = toConfigString(value);
  return out;
}

/** The `config:` block of Pulumi.yaml: key (without namespace) → declaration. */
export function readProjectConfig(
  root = REPO_ROOT,
): Record<string, { type?: string; default?: unknown; description?: string; items?: { type: string } }> {
  const doc = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    config?: Record<string, never>;
  };
  return doc.config ?? {};
}
