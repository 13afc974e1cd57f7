/**
 * The GitHub Actions workflow users copy cannot run here, so it is linted against GitHub's workflow schema
 * (check-jsonschema's vendored schema, pinned in requirements/dev.in) and its promises are asserted on the parsed file.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOW = path.join(ROOT, ".github", "workflows", "pulumi.yml");
const CHECK = path.join(ROOT, ".venv", "bin", "check-jsonschema");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  environment?: string;
  strategy?: { matrix: { stack: string[] } };
  steps: Step[];
}

function lint(file: string) {
  return spawnSync(CHECK, ["--builtin-schema", "vendor.github-workflows", file], { encoding: "utf8" });
}

const workflow = parse(readFileSync(WORKFLOW, "utf8")) as {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
};
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
