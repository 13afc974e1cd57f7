/**
 * `warecast smoke` end to end: the API is `warecast serve` (the local API and the local SageMaker-style endpoint,
 * free ports), the stack outputs come from a stand-in `pulumi` executable, and the API key and alarms from moto
 * through the real AWS SDK (AWS_ENDPOINT_URL). The smoke command itself runs no Python.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { APIGatewayClient, CreateApiKeyCommand } from "@aws-sdk/client-api-gateway";
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { buildProgram } from "../../cli/main";
import { UsageError } from "../../cli/usage";
import { startServing, type Serving } from "../../cli/commands/serve";
import { startLocalApi, type LocalApi } from "../../cli/local-api/server";
import { startMoto, type MotoServer } from "../support/moto";
import { makeTestDeps, quietObservability } from "../functions/predict-support";

let moto: MotoServer;
let serving: Serving;
let empty: LocalApi;
let cloudwatch: CloudWatchClient;
let apiKeyId: string;
let bin: string;
const savedEndpoint = process.env.AWS_ENDPOINT_URL;
const ALARMS = ["warecast-dev-api-5xx", "warecast-dev-etl-failed", "warecast-dev-endpoint-errors"];

beforeAll(async () => {
  moto = await startMoto();
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  // `warecast serve` on a workspace with series, and a second API over an empty one (a stack before its first ETL).
  const { workspace } = makeTestDeps();
  serving = await startServing({ workspace, port: 0, endpointPort: 0 });
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-smoke-empty-"));
  empty = await startLocalApi({
    workspace: bare,
    port: 0,
    endpointUrl: serving.endpoint.url,
    obs: quietObservability(),
  });

  cloudwatch = new CloudWatchClient({ region: "eu-west-1" });
  for (const name of ALARMS) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: "Warecast",
        MetricName: "Errors",
        Statistic: "Sum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      }),
    );
  }
  const key = await new APIGatewayClient({ region: "eu-west-1" }).send(
    new CreateApiKeyCommand({ name: "warecast-dev-api-default", enabled: true, value: serving.api.apiKey }),
  );
  apiKeyId = key.id!;

  // The Pulumi CLI as the smoke test calls it: `pulumi stack output --json --stack dev`, nothing else.
  bin = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-smoke-bin-"));
  const outputs = {
    apiUrl: serving.api.url,
    apiKeyId,
    region: "eu-west-1",
    alarmNames: ALARMS,
    vpcId: "vpc-1",
  };
  // A stack that names an alarm CloudWatch does not have (deleted by hand, or another region).
  const staging = { ...outputs, alarmNames: [ALARMS[0], "warecast-staging-gone"] };
  fs.writeFileSync(
    path.join(bin, "pulumi"),
    [
      "#!/bin/sh",
      `if [ "$*" = "stack output --json --stack dev" ]; then echo '${JSON.stringify(outputs)}'; exit 0; fi`,
      `if [ "$*" = "stack output --json --stack staging" ]; then echo '${JSON.stringify(staging)}'; exit 0; fi`,
      'echo "error: no stack named $5" >&2; exit 255',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
}, 240_000);

afterAll(async () => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = savedEndpoint;
  await empty?.close();
  await serving?.stop();
  await moto?.stop();
});

async function smoke(...args: string[]): Promise<{ out: string; exitCode: number }> {
  let out = "";
  const write = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await buildProgram()
      .exitOverride()
      .parseAsync(["node", "warecast", "smoke", ...args]);
    // The local API logs to the same stdout: keep the report's own lines.
    const report = args.includes("--json")
      ? out.slice(out.indexOf('{\n  "url"'), out.indexOf("\n}\n", out.indexOf('{\n  "url"')) + 2)
      : out
          .split("\n")
          .filter((l) =>
            /^(smoke test of | {2}(ok {2}|FAIL|ALARM|MISSING) |alarms: |note: |PASSED|FAILED)/.test(l),
          )
          .join("\n");
    return { out: report, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    write.mockRestore();
    process.exitCode = undefined;
  }
}

const ROUTES = [
  "GET  /v1/health ",
  "GET  /v1/series ",
  "GET  /v1/forecasts/",
  "POST /v1/forecasts ",
  "POST /v1/recommendations ",
  "/history ",
  "GET  /v1/model ",
  "GET  /v1/accuracy",
  "POST /v1/forecast-jobs ",
  "GET  /v1/forecast-jobs/",
];

describe("warecast smoke", () => {
  it("calls every route through the stack's outputs and key, and fails on an alarm in ALARM", async () => {
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: ALARMS[1], StateValue: "ALARM", StateReason: "Glue run failed" }),
    );
    const { out, exitCode } = await smoke("--stack", "dev", "--pulumi", path.join(bin, "pulumi"));
    expect(out).toContain(`smoke test of ${serving.api.url} (stack dev outputs)`);
    for (const route of ROUTES)
      expect(out).toMatch(new RegExp(`\\n  ok {4}.*${route.replace(/[/.]/g, "\\$&")}`));
    // The key is checked too: without it the API refuses.
    expect(out).toMatch(/ok {4}GET {2}\/v1\/health .* 403 .*health without a key/);
    expect(out).not.toMatch(/^ {2}FAIL/m);
    expect(out).toContain(`  ALARM   ${ALARMS[1]}: Glue run failed`);
    expect(out).toContain("FAILED: 11/11 routes as expected, 1 alarm(s) in ALARM or missing");
    expect(exitCode).toBe(1);
  }, 120_000);

  it("passes when every route answers as it should and no alarm is in ALARM (JSON report)", async () => {
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: ALARMS[1], StateValue: "OK", StateReason: "fixed" }),
    );
    const { out, exitCode } = await smoke("--stack", "dev", "--pulumi", path.join(bin, "pulumi"), "--json");
    const report = JSON.parse(out) as {
      ok: boolean;
      routes: { name: string; status: number; ok: boolean; detail: string }[];
      alarms: { name: string; state: string }[];
    };
    expect(report.ok).toBe(true);
    expect(report.routes.map((r) => [r.name, r.status])).toEqual([
      ["health", 200],
      ["health without a key", 403],
      ["series", 200],
      ["forecast (GET)", 200],
      ["forecasts (POST)", 200],
      ["recommendations", 200],
      ["series history", 200],
      ["model", 200],
      ["accuracy", 200],
      ["forecast job (POST)", 202],
      ["forecast job (GET)", 200],
    ]);
    expect(report.routes.find((r) => r.name === "forecasts (POST)")!.detail).toMatch(
      /^7 points, model bootstrap-/,
    );
    expect(report.alarms.map((a) => a.name)).toEqual([...ALARMS].sort());
    expect(exitCode).toBe(0);
  }, 120_000);

  it("checks a stack without data yet: the series routes must answer for a probe series without the model", async () => {
    const { out, exitCode } = await smoke("--url", empty.url, "--api-key", empty.apiKey);
    expect(out).toContain("series: 0 series");
    expect(out).toMatch(/ok {4}POST \/v1\/forecasts +503 .*No data yet/);
    expect(out).toMatch(/ok {4}GET {2}\/v1\/series\/SMOKE-NO-DATA\/SMOKE-NO-DATA\/history 404 /);
    expect(out).toContain("note: no series yet, so the forecast routes answered without reaching the model");
    expect(out).toContain("alarms: not read (with --url, pass --alarm-prefix to read them)");
    expect(out).toContain("PASSED: 10/10 routes as expected, 0 alarm(s)");
    expect(exitCode).toBe(0);
  }, 120_000);

  it("reports a wrong key, an alarm the stack names but CloudWatch lacks, and a stack it cannot read", async () => {
    const { out, exitCode } = await smoke(
      "--url",
      serving.api.url,
      "--api-key",
      "wrong",
      "--alarm-prefix",
      "warecast-dev-",
    );
    expect(out).toMatch(/FAIL {2}GET {2}\/v1\/health +403 \(expected 200\)/);
    expect(out).toContain("alarms: 3 (3 OK)");
    expect(exitCode).toBe(1);
    const gone = await smoke("--stack", "staging", "--pulumi", path.join(bin, "pulumi"));
    expect(gone.out).toContain(
      "  MISSING warecast-staging-gone: the stack exports it, CloudWatch has no such alarm",
    );
    expect(gone.exitCode).toBe(1);
    await expect(smoke("--stack", "prod", "--pulumi", path.join(bin, "pulumi"))).rejects.toThrow(
      /cannot read the outputs of stack prod \(error: no stack named prod\); pass --url and --api-key instead/,
    );
    await expect(smoke("--stack", "dev", "--pulumi", path.join(bin, "no-such-pulumi"))).rejects.toThrow(
      /the pulumi CLI is not on PATH/,
    );
    // Usage errors (the CLI exits 2 on them; tests/cli/help.test.ts runs it).
    for (const [args, message] of [
      [[], "pass --stack <name>, or --url and --api-key"],
      [["--url", empty.url], "--url needs --api-key (the key's value)"],
    ] as const) {
      const err = await smoke(...args).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(message);
    }
  }, 120_000);
});
