/**
 * The stack's resource graph for the offline check: index.ts run under the foundation's Pulumi mocks
 * (tests/harness), every registered resource with its inputs, parent and provider, plus its outputs as the same
 * deterministic mocks compute them (what AnalyzeStack sees after an update).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { createMocks, runStack, type RegisteredResource } from "../../tests/harness";
import type { CheckResource } from "./analyze";

export interface StackGraph {
  readonly stack: string;
  readonly project: string;
  readonly resources: CheckResource[];
  /** The default provider's properties per package, from the stack's `<package>:*` config (as the engine does). */
  readonly defaultProviders: Record<string, Record<string, unknown>>;
}

export function projectName(root: string): string {
  const doc = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name?: string };
  return doc.name ?? "warecast";
}

function outputsOf(r: RegisteredResource, mocks: ReturnType<typeof createMocks>): Record<string, unknown> {
  if (!r.custom) return r.inputs;
  const result = mocks.newResource({
    type: r.type,
    name: r.name,
    inputs: r.inputs,
    provider: r.provider,
    custom: true,
  });
  return (result as { state?: Record<string, unknown> }).state ?? r.inputs;
}

/** Every string inside a value (nested objects and arrays included). */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/**
 * The engine records which resources each input property came from; the harness does not. Under the mocks an
 * input equal to a resource's id or ARN came from that resource. Mock ids derive from logical names, which two
 * resources of different types may share (a subnet and its route table association), so a value links to every
 * resource that owns it; rules look for the type they need. Returns the resources with `propertyDependencies`.
 */
export function linkDependencies(resources: readonly CheckResource[]): CheckResource[] {
  const owners = new Map<string, string[]>();
  const own = (value: unknown, urn: string) => {
    if (typeof value === "string" && value !== "") owners.set(value, [...(owners.get(value) ?? []), urn]);
  };
  for (const r of resources) {
    if (!r.custom) continue;
    own(r.id, r.urn);
    own(r.outputs?.arn, r.urn);
  }
  return resources.map((r) => {
    const deps: Record<string, string[]> = {};
    for (const [prop, value] of Object.entries(r.inputs)) {
      const urns = stringsIn(value)
        .flatMap((v) => owners.get(v) ?? [])
        .filter((u) => u !== r.urn);
      if (urns.length > 0) deps[prop] = [...new Set(urns)];
    }
    return { ...r, propertyDependencies: deps };
  });
}

/**
 * Runs index.ts under the mocks. The program is loaded from its TypeScript source, as `pulumi preview` loads it,
 * whatever runs this code (the CLI's build in .build/, tsx, jest): where no TypeScript loader is registered,
 * tsx's require hook is, for this run only.
 */
async function runProgram(stack: string): ReturnType<typeof runStack> {
  if (require.extensions?.[".ts"]) return runStack(stack);
  const { register } = await import("tsx/cjs/api");
  const unregister = register();
  try {
    return await runStack(stack);
  } finally {
    unregister();
  }
}

export async function loadStackGraph(stack: string, root: string): Promise<StackGraph> {
  const run = await runProgram(stack);
  const region = run.config["aws:region"] ?? "eu-west-1";
  const mocks = createMocks(region);
  const defaultProviders: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(run.config)) {
    const [pkg, name] = key.split(":");
    if (!name || pkg === projectName(root)) continue;
    (defaultProviders[pkg] ??= {})[name] = value;
  }
  return {
    stack,
    project: projectName(root),
    defaultProviders,
    resources: linkDependencies(
      run.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        custom: r.custom,
        provider: r.provider,
        inputs: r.inputs,
        id: r.id,
        outputs: outputsOf(r, mocks),
        protect: r.protect,
        ignoreChanges: r.ignoreChanges,
      })),
    ),
  };
}
