import type { Command } from "commander";
import type { RouteCheck } from "../smoke/routes";
import type { AlarmCheck } from "../smoke/stack";
import { UsageError } from "../usage";

/**
 * `warecast smoke`: after a deploy, call every route of the stack's API and read the stack's alarms. Node only
 * (no Python): the stack outputs come from the Pulumi CLI, the key and alarms from AWS with the caller's
 * credentials. Exits 1 when a route answers unexpectedly or an alarm is in ALARM. See docs/deploy.md. The SDK
 * clients load when the command runs, so `--help` does not wait for them.
 */

interface SmokeFlags {
  stack?: string;
  url?: string;
  apiKey?: string;
  region?: string;
  alarmPrefix?: string;
  pulumi: string;
  json?: boolean;
}

export interface SmokeResult {
  readonly url: string;
  /** Where the URL and key came from. */
  readonly source: string;
  readonly routes: readonly RouteCheck[];
  /** Undefined when no alarms were named (flags without --alarm-prefix). */
  readonly alarms: readonly AlarmCheck[] | undefined;
  readonly ok: boolean;
}

export async function runSmoke(flags: SmokeFlags): Promise<SmokeResult> {
  const [
    { APIGatewayClient },
    { CloudWatchClient },
    { checkRoutes },
    { apiKeyValue, readAlarms, readStackOutputs },
  ] = await Promise.all([
    import("@aws-sdk/client-api-gateway"),
    import("@aws-sdk/client-cloudwatch"),
    import("../smoke/routes"),
    import("../smoke/stack"),
  ]);
  const envRegion = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  let url: string;
  let apiKey: string;
  let source: string;
  let region = flags.region ?? envRegion;
  let alarms: { names: readonly string[] } | { prefix: string } | undefined;
  if (flags.url) {
    if (!flags.apiKey) throw new UsageError("--url needs --api-key (the key's value)");
    url = flags.url;
    apiKey = flags.apiKey;
    source = "flags";
    alarms = flags.alarmPrefix ? { prefix: flags.alarmPrefix } : undefined;
  } else if (flags.stack) {
    const target = await readStackOutputs(flags.stack, flags.pulumi);
    region = flags.region ?? target.region;
    url = target.apiUrl;
    apiKey = await apiKeyValue(new APIGatewayClient({ region }), target.apiKeyId);
    source = `stack ${flags.stack} outputs`;
    alarms = { names: target.alarmNames };
  } else {
    throw new UsageError("pass --stack <name>, or --url and --api-key");
  }
  const routes = await checkRoutes({ baseUrl: url, apiKey });
  const alarmChecks = alarms ? await readAlarms(new CloudWatchClient({ region }), alarms) : undefined;
  const ok =
    routes.every((r) => r.ok) &&
    (alarmChecks ?? []).every((a) => a.state !== "ALARM" && a.state !== "MISSING");
  return { url, source, routes, alarms: alarmChecks, ok };
}

/** The report as the command prints it. */
export function smokeText(r: SmokeResult): string {
  const lines = [`smoke test of ${r.url} (${r.source})`];
  for (const c of r.routes) {
    const status = c.status === undefined ? "---" : String(c.status);
    const expected = c.ok ? "" : ` (expected ${c.expected.join(" or ")})`;
    lines.push(
      `  ${c.ok ? "ok  " : "FAIL"}  ${c.method.padEnd(4)} ${c.path.padEnd(44)} ${status}${expected} ${String(c.ms).padStart(6)} ms  ${c.name}${c.detail ? `: ${c.detail}` : ""}`,
    );
  }
  const failedRoutes = r.routes.filter((c) => !c.ok).length;
  if (r.routes.some((c) => c.name === "series" && c.detail === "0 series")) {
    lines.push(
      "note: no series yet, so the forecast routes answered without reaching the model; smoke again after the ETL",
    );
  }
  if (!r.alarms) {
    lines.push("alarms: not read (with --url, pass --alarm-prefix to read them)");
  } else {
    const bad = r.alarms.filter((a) => a.state === "ALARM" || a.state === "MISSING");
    const counts = new Map<string, number>();
    for (const a of r.alarms) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
    lines.push(
      `alarms: ${r.alarms.length} (${[...counts].map(([s, n]) => `${n} ${s}`).join(", ") || "none"})`,
    );
    for (const a of bad) lines.push(`  ${a.state.padEnd(7)} ${a.name}: ${a.reason}`);
  }
  const alarmsBad = (r.alarms ?? []).filter((a) => a.state === "ALARM" || a.state === "MISSING").length;
  lines.push(
    `${r.ok ? "PASSED" : "FAILED"}: ${r.routes.length - failedRoutes}/${r.routes.length} routes as expected, ${alarmsBad} alarm(s) in ALARM or missing`,
  );
  return `${lines.join("\n")}\n`;
}

export function register(program: Command): void {
  program
    .command("smoke")
    .description(
      "Smoke-test a deployed stack: call every API route and read the stack's alarms (AWS credentials; no Python)",
    )
    .option(
      "--stack <name>",
      "stack whose outputs (`pulumi stack output --json`) locate the API, its key and alarms",
    )
    .option("--url <url>", "API base URL, instead of the stack outputs (e.g. the apiUrl output)")
    .option("--api-key <value>", "API key value, with --url")
    .option(
      "--alarm-prefix <prefix>",
      "with --url: read the alarms whose names start with this (e.g. warecast-dev-)",
    )
    .option(
      "--region <region>",
      "AWS region of the key and alarms (default: the stack's region output, AWS_REGION)",
    )
    .option("--pulumi <path>", "the Pulumi CLI to run", "pulumi")
    .option("--json", "print the result as JSON")
    .action(async (flags: SmokeFlags) => {
      const result = await runSmoke(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : smokeText(result));
      if (!result.ok) process.exitCode = 1;
    });
}
