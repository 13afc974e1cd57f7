import { createHash } from "node:crypto";

/**
 * Names of the SageMaker objects that retraining and promotion create. They are derived, never random, so a
 * repeated event or a retried call finds the object it created before instead of making a second one.
 * SageMaker names: at most 63 of `[a-zA-Z0-9-]`, no leading/trailing/double hyphen.
 */

const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** Longest job-name prefix that still leaves room for the timestamp and an endpoint-config suffix. */
export const MAX_PREFIX_LENGTH = 38;

function checked(name: string, what: string): string {
  if (!NAME.test(name))
    throw new Error(`${what} "${name}" is not a valid SageMaker name (1-63 of [a-zA-Z0-9-])`);
  return name;
}

/** `2026-11-28T05:04:03.123Z` → `20261128050403` (UTC, second resolution). */
export function compactTimestamp(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, "")
    .replace(/[-:T]/g, "");
}

/** `<prefix>-<yyyymmddhhmmss>`: sorts by start time, and the promote rule matches the prefix. */
export function trainingJobName(prefix: string, at: Date): string {
  if (prefix.length > MAX_PREFIX_LENGTH) {
    throw new Error(`job name prefix "${prefix}" is longer than ${MAX_PREFIX_LENGTH} characters`);
  }
  return checked(`${prefix}-${compactTimestamp(at)}`, "training job name");
}

/** A model is named after the training job that produced it: one model per artifact. */
export function modelName(trainingJob: string): string {
  return checked(trainingJob, "model name");
}

/**
 * An endpoint config is named after its model plus a hash of its content, so redeploying the same model with the
 * same serving settings reuses it, and a change of serving settings (instance type, memory) makes a new one.
 */
export function endpointConfigName(model: string, content: unknown): string {
  const hash = createHash("sha256").update(stableJson(content)).digest("hex").slice(0, 8);
  return checked(`${model}-${hash}`, "endpoint config name");
}

/** JSON with object keys sorted, so equal content hashes equally whatever the key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** Splits `s3://bucket/key` into its parts; throws on anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`"${uri}" is not an s3://bucket/key URI`);
  return { bucket: m[1], key: m[2] };
}

/** Model versions as train.py writes them (UTC timestamp and kind); anything else is not used in a key. */
const MODEL_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Where a version's metrics.json is published for the API (GET /v1/model): `<prefix><version>/metrics.json`.
 * Undefined for a version that is not a plain name, so a strange endpoint answer cannot point the API elsewhere.
 */
export function modelMetricsKey(prefix: string, version: string): string | undefined {
  return MODEL_VERSION.test(version) && !version.includes("..")
    ? `${prefix}${version}/metrics.json`
    : undefined;
}
