import type { ApiEvent } from "./http";
import { ApiProblem, clip, type FieldError } from "./problem";

/**
 * The query of a GET route with only optional integer parameters: unknown names and values out of
 * [min, max] are 400s naming the parameter (as the spec declares them).
 */
export function intQuery(
  event: ApiEvent,
  params: Record<string, { min: number; max: number }>,
): Record<string, number | undefined> {
  const errors: FieldError[] = [];
  const out: Record<string, number | undefined> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) {
    const spec = Object.hasOwn(params, k) ? params[k] : undefined;
    if (!spec) {
      errors.push({ field: `/query/${clip(k)}`, message: "is not a known parameter" });
      continue;
    }
    const n = /^\d+$/.test(v ?? "") ? Number(v) : NaN;
    if (Number.isNaN(n) || n < spec.min || n > spec.max)
      errors.push({ field: `/query/${k}`, message: `must be an integer from ${spec.min} to ${spec.max}` });
    else out[k] = n;
  }
  if (errors.length > 0)
    throw new ApiProblem("invalid", "The query does not match the API contract.", { errors });
  return out;
}
