import { Readable } from "node:stream";
import type { SageMaker } from "@aws-sdk/client-sagemaker";

/**
 * moto 5.1 answers some SageMaker JSON calls (DescribeEndpoint, ListTrainingJobs, …) with timestamps as
 * "YYYY-MM-DD HH:MM:SS" strings where AWS sends epoch seconds, and SDK v3 then fails with "Expected real
 * number, got implicit NaN". This test-only middleware rewrites such values (keys ending in Time, Date or Timestamp) to epoch
 * seconds before the SDK deserializes the response. Nothing else in the response changes.
 */
const STAMP =
  /"(\w*(?:Time|Date|Timestamp))"\s*:\s*"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"/g;

export function fixMotoTimestamps(json: string): string {
  return json.replace(STAMP, toEpochSeconds);
}

/** moto 5.1 sends Glue's StartedOn/CompletedOn/LastModifiedOn as date strings where AWS sends epoch seconds. */
const GLUE_STAMP =
  /"(\w*On)"\s*:\s*"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"/g;

function toEpochSeconds(_m: string, key: string, value: string): string {
  const iso = value.replace(" ", "T");
  const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
  return `"${key}": ${ms / 1000}`;
}

export function fixMotoGlueTimestamps(json: string): string {
  return json.replace(GLUE_STAMP, toEpochSeconds);
}

/** Rewrites each response body of `client` with `fix` before the SDK deserializes it. */
export function patchResponses(client: { middlewareStack: unknown }, fix: (json: string) => string): void {
  (client.middlewareStack as SageMaker["middlewareStack"]).add(
    (next) => async (args) => {
      const out = await next(args);
      const res = out.response as { body?: Readable; headers?: Record<string, string> };
      if (res.body && typeof (res.body as Readable).pipe === "function") {
        const chunks: Buffer[] = [];
        for await (const c of res.body) chunks.push(Buffer.from(c as Uint8Array));
        const fixed = Buffer.from(fix(Buffer.concat(chunks).toString("utf8")));
        res.body = Readable.from([fixed]);
        if (res.headers) res.headers["content-length"] = String(fixed.length);
      }
      return out;
    },
    { step: "deserialize", priority: "low", name: "fixMotoTimestamps" },
  );
}

export function patchMotoTimestamps(client: SageMaker): void {
  patchResponses(client, fixMotoTimestamps);
}
