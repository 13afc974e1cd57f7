/**
 * Drives a policy pack through its Analyzer gRPC interface in the engine's order: GetAnalyzerInfo, Configure
 * (reconciled per-stack config), ConfigureStack, Analyze once per resource (its inputs), then AnalyzeStack (every
 * resource with its outputs, parent and provider). Levels, config defaults and not-applicable handling all come from
 * @pulumi/policy's own server; this module only transports and collects.
 */
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { call, startAnalyzer, type AnalyzerProcess } from "./analyzer-process";
import type { Step } from "../progress";
import {
  reconcilePackConfig,
  type EnforcementLevel,
  type PolicyConfig,
  type PolicyInfo,
} from "./pack-config";

/** One resource of the stack as the engine knows it. */
export interface CheckResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Provider-assigned id (used to link references; the engine does not send it to policies). */
  readonly id?: string;
  readonly parent?: string;
  readonly custom: boolean;
  /** URN of the provider resource (a `pulumi:providers:*` resource in the same list), or undefined for the default. */
  readonly provider?: string;
  readonly inputs: Record<string, unknown>;
  /** Outputs after create/update; what AnalyzeStack sees (the engine sends outputs there). Defaults to inputs. */
  readonly outputs?: Record<string, unknown>;
  readonly protect?: boolean;
  readonly ignoreChanges?: readonly string[];
  /** URNs this resource depends on, per top-level input property (what the engine records at registration). */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface Finding {
  readonly policy: string;
  readonly enforcement: EnforcementLevel;
  readonly severity?: string;
  readonly message: string;
  /** The resource the finding concerns (absent for a stack-wide finding without a URN). */
  readonly resource?: { readonly urn: string; readonly type: string; readonly name: string };
  readonly phase: "analyze" | "analyzeStack";
}

export interface CheckRun {
  readonly pack: { readonly name: string; readonly version: string };
  /** Every policy with the enforcement level it ran at after config reconciliation. */
  readonly policies: readonly (PolicyInfo & { readonly level: EnforcementLevel })[];
  readonly findings: readonly Finding[];
}

export interface CheckOptions {
  readonly packDir: string;
  readonly stack: string;
  readonly project: string;
  readonly config: Record<string, PolicyConfig>;
  readonly resources: readonly CheckResource[];
  /** Properties of the default provider for each package (`aws` → the stack's `aws:*` config), as the engine builds it. */
  readonly defaultProviders?: Readonly<Record<string, Record<string, unknown>>>;
  /** Reuse a running pack (tests); otherwise one is started and stopped. */
  readonly analyzer?: AnalyzerProcess;
  /** Progress of the check (the pack's start, resources analyzed, the stack analysis). */
  readonly onStep?: (step: Step) => void;
}

const LEVELS: Record<number, EnforcementLevel> = {
  [pb.EnforcementLevel.ADVISORY]: "advisory",
  [pb.EnforcementLevel.MANDATORY]: "mandatory",
  [pb.EnforcementLevel.DISABLED]: "disabled",
  [pb.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_CODES = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [v, Number(k)])) as Record<
  EnforcementLevel,
  pb.EnforcementLevel
>;
const SEVERITIES: Record<number, string | undefined> = { 1: "low", 2: "medium", 3: "high", 4: "critical" };

/** Inputs and outputs as the engine marshals them: plain JSON with Pulumi's signatures for secrets and assets. */
async function toStruct(label: string, props: Record<string, unknown>): Promise<Struct> {
  const serialized = (await rpc.serializeProperties(label, props)) as Record<string, unknown>;
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(serialized)) as Record<string, never>);
}

function packageOf(type: string): string {
  return type.split(":")[0];
}

function policyInfo(p: pb.PolicyInfo): PolicyInfo {
  const schema = p.getConfigschema();
  return {
    name: p.getName(),
    description: p.getDescription(),
    enforcementLevel: LEVELS[p.getEnforcementlevel()],
    remediationSteps: p.getRemediationSteps() || undefined,
    severity: SEVERITIES[p.getSeverity()],
    type: p.getPolicyType() === pb.PolicyType.POLICY_TYPE_STACK ? "stack" : "resource",
    configSchema: schema
      ? {
          properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<
            string,
            Record<string, unknown>
          >,
          required: schema.getRequiredList(),
        }
      : undefined,
  };
}

function initialConfig(info: pb.AnalyzerInfo): Record<string, PolicyConfig> {
  const out: Record<string, PolicyConfig> = {};
  info.getInitialconfigMap().forEach((c: pb.PolicyConfig, name: string) => {
    out[name] = {
      enforcementLevel: LEVELS[c.getEnforcementlevel()],
      properties: c.getProperties()?.toJavaScript() as Record<string, unknown> | undefined,
    };
  });
  return out;
}

