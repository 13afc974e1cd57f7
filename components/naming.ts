/**
 * Physical-name helpers. Most resources are auto-named by Pulumi; these are for the few names that must be fixed per
 * stack (so IAM policies and other stacks can name them) and must respect AWS length and character limits.
 */

/** `warecast-<environment>`: the stack's name prefix. */
export function stackPrefix(project: string, environment: string): string {
  return `${project}-${environment}`.toLowerCase();
}

/**
 * Joins parts with '-', keeps only [a-z0-9-], and trims to `max` characters (AWS limits: 63 for S3 buckets,
 * 64 for IAM roles, 63 for SageMaker endpoints, 64 for Lambda functions).
 */
export function physicalName(parts: readonly string[], max = 63): string {
  const joined = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (joined.length === 0) throw new Error("physicalName: no usable characters in parts");
  return joined.length <= max ? joined : joined.slice(0, max).replace(/-$/, "");
}
