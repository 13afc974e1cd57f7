/**
 * scripts/setup.sh sets up one part at a time, and a missing piece is named with the command that needs it.
 * Run with a PATH that has no Java (and no apt-get or sudo to install it with), so nothing is installed here.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, strippedEnv } from "../support/workflow";

const SETUP = path.join(ROOT, "scripts", "setup.sh");
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-setup-"));
  env = strippedEnv(path.join(dir, "bin"));
  for (const name of ["apt-get", "sudo"]) fs.rmSync(path.join(dir, "bin", name), { force: true });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const setup = (...args: string[]) => spawnSync(SETUP, args, { cwd: ROOT, env, encoding: "utf8" });

test("a missing JVM is named, with the command that needs it and the package that provides it", () => {
  const run = setup("--for", "warecast etl", "java");
  expect(run.status).toBe(1);
  expect(run.stderr).toBe(
    "setup: Java (a JVM 17 for Spark, as on Glue 5.0) is missing (warecast etl needs it). " +
      "Install it (Debian/Ubuntu package: openjdk-17-jre-headless) and run the command again.\n",
  );
});

test("the node part alone passes where node_modules is current, and touches nothing else", () => {
  const run = setup("--for", "warecast policy-check", "node");
  expect(run.status).toBe(0);
  expect(run.stderr).toBe("");
});

test("an unknown part is a usage error", () => {
  const run = setup("jvm");
  expect(run.status).toBe(2);
  expect(run.stderr).toContain("setup: unknown argument jvm");
});

describe("the node part reinstalls when the lock file's bytes change, not its mtime", () => {
  // A copy of setup.sh beside a lock file of its own, with an `npm` that records its calls instead of installing.
  let project: string;
  let npmEnv: NodeJS.ProcessEnv;
  const calls = () => {
    const log = path.join(project, "npm-calls.log");
    return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  };
  const node = () =>
    spawnSync(path.join(project, "scripts", "setup.sh"), ["node"], { env: npmEnv, encoding: "utf8" });
  beforeAll(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-setup-npm-"));
    fs.mkdirSync(path.join(project, "scripts"));
    fs.copyFileSync(SETUP, path.join(project, "scripts", "setup.sh"));
    fs.writeFileSync(path.join(project, "package-lock.json"), '{"packages": {"node_modules/a": {}}}\n');
    const bin = path.join(project, "bin");
    npmEnv = strippedEnv(bin);
    fs.rmSync(path.join(bin, "npm"), { force: true });
    fs.writeFileSync(
      path.join(bin, "npm"),
      '#!/bin/sh\necho "$*" >>npm-calls.log\nrm -rf node_modules && mkdir node_modules && echo {} >node_modules/.package-lock.json\n',
      { mode: 0o755 },
    );
  });
  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  test("installs when node_modules is missing, then not again", () => {
    expect(node().status).toBe(0);
    expect(calls()).toEqual(["ci --no-audit --no-fund --loglevel=error"]);
    const again = node();
    expect(again.status).toBe(0);
    expect(again.stderr).toBe("");
    expect(calls()).toHaveLength(1);
  });

  test("a newer lock file with the same bytes (a checkout, a worktree) installs nothing", () => {
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(project, "package-lock.json"), later, later);
    expect(node().status).toBe(0);
    expect(calls()).toHaveLength(1);
  });

  test("a lock file with other bytes installs again", () => {
    fs.appendFileSync(path.join(project, "package-lock.json"), "\n");
    const run = node();
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("setup: npm packages (npm ci, 1 packages from package-lock.json) done in");
    expect(calls()).toHaveLength(2);
  });
});
