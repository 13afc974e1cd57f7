/** `warecast policy-check` end to end: the real command, its JSON report and its exit status. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

function warecast(...args: string[]) {
  return spawnSync(path.join(ROOT, "warecast"), args, { cwd: ROOT, encoding: "utf8", timeout: 170_000 });
}

test("a mandatory violation exits 1; --json lists findings, the rules run and the resources checked", () => {
  const strict = path.join(mkdtempSync(path.join(tmpdir(), "pack-config-")), "strict.json");
  writeFileSync(strict, JSON.stringify({ all: "mandatory", "log-retention-bounds": { minDays: 100 } }));
  const run = warecast("policy-check", "--stack", "dev", "--config", strict, "--json");
  expect(run.status).toBe(1);
  const report = JSON.parse(run.stdout) as {
    passed: boolean;
    findings: {
      policy: string;
      enforcement: string;
      message: string;
      resource: { type: string; name: string };
    }[];
    rules: { name: string; level: string }[];
    resources: { type: string; name: string; parent?: string }[];
  };
  expect(report.passed).toBe(false);
  const retention = report.findings.filter((f) => f.policy === "log-retention-bounds");
  expect(retention.length).toBeGreaterThan(0);
  for (const f of retention) {
    expect(f).toMatchObject({
      enforcement: "mandatory",
      resource: { type: "aws:cloudwatch/logGroup:LogGroup" },
    });
    expect(f.message).toBe("retentionInDays is 7; allowed: 100–3653 days");
  }
  expect(report.rules.length).toBeGreaterThanOrEqual(20);
  expect(report.rules.every((r) => r.level === "mandatory")).toBe(true);
  const key = report.resources.find((r) => r.type === "aws:kms/key:Key");
  expect(key?.parent).toBeDefined();
}, 180_000);

test("an unknown stack is a usage error (exit 2) that names it", () => {
  const run = warecast("policy-check", "--stack", "qa");
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('unknown stack "qa"');
});
