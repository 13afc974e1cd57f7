/**
 * Runs the Pulumi program (index.ts) for one stack's config under Pulumi mocks and returns every registered
 * resource (type, name, urn, inputs, parent, provider, protect/retain options) and the resolved stack outputs.
 *
 * Used by component tests and by the offline policy check. Pulumi's runtime state is global per process, so runs
 * happen one after another (this module serialises them). Under jest each run after the first calls
 * `jest.resetModules()` before loading the program, so one test file may run dev and prod in turn
 * (`await runStack("dev")`, then `await runStack("prod")`); test files must not import index.ts themselves.
 * Outside jest, the project's own modules are evicted from the require cache first.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { createMocks } from "./mocks";
import { REPO_ROOT, stackConfig, type StackName } from "./stackConfig";

export { MOCK_ACCOUNT_ID, createMocks } from "./mocks";
export { REPO_ROOT, readProjectConfig, readStackFile, stackConfig, toConfigString } from "./stackConfig";
export type { StackName } from "./stackConfig";

export interface RegisteredResource {
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  readonly urn: string;
  readonly id: string;
  /** Inputs as the program passed them (after Pulumi's serialisation), e.g. `inputs.tags`, `inputs.policy`. */
  readonly inputs: Record<string, unknown>;
  /** Outputs as the mocks returned them (a remote component's, such as awsx's Vpc, are all there is of it). */
  readonly outputs: Record<string, unknown>;
  /** URN of the parent resource, or undefined for a root resource. */
  readonly parent: string | undefined;
  /** URN of the provider this resource is created through (undefined: the default provider). */
  readonly provider: string | undefined;
  /** Package → provider URN handed to a component (a remote component's children are created through these). */
  readonly providers: Readonly<Record<string, string>>;
  readonly custom: boolean;
  /** A remote (multi-language) component, e.g. awsx's Vpc: one opaque resource under mocks. */
  readonly remote: boolean;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly ignoreChanges: readonly string[];
  readonly deleteBeforeReplace: boolean;
  /** URNs of the resources it depends on (`dependsOn` and the resources its inputs came from). */
  readonly dependencies: readonly string[];
  /** Its `aliases` option, as the engine receives them (a full URN, or the parts that differ from this URN). */
  readonly aliases: readonly AliasSpec[];
}

/** One alias: either a former URN, or the former name/type/parent (`""`: unchanged; noParent: it had none). */
export interface AliasSpec {
  readonly urn?: string;
  readonly name?: string;
  readonly type?: string;
  readonly parentUrn?: string;
  readonly noParent?: boolean;
}

export interface StackRun {
  readonly stack: string;
  readonly config: Readonly<Record<string, string>>;
  readonly resources: readonly RegisteredResource[];
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Resources of one type (e.g. "aws:s3/bucket:Bucket"). */
  ofType(type: string): RegisteredResource[];
  /** The resource with this URN; throws if absent. */
  byUrn(urn: string): RegisteredResource;
  /** Resources whose ancestor chain includes `urn`. */
  descendantsOf(urn: string): RegisteredResource[];
}

export interface RunOptions {
  /** Config keys (`namespace:key`) to override; `undefined` removes the key. */
  readonly overrides?: Readonly<Record<string, string | undefined>>;
  /** Program to run (a module path); default: the repository's index.ts. */
  readonly program?: string;
  /** Run as a preview (unknown outputs stay unknown). Default false. */
  readonly preview?: boolean;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getProvidersMap(): { toArray(): [string, string][] };
  getCustom(): boolean;
  getRemote(): boolean;
  getProtect(): boolean;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
  getRetainondelete(): boolean;
  getIgnorechangesList(): string[];
  getAliasesList(): {
    getUrn(): string;
    getSpec():
      { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
  }[];
  getObject(): unknown;
}
interface RegisterResponse {
  getUrn(): string;
  getId(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback = (err: unknown, resp: RegisterResponse | undefined) => void;
interface PatchableMonitor {
  registerResource(req: RegisterRequest, cb: Callback): Promise<void>;
}

/** Provider references are `<urn>::<id>`; keep the URN. */
function providerUrn(ref: string): string | undefined {
  if (!ref) return undefined;
  const at = ref.lastIndexOf("::");
  return at > 0 ? ref.slice(0, at) : ref;
}

/** Whether a program was loaded into this jest module registry (tests must not import index.ts themselves). */
let programLoaded = false;

function loadProgram(programPath: string): Record<string, unknown> {
  if (typeof jest !== "undefined") {
    // A fresh module registry per run, like isolateModules, but jest's main one: Pulumi's closure serializer
    // looks modules up in require.cache, which under jest shows only the main registry, so a CallbackFunction
    // that captures a node_modules package (zod, tar, the AWS SDK) serializes as `require(...)`, as in Node.
    // The first run of a test file needs no reset: its registry is fresh (this saves reloading Pulumi, seconds).
    if (programLoaded) jest.resetModules();
    programLoaded = true;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is loaded afresh per run
    return require(programPath) as Record<string, unknown>;
  }
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(REPO_ROOT) && !key.includes(`${path.sep}node_modules${path.sep}`))
      delete require.cache[key];
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is loaded afresh per run
  return require(programPath) as Record<string, unknown>;
}

function resolveOutput(value: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    (pulumi.output(value) as pulumi.Output<unknown>).apply((v) => {
      resolve(v);
      return v;
    });
  });
}

