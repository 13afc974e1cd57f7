/** Turns a policy run into the text report for people and the JSON report for machines. */
import type { CheckResource, CheckRun, Finding } from "./analyze";

export interface Report {
  readonly stack: string;
  readonly pack: CheckRun["pack"];
  readonly passed: boolean;
  readonly summary: {
    readonly mandatory: number;
    readonly advisory: number;
    readonly resources: number;
    readonly rules: number;
  };
  readonly findings: readonly (Omit<Finding, "message"> & { readonly message: string })[];
  readonly rules: readonly {
    readonly name: string;
    readonly level: string;
    readonly type: string;
    readonly severity?: string;
    readonly description: string;
    readonly remediation?: string;
  }[];
  readonly resources: readonly { readonly type: string; readonly name: string; readonly parent?: string }[];
}

/** The SDK prefixes each violation with the policy description; the report keeps the specific part. */
function specific(message: string, description: string): string {
  return message.startsWith(`${description}\n`) ? message.slice(description.length + 1) : message;
}

export function buildReport(stack: string, run: CheckRun, resources: readonly CheckResource[]): Report {
  const descriptions = new Map(run.policies.map((p) => [p.name, p.description]));
  const findings = run.findings
    .filter((f) => f.enforcement !== "disabled")
    .map((f) => ({ ...f, message: specific(f.message, descriptions.get(f.policy) ?? "") }))
    .sort((a, b) =>
      a.enforcement === b.enforcement
        ? a.policy.localeCompare(b.policy)
        : a.enforcement === "mandatory"
          ? -1
          : 1,
    );
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const mandatory = findings.filter((f) => f.enforcement === "mandatory").length;
  return {
    stack,
    pack: run.pack,
    passed: mandatory === 0,
    summary: {
      mandatory,
      advisory: findings.length - mandatory,
      resources: resources.length,
      rules: run.policies.length,
    },
    findings,
    rules: run.policies.map((p) => ({
      name: p.name,
      level: p.level,
      type: p.type,
      severity: p.severity,
      description: p.description,
      remediation: p.remediationSteps,
    })),
    resources: resources.map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent ? (byUrn.get(r.parent)?.name ?? r.parent) : undefined,
    })),
  };
}

export function formatText(report: Report): string {
  const lines: string[] = [];
  lines.push(
    `Policy pack ${report.pack.name}@${report.pack.version} on stack ${report.stack}: ${report.summary.rules} rules, ${report.summary.resources} resources`,
  );
  if (report.findings.length === 0) lines.push("No findings.");
  for (const f of report.findings) {
    const where = f.resource ? `${f.resource.type} ${f.resource.name}` : "(stack)";
    lines.push(`  ${f.enforcement.toUpperCase().padEnd(9)} ${f.policy}  ${where}`);
    for (const line of f.message.split("\n")) lines.push(`            ${line}`);
  }
  const failing = [...new Set(report.findings.map((f) => f.policy))];
  if (failing.length > 0) {
    lines.push("", "How to fix:");
    for (const name of failing)
      lines.push(`  ${name}: ${report.rules.find((r) => r.name === name)?.remediation ?? ""}`);
  }
  lines.push(
    "",
    `${report.summary.mandatory} mandatory, ${report.summary.advisory} advisory finding(s): ${report.passed ? "PASSED" : "FAILED (mandatory violations)"}`,
  );
  return lines.join("\n");
}
