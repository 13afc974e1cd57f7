/**
 * A Lambda function as the program hands it to `aws.lambda.Function` under the mocks (tests/harness), and its
 * layout on disk as the deployment zip would unpack it in /var/task.
 *
 * The `code` input of a CallbackFunction is an AssetArchive: `__index.js` (a StringAsset with the serialized
 * closure) and one FileArchive per package folder (`node_modules/<name>`, nested `node_modules` included), which
 * Pulumi's engine zips at those paths. Writing it out reproduces that zip's tree; package files are hard-linked
 * (copied across file systems), so every `require` resolves inside the artifact exactly as in /var/task.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { RegisteredResource, StackRun } from "../../harness";
import { archiveEntries } from "../deployed-objects";

export const LAMBDA_FUNCTION = "aws:lambda/function:Function";

export interface FunctionArtifact {
  /** Logical name (e.g. warecast-dev-api-predict); the mocks use it as the function name too. */
  readonly name: string;
  /** The serialized closure, `__index.js`. */
  readonly indexJs: string;
  /** Zip paths of the package folders (`node_modules/...`), sorted. */
  readonly packagePaths: readonly string[];
  /** Where each package folder comes from on this machine. */
  readonly packageSources: Readonly<Record<string, string>>;
  /** `__index.handler`: module and export, as the runtime reads `_HANDLER`. */
  readonly handler: string;
  readonly runtime: string;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  /** The function's environment variables, exactly as the stack sets them. */
  readonly environment: Readonly<Record<string, string>>;
  /** loggingConfig.logGroup and logFormat, which the runtime passes on to the function. */
  readonly logGroup: string | undefined;
  readonly logFormat: string | undefined;
  readonly tracing: boolean;
}

/** The archive's entries: `__index.js` text and each package folder's source path. */
async function readCode(
  code: unknown,
  name: string,
): Promise<{ index: string; packages: Record<string, string> }> {
  let index: string | undefined;
  const packages: Record<string, string> = {};
  for (const [entry, value] of Object.entries(await archiveEntries(code))) {
    if (entry === "__index.js") index = value.text;
    else if (value.path) packages[entry] = path.resolve(value.path);
    else throw new Error(`${name}: archive entry ${entry} is neither __index.js nor a path`);
  }
  if (typeof index !== "string") throw new Error(`${name}: the archive has no __index.js text`);
  return { index, packages };
}

export async function functionArtifact(fn: RegisteredResource): Promise<FunctionArtifact> {
  const { index, packages } = await readCode(fn.inputs.code, fn.name);
  const inputs = fn.inputs as {
    handler?: string;
    runtime?: string;
    memorySize?: number;
    timeout?: number;
    environment?: { variables?: Record<string, string> };
    loggingConfig?: { logGroup?: string; logFormat?: string };
    tracingConfig?: { mode?: string };
  };
  const environment = inputs.environment?.variables ?? {};
  for (const [key, value] of Object.entries(environment)) {
    // An output the mocks do not return reaches the function as a missing or non-string value.
    if (typeof value !== "string")
      throw new Error(`${fn.name}: environment variable ${key} is ${String(value)}`);
  }
  return {
    name: fn.name,
    indexJs: index,
    packagePaths: Object.keys(packages).sort(),
    packageSources: packages,
    handler: inputs.handler ?? "",
    runtime: inputs.runtime ?? "",
    memoryMiB: inputs.memorySize ?? 128,
    timeoutSeconds: inputs.timeout ?? 3,
    environment,
    logGroup: inputs.loggingConfig?.logGroup,
    logFormat: inputs.loggingConfig?.logFormat,
    tracing: inputs.tracingConfig?.mode === "Active",
  };
}

/** Every Lambda function of a stack run, by logical name. */
export async function functionArtifacts(run: StackRun): Promise<Map<string, FunctionArtifact>> {
  const out = new Map<string, FunctionArtifact>();
  for (const fn of run.ofType(LAMBDA_FUNCTION)) out.set(fn.name, await functionArtifact(fn));
  return out;
}

/** Hard-links (or copies) a folder tree; symbolic links are kept as links. */
function linkTree(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    if (entry.isDirectory()) linkTree(from, to);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else {
      try {
        fs.linkSync(from, to);
      } catch {
        fs.copyFileSync(from, to);
      }
    }
  }
}

/** Writes the artifact as its zip unpacks (into an empty `dir`) and returns `dir`. */
export function writeArtifact(artifact: FunctionArtifact, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  if (fs.readdirSync(dir).length > 0) throw new Error(`${dir} is not empty`);
  fs.writeFileSync(path.join(dir, "__index.js"), artifact.indexJs);
  for (const entry of artifact.packagePaths) linkTree(artifact.packageSources[entry], path.join(dir, entry));
  return dir;
}

/** Package names (`@scope/name` or `name`) from the zip paths, nested ones included. */
export function packageNames(artifact: FunctionArtifact): string[] {
  return artifact.packagePaths.map((p) => {
    const parts = p.split("/");
    const at = parts.lastIndexOf("node_modules");
    return parts[at + 1].startsWith("@") ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
  });
}