// waitForRPCs drains the runtime's RPC queue; it is exported by the module but marked internal in its typings.
const waitForRPCs = (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;

let queue: Promise<unknown> = Promise.resolve();

/** Runs the program for `stack` (config from Pulumi.<stack>.yaml plus overrides). Runs are serialised. */
export function runStack(stack: StackName | string, options: RunOptions = {}): Promise<StackRun> {
  const run = queue.then(() => runOnce(stack, options));
  queue = run.catch(() => undefined);
  return run;
}

async function runOnce(stack: string, options: RunOptions): Promise<StackRun> {
  const config: Record<string, string> = stackConfig(stack);
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) delete config[key];
    else config[key] = value;
  }
  pulumi.runtime.setAllConfig(config, []);
  await pulumi.runtime.setMocks(
    createMocks(config["aws:region"] ?? "eu-west-1"),
    "warecast",
    stack,
    options.preview ?? false,
  );

  const recorded = new Map<string, RegisteredResource>();
  const monitor = pulumi.runtime.getMonitor() as unknown as PatchableMonitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    register(req, (err, resp) => {
      if (!err && resp) {
        recorded.set(resp.getUrn(), {
          type: req.getType(),
          name: req.getName(),
          urn: resp.getUrn(),
          id: resp.getId(),
          inputs: rpc.deserializeProperties(
            req.getObject() as Parameters<typeof rpc.deserializeProperties>[0],
          ) as Record<string, unknown>,
          outputs: resp.getObject()
            ? (rpc.deserializeProperties(
                resp.getObject() as unknown as Parameters<typeof rpc.deserializeProperties>[0],
              ) as Record<string, unknown>)
            : {},
          parent: req.getParent() || undefined,
          provider: providerUrn(req.getProvider()),
          providers: Object.fromEntries(
            req
              .getProvidersMap()
              .toArray()
              .map(([pkg, ref]) => [pkg, providerUrn(ref) ?? ref]),
          ),
          custom: req.getCustom(),
          remote: req.getRemote(),
          protect: req.getProtect(),
          retainOnDelete: req.getRetainondelete(),
          ignoreChanges: req.getIgnorechangesList(),
          deleteBeforeReplace: req.getDeletebeforereplace(),
          dependencies: req.getDependenciesList(),
          aliases: req.getAliasesList().map((a) => {
            const spec = a.getSpec();
            return spec
              ? {
                  name: spec.getName() || undefined,
                  type: spec.getType() || undefined,
                  parentUrn: spec.getParenturn() || undefined,
                  noParent: spec.getNoparent() || undefined,
                }
              : { urn: a.getUrn() };
          }),
        });
      }
      cb(err, resp);
    });

  let exportsOf: Record<string, unknown>;
  try {
    exportsOf = loadProgram(options.program ?? path.join(REPO_ROOT, "index.ts"));
  } catch (err) {
    // Let callers check how far the program got (a config error must stop it before any resource).
    await waitForRPCs();
    if (err instanceof Error) Object.assign(err, { registeredResources: [...recorded.values()] });
    throw err;
  }

  // One resolved output does not mean every resource has registered: resolve all outputs, then drain the RPC
  // queue until no new registration arrives.
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exportsOf)) {
    if (key === "__esModule") continue;
    outputs[key] = await resolveOutput(value);
  }
  let seen = -1;
  while (seen !== recorded.size) {
    seen = recorded.size;
    await waitForRPCs();
    await new Promise((r) => setImmediate(r));
  }

  return makeRun(stack, config, [...recorded.values()], outputs);
}

function makeRun(
  stack: string,
  config: Record<string, string>,
  resources: RegisteredResource[],
  outputs: Record<string, unknown>,
): StackRun {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  return {
    stack,
    config,
    resources,
    outputs,
    ofType: (type) => resources.filter((r) => r.type === type),
    byUrn: (urn) => {
      const r = byUrn.get(urn);
      if (!r) throw new Error(`no resource ${urn}`);
      return r;
    },
    descendantsOf: (urn) =>
      resources.filter((r) => {
        for (let p = r.parent; p; p = byUrn.get(p)?.parent) if (p === urn) return true;
        return false;
      }),
  };
}
