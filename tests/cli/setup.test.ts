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