export async function runPolicyCheck(opts: CheckOptions): Promise<CheckRun> {
  const step = opts.onStep ?? (() => undefined);
  step({ stage: "starting the policy pack", detail: opts.packDir });
  const analyzer = opts.analyzer ?? (await startAnalyzer(opts.packDir));
  const { client } = analyzer;
  try {
    const info = await call<Empty, pb.AnalyzerInfo>(client, client.getAnalyzerInfo, new Empty());
    const policies = info.getPoliciesList().map(policyInfo);
    const config = reconcilePackConfig(policies, initialConfig(info), opts.config);

    const configure = new pb.ConfigureAnalyzerRequest();
    for (const [name, c] of Object.entries(config)) {
      const pc = new pb.PolicyConfig();
      pc.setEnforcementlevel(LEVEL_CODES[c.enforcementLevel ?? "advisory"]);
      pc.setProperties(Struct.fromJavaScript((c.properties ?? {}) as Record<string, never>));
      configure.getPolicyconfigMap().set(name, pc);
    }
    await call(client, client.configure, configure);
    const stackReq = new pb.AnalyzerStackConfigureRequest();
    stackReq.setStack(opts.stack);
    stackReq.setProject(opts.project);
    stackReq.setOrganization("organization");
    stackReq.setDryRun(true);
    await call(client, client.configureStack, stackReq);

    const byUrn = new Map(opts.resources.map((r) => [r.urn, r]));
    const providerOf = async (r: CheckResource): Promise<pb.AnalyzerProviderResource | undefined> => {
      if (!r.custom || r.type.startsWith("pulumi:providers:")) return undefined;
      const p = new pb.AnalyzerProviderResource();
      const explicit = r.provider ? byUrn.get(r.provider) : undefined;
      const pkg = packageOf(r.type);
      if (explicit) {
        p.setType(explicit.type).setName(explicit.name).setUrn(explicit.urn);
        p.setProperties(await toStruct(explicit.urn, explicit.inputs));
      } else {
        const name = `default`;
        p.setType(`pulumi:providers:${pkg}`).setName(name);
        p.setUrn(`urn:pulumi:${opts.stack}::${opts.project}::pulumi:providers:${pkg}::${name}`);
        p.setProperties(await toStruct(name, opts.defaultProviders?.[pkg] ?? {}));
      }
      return p;
    };
    const options = (r: CheckResource): pb.AnalyzerResourceOptions => {
      const o = new pb.AnalyzerResourceOptions();
      o.setProtect(r.protect ?? false);
      o.setIgnorechangesList([...(r.ignoreChanges ?? [])]);
      if (r.parent) o.setParent(r.parent);
      return o;
    };

    const findings: Finding[] = [];
    const collect = (resp: pb.AnalyzeResponse, phase: Finding["phase"], fallback?: CheckResource) => {
      for (const d of resp.getDiagnosticsList()) {
        const target = (d.getUrn() && byUrn.get(d.getUrn())) || fallback;
        findings.push({
          policy: d.getPolicyname(),
          enforcement: LEVELS[d.getEnforcementlevel()],
          severity: SEVERITIES[d.getSeverity()],
          message: d.getMessage(),
          resource: target ? { urn: target.urn, type: target.type, name: target.name } : undefined,
          phase,
        });
      }
    };

    const total = opts.resources.length;
    for (const [i, r] of opts.resources.entries()) {
      step({ stage: "analyzing resources", done: i, total, unit: "resources" });
      const req = new pb.AnalyzeRequest();
      req.setType(r.type).setName(r.name).setUrn(r.urn).setOptions(options(r));
      req.setProperties(await toStruct(r.urn, r.inputs));
      const provider = await providerOf(r);
      if (provider) req.setProvider(provider);
      collect(await call<pb.AnalyzeRequest, pb.AnalyzeResponse>(client, client.analyze, req), "analyze", r);
    }

    step({ stage: "analyzing resources", done: total, total, unit: "resources" });
    step({ stage: "analyzing the stack", detail: `${total} resources with their outputs` });
    const stack = new pb.AnalyzeStackRequest();
    const list: pb.AnalyzerResource[] = [];
    for (const r of opts.resources) {
      const res = new pb.AnalyzerResource();
      res.setType(r.type).setName(r.name).setUrn(r.urn).setOptions(options(r));
      res.setProperties(await toStruct(r.urn, r.outputs ?? r.inputs));
      if (r.parent) res.setParent(r.parent);
      const deps = r.propertyDependencies ?? {};
      res.setDependenciesList([...new Set(Object.values(deps).flat())]);
      for (const [prop, urns] of Object.entries(deps)) {
        const pd = new pb.AnalyzerPropertyDependencies();
        pd.setUrnsList([...urns]);
        res.getPropertydependenciesMap().set(prop, pd);
      }
      const provider = await providerOf(r);
      if (provider) res.setProvider(provider);
      list.push(res);
    }
    stack.setResourcesList(list);
    collect(
      await call<pb.AnalyzeStackRequest, pb.AnalyzeResponse>(client, client.analyzeStack, stack),
      "analyzeStack",
    );

    return {
      pack: { name: info.getName(), version: info.getVersion() },
      policies: policies.map((p) => ({
        ...p,
        level: config[p.name]?.enforcementLevel ?? p.enforcementLevel,
      })),
      findings,
    };
  } finally {
    if (!opts.analyzer) await analyzer.close();
  }
}
