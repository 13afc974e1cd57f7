/**
 * What goes into each Lambda zip besides the serialized handler. Pulumi's CallbackFunction starts from every
 * package in package.json `dependencies` (less @pulumi/*) and adds their dependencies; a function only needs the
 * few its own code requires. So each function lists its packages, and the zip leaves out every other dependency
 * and every type-declaration package (`@types/*`, which some runtime packages declare as dependencies).
 *
 * The AWS SDK v3 clients are packages like any other here: each zip carries the pinned clients its code uses,
 * so the SDK that runs in Lambda is the one in package-lock.json, and the one the artifact tests run.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..");

/** Powertools (functions/powertools.ts): every function logs, counts and traces through it. */
export const POWERTOOLS_PACKAGES: readonly string[] = [
  "@aws-lambda-powertools/logger",
  "@aws-lambda-powertools/metrics",
  "@aws-lambda-powertools/tracer",
];

/** `node_modules/a/node_modules/@types/b` → `@types/b`. */
function packageName(lockPath: string): string {
  const parts = lockPath.split("node_modules/");
  return parts[parts.length - 1];
}

/**
 * The packages a function's zip leaves out (CallbackFunction's `extraExcludePackages`): every dependency not in
 * `wanted`, and every `@types/*` package the lock file holds. Throws if `wanted` names a package that is not a
 * dependency (it would silently be missing from the zip).
 */
export function excludedPackages(
  wanted: readonly string[],
  dependencies: readonly string[],
  lockPaths: readonly string[],
): string[] {
  const unknown = wanted.filter((p) => !dependencies.includes(p));
  if (unknown.length > 0) {
    throw new Error(
      `function packages ${unknown.join(", ")} are not in package.json dependencies; add them there first`,
    );
  }
  const types = lockPaths.map(packageName).filter((p) => p.startsWith("@types/"));
  return [...new Set([...dependencies.filter((d) => !wanted.includes(d)), ...types])].sort();
}

/** excludedPackages for this repository's package.json and package-lock.json. */
export function zipExclusions(wanted: readonly string[]): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
    packages?: Record<string, unknown>;
  };
  return excludedPackages(wanted, Object.keys(pkg.dependencies ?? {}), Object.keys(lock.packages ?? {}));
}
