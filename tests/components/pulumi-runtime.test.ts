/**
 * `pulumi up` runs index.ts through ts-node, chosen and configured by @pulumi/pulumi from Pulumi.yaml's runtime
 * options. This loads the program exactly that way (tests/support/pulumi-runtime.js) in a fresh Node process, under
 * the mocks: the pinned ts-node must accept the options, compile every module and register the whole stack.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import packageJson from "../../package.json";
import { REPO_ROOT, readProjectConfig } from "../harness";

/** The options pulumi-language-nodejs reads (anything else is silently ignored, so a typo would go unnoticed). */
const LANGUAGE_HOST_OPTIONS = ["typescript", "tsconfig", "nodeargs", "packagemanager"];

const project = parse(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as {
  runtime: { name: string; options: Record<string, unknown> };
};

it("declares only runtime options the Node.js language host reads, with a tsconfig that exists", () => {
  expect(project.runtime.name).toBe("nodejs");
  expect(Object.keys(project.runtime.options).filter((k) => !LANGUAGE_HOST_OPTIONS.includes(k))).toEqual([]);
  expect(project.runtime.options).toMatchObject({ typescript: true, tsconfig: "tsconfig.pulumi.json" });
  expect(existsSync(path.join(REPO_ROOT, String(project.runtime.options.tsconfig)))).toBe(true);
  // The config schema lives in the same file; it must still parse alongside.
  expect(Object.keys(readProjectConfig()).length).toBeGreaterThan(40);
});

it("pins ts-node, and pulumi up loads the whole stack through it (the project's copy, not Pulumi's vendored one)", () => {
  const result = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, "tests", "support", "pulumi-runtime.js"), "prod"],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 240_000,
    },
  );
  expect({ status: result.status, stderr: result.status === 0 ? "" : result.stderr }).toEqual({
    status: 0,
    stderr: "",
  });
  const report = JSON.parse(result.stdout.trim().split("\n").pop()!) as {
    tsNode: { path: string; version: string };
    typescript: { path: string; version: string };
    transpileOnly: boolean;
    resources: number;
    types: string[];
    outputs: string[];
  };
  expect(packageJson.devDependencies["ts-node"]).toMatch(/^\d+\.\d+\.\d+$/);
  expect(report.tsNode).toEqual({
    path: path.join(REPO_ROOT, "node_modules", "ts-node", "dist", "index.js"),
    version: packageJson.devDependencies["ts-node"],
  });
  expect(report.typescript.version).toBe(packageJson.devDependencies.typescript);
  // tsconfig.pulumi.json's noCheck: CI type-checks; `pulumi up` only transpiles.
  expect(report.transpileOnly).toBe(true);
  expect(report.resources).toBeGreaterThan(150);
  expect(report.types).toEqual(
    expect.arrayContaining([
      "awsx:ec2:Vpc",
      "aws:lambda/function:Function",
      "aws:sagemaker/endpoint:Endpoint",
      "aws:glue/job:Job",
      "aws:apigateway/stage:Stage",
    ]),
  );
  expect(report.outputs).toEqual(expect.arrayContaining(["apiUrl", "forecastEndpointName", "etlJobName"]));
}, 300_000);
