/**
 * The smoke test's stack half: where the deployed API is and which alarms are the stack's, from
 * `pulumi stack output --json` (the Pulumi CLI, when installed and logged in), the API key's value from API Gateway,
 * and the alarms' states from CloudWatch. Every AWS call goes through an injected client.
 */
import type { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { GetApiKeyCommand } from "@aws-sdk/client-api-gateway";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DescribeAlarmsCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { pulumiStackOutputs } from "../stack-outputs";

/** The stack outputs the smoke test reads (index.ts exports them). */
export interface StackTarget {
  readonly apiUrl: string;
  readonly apiKeyId: string;
  readonly region: string;
  readonly alarmNames: readonly string[];
}

/** Picks the smoke test's outputs from `pulumi stack output --json`; names every one that is missing. */
export function parseStackOutputs(stack: string, outputs: Record<string, unknown>): StackTarget {
  const missing = ["apiUrl", "apiKeyId", "region", "alarmNames"].filter((k) => outputs[k] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `stack ${stack} has no output ${missing.join(", ")}: run \`pulumi up\` with this version, or pass --url and --api-key`,
    );
  }
  const names = outputs.alarmNames;
  if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
    throw new Error(`stack ${stack}: output alarmNames is not a list of names`);
  }
  return {
    apiUrl: String(outputs.apiUrl),
    apiKeyId: String(outputs.apiKeyId),
    region: String(outputs.region),
    alarmNames: names as string[],
  };
}

/** Runs the Pulumi CLI for the stack's outputs. */
export async function readStackOutputs(stack: string, pulumi = "pulumi"): Promise<StackTarget> {
  return parseStackOutputs(
    stack,
    await pulumiStackOutputs(stack, pulumi, "pass --url and --api-key instead"),
  );
}

/** The API key's value (the stack exports only its id). */
export async function apiKeyValue(apigateway: APIGatewayClient, id: string): Promise<string> {
  const key = await apigateway.send(new GetApiKeyCommand({ apiKey: id, includeValue: true }));
  if (!key.value) throw new Error(`API key ${id} has no value (is it the stack's key?)`);
  return key.value;
}

export interface AlarmCheck {
  readonly name: string;
  /** OK, ALARM, INSUFFICIENT_DATA, or MISSING when the stack names an alarm CloudWatch does not have. */
  readonly state: string;
  readonly reason: string;
}

/** The alarms' states, by exact names (the stack output) or by name prefix; ALARM and MISSING fail the smoke test. */
export async function readAlarms(
  cloudwatch: CloudWatchClient,
  select: { readonly names: readonly string[] } | { readonly prefix: string },
): Promise<AlarmCheck[]> {
  const found: MetricAlarm[] = [];
  const pages =
    "names" in select
      ? chunks(select.names, 100).map((names) => ({ AlarmNames: names }))
      : [{ AlarmNamePrefix: select.prefix }];
  for (const page of pages) {
    let token: string | undefined;
    do {
      const res = await cloudwatch.send(
        new DescribeAlarmsCommand({ ...page, AlarmTypes: ["MetricAlarm"], NextToken: token }),
      );
      found.push(...(res.MetricAlarms ?? []));
      token = res.NextToken;
    } while (token);
  }
  const checks: AlarmCheck[] = found.map((a) => ({
    name: a.AlarmName ?? "?",
    state: a.StateValue ?? "?",
    reason: a.StateReason ?? "",
  }));
  if ("names" in select) {
    const have = new Set(checks.map((c) => c.name));
    for (const name of select.names) {
      if (!have.has(name))
        checks.push({ name, state: "MISSING", reason: "the stack exports it, CloudWatch has no such alarm" });
    }
  }
  return checks.sort((a, b) => a.name.localeCompare(b.name));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
