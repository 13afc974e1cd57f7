/**
 * The workflow's policy-check job as a stock GitHub runner runs it: a fresh checkout, Node from setup-node, then
 * each `run:` step in GitHub's shell with no Python and no Java on PATH. It must pass and leave the JSON report
 * the job uploads. The steps' times are written to test-artifacts/workflow-policy-check.json (docs/policies.md).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkout, loadWorkflow, runStep, strippedEnv, withMatrix } from "../support/workflow";

const ARTIFACTS = path.resolve(__dirname, "..", "..", "test-artifacts");
const job = loadWorkflow().jobs["policy-check"];

test("the policy-check job passes with no Python or Java on PATH and leaves the report it uploads", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-runner-"));
  const repo = path.join(dir, "repo");
  try {
    const env = strippedEnv(path.join(dir, "bin"));
    expect(runStep("command -v python3 || command -v python || command -v java", dir, env).status).not.toBe(
      0,
    );

    // The `uses:` steps, done as the runner's actions do them: a checkout, Node of the pinned major version, and
    // the upload (checked below: the file must exist and hold the report). Any other action fails this test.
    const uses = job.steps.flatMap((s) => (s.uses ? [s.uses.split("@")[0]] : []));
    expect(uses).toEqual(["actions/checkout", "actions/setup-node", "actions/upload-artifact"]);
    expect(checkout(repo)).toBeGreaterThan(100);
    const node = job.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with?.["node-version"];
    expect(process.versions.node.split(".")[0]).toBe(String(node));

    const timings: { stack: string; step: string; seconds: number }[] = [];
    const stacks = job.strategy?.matrix.stack ?? [];
    expect(stacks).toEqual(["dev", "prod"]);
    for (const [i, stack] of stacks.entries()) {
      for (const step of job.steps) {
        if (step.run) {
          // Each matrix entry is a job of its own; `npm ci` would install the same tree again, so it runs once.
          if (step.run.trim() === "npm ci" && i > 0) continue;
          const script = withMatrix(step.run, { stack });
          const started = Date.now();
          const run = runStep(script, repo, env);
          timings.push({ stack, step: script, seconds: (Date.now() - started) / 1000 });
          if (run.status !== 0)
            throw new Error(`${script} exited ${run.status}:\n${run.stderr.slice(-4000)}`);
        }
        if (step.uses?.startsWith("actions/upload-artifact@")) {
          const file = path.join(repo, withMatrix(String(step.with?.path), { stack }));
          const report = JSON.parse(fs.readFileSync(file, "utf8")) as {
            stack: string;
            passed: boolean;
            summary: { resources: number; rules: number };
          };
          expect(report).toMatchObject({ stack, passed: true });
          expect(report.summary.resources).toBeGreaterThan(100);
          expect(report.summary.rules).toBeGreaterThan(20);
        }
      }
    }
    // Nothing of Python was set up: no venv, no venv stamp.
    expect(fs.existsSync(path.join(repo, ".venv"))).toBe(false);
    expect(fs.existsSync(path.join(repo, ".setup-stamps", "venv"))).toBe(false);
    // A command that does need Python fails at its set-up, naming the missing piece and itself.
    const backtest = runStep(
      "./warecast backtest --data data/sample/pasta/hierarchical_sales_data.csv",
      repo,
      env,
    );
    expect(backtest.status).toBe(1);
    expect(backtest.stderr).toContain("setup: Python 3.11 is missing (warecast backtest needs it)");
    expect(backtest.stderr).toContain("warecast: warecast backtest cannot run without python");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(
      path.join(ARTIFACTS, "workflow-policy-check.json"),
      JSON.stringify({ load_average: os.loadavg(), cpus: os.cpus().length, timings }, null, 2) + "\n",
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 1_200_000);
