/**
 * The GitHub Actions workflow users copy is linted against GitHub's workflow schema (check-jsonschema's vendored
 * schema, pinned in requirements/dev.in), its promises are asserted on the parsed file, and every command its
 * `run:` steps name is checked against that command's own --help. workflow-runner.test.ts runs the policy-check
 * job's steps as a runner would.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import {
  commandsOf,
  loadWorkflow,
  missingFromHelp,
  ROOT,
  WORKFLOW_FILE as WORKFLOW,
  type Job,
} from "../support/workflow";

const CHECK = path.join(ROOT, ".venv", "bin", "check-jsonschema");

function lint(file: string) {
  return spawnSync(CHECK, ["--builtin-schema", "vendor.github-workflows", file], { encoding: "utf8" });
}

const workflow = loadWorkflow();
const pulumiStep = (job: Job) => job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));

test("the workflow passes the GitHub workflow schema, and a broken copy does not", () => {
  expect(execFileSync(CHECK, ["--version"], { encoding: "utf8" })).toContain("0.39.0");
  const ok = lint(WORKFLOW);
  expect(ok.stdout + ok.stderr).toContain("ok -- validation done");
  expect(ok.status).toBe(0);
  const broken = structuredClone(workflow) as unknown as { jobs: Record<string, Record<string, unknown>> };
  broken.jobs.preview["runs-on"] = undefined;
  broken.jobs.preview["timeout-minutes"] = "soon";
  const file = path.join(mkdtempSync(path.join(tmpdir(), "wf-")), "broken.yml");
  writeFileSync(file, stringify(broken));
  const bad = lint(file);
  expect(bad.status).not.toBe(0);
  expect(bad.stdout + bad.stderr).toContain("$.jobs.preview");
});

test("pull requests run the offline check, then preview every stack with the pack and its stack's config", () => {
  expect(Object.keys(workflow.on)).toEqual(["pull_request", "push"]);
  const check = workflow.jobs["policy-check"];
  expect(check.strategy?.matrix.stack).toEqual(["dev", "prod"]);
  expect(
    check.steps.some((s) => s.run?.startsWith('./warecast policy-check --stack "${{ matrix.stack }}"')),
  ).toBe(true);
  const preview = workflow.jobs.preview;
  expect(preview.if).toBe("github.event_name == 'pull_request'");
  expect(preview.strategy?.matrix.stack).toEqual(["dev", "prod"]);
  expect(pulumiStep(preview)?.with).toMatchObject({
    command: "preview",
    policyPacks: "policies",
    policyPackConfigs: "policies/config/${{ matrix.stack }}.json",
  });
});

test("main deploys dev then prod with `up` through an OIDC role, each with its policy config", () => {
  const dev = workflow.jobs["up-dev"];
  const prod = workflow.jobs["up-prod"];
  expect(dev.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
  expect(prod.needs).toBe("up-dev");
  for (const [job, stack] of [
    [dev, "dev"],
    [prod, "prod"],
  ] as const) {
    expect(job.environment).toBe(stack);
    expect(job.permissions?.["id-token"]).toBe("write");
    const creds = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(creds?.with?.["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    expect(pulumiStep(job)?.with).toMatchObject({
      command: "up",
      policyPacks: "policies",
      policyPackConfigs: `policies/config/${stack}.json`,
    });
  }
});

test("every run: step names only commands and flags that exist (each command's --help)", () => {
  const checked: string[] = [];
  const missing: string[] = [];
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const matrix = Object.fromEntries(Object.entries(job.strategy?.matrix ?? {}).map(([k, v]) => [k, v[0]]));
    for (const step of job.steps) {
      for (const argv of step.run ? commandsOf(step.run, matrix) : []) {
        checked.push(argv.join(" "));
        for (const m of missingFromHelp(argv, ROOT, process.env))
          missing.push(`${name}: ${argv.join(" ")}: ${m}`);
      }
    }
  }
  expect(missing).toEqual([]);
  expect(checked).toContain("./warecast policy-check --stack dev --json");
  expect(checked).toContain("npm ci");
  // The check can fail: a misspelt flag, an unknown subcommand and an unknown program are each caught.
  expect(missingFromHelp(["./warecast", "policy-check", "--stak", "dev"], ROOT, process.env)).toEqual([
    "--stak",
  ]);
  expect(missingFromHelp(["./warecast", "policy-chek", "--stack", "dev"], ROOT, process.env)).toEqual([
    "./warecast policy-chek (no such command: its --help does not name it)",
  ]);
  expect(missingFromHelp(["no-such-program-here"], ROOT, process.env)).toHaveLength(1);
}, 120_000);

test("the Pulumi jobs pin the CLI to the SDK's version and install the program's pinned ts-node first", () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  expect(pkg.devDependencies["ts-node"]).toMatch(/^\d+\.\d+\.\d+$/);
  for (const name of ["preview", "up-dev", "up-prod"]) {
    const steps = workflow.jobs[name].steps;
    const pulumi = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(steps[pulumi].with?.["pulumi-version"]).toBe(pkg.dependencies["@pulumi/pulumi"]);
    expect(steps.findIndex((s) => s.run === "npm ci")).toBeLessThan(pulumi);
    expect(steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with?.["node-version"]).toBe("20");
  }
});
