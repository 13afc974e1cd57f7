import type { PolicyResource } from "@pulumi/policy";
import { at, UNKNOWN } from "./values";

/** Cross-resource lookups for stack policies: which resource a property points at, and the stack's KMS keys. */

export const KMS_KEY = "aws:kms/key:Key";
export const KMS_ALIAS = "aws:kms/alias:Alias";

export function ofType(resources: PolicyResource[], ...types: string[]): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type));
}

/** Resolution of a reference property: a target it points at, unknown until deploy, or nothing in the stack. */
export type Resolution =
  { kind: "resolved"; target: PolicyResource } | { kind: "unknown" } | { kind: "unresolved"; value: string };

/**
 * Which of `targets` the property at `path` of `res` refers to. The engine's property dependencies answer this
 * even during preview, when values are unknown; otherwise the value is matched against the targets' `fields`
 * (outputs such as `arn`, `id`, `bucket`), also as the trailing segment of an ARN (`…:key/<keyId>`).
 */
export function resolveRef(
  res: PolicyResource,
  path: string,
  targets: PolicyResource[],
  fields: string[],
): Resolution {
  const top = path.split(".")[0];
  const deps = res.propertyDependencies?.[top] ?? [];
  const value = at(res.props, path);
  if (value === UNKNOWN) {
    const dep = deps.find((d) => targets.includes(d));
    return dep ? { kind: "resolved", target: dep } : { kind: "unknown" };
  }
  if (typeof value !== "string" || value === "") {
    const dep = deps.find((d) => targets.includes(d));
    return dep ? { kind: "resolved", target: dep } : { kind: "unresolved", value: String(value ?? "") };
  }
  for (const target of targets) {
    for (const field of fields) {
      const candidate = at(target.props, field);
      if (typeof candidate !== "string" || candidate === "") continue;
      if (value === candidate || value.endsWith(`/${candidate}`) || value.endsWith(`:${candidate}`)) {
        return { kind: "resolved", target };
      }
    }
  }
  // Nested properties share one dependency list per top-level property, so only trust it for top-level paths.
  if (path === top) {
    const dep = deps.find((d) => targets.includes(d));
    if (dep) return { kind: "resolved", target: dep };
  }
  return { kind: "unresolved", value };
}

/** The stack's customer-managed keys and the aliases that point at them: what "the stack key" may be named by. */
export function stackKeyTargets(resources: PolicyResource[]): PolicyResource[] {
  const keys = ofType(resources, KMS_KEY);
  const aliases = ofType(resources, KMS_ALIAS).filter(
    (alias) => resolveRef(alias, "targetKeyId", keys, KEY_FIELDS).kind !== "unresolved",
  );
  return [...keys, ...aliases];
}

/** Outputs and inputs by which a key or alias can be referenced. */
export const KEY_FIELDS = ["arn", "keyId", "id", "name", "targetKeyArn"];
