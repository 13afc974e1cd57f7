/**
 * Loads the Pulumi program as `pulumi up` does, then runs it under the project's mocks and prints what it
 * registered (one JSON line). The steps:
 *  1. Pulumi.yaml's runtime options become the environment the Node.js language host gives the program
 *     (pulumi-language-nodejs: `typescript` → PULUMI_NODEJS_TYPESCRIPT, `tsconfig` → PULUMI_NODEJS_TSCONFIG_PATH);
 *  2. @pulumi/pulumi/cmd/run/run.js then picks ts-node and TypeScript with its own helpers (the project's copies,
 *     or the ones it vendors) and registers ts-node with the options built below, as run.js builds them for a
 *     CommonJS project.
 * Plain JavaScript, because nothing can load TypeScript before ts-node is registered.
 * Usage: node tests/support/pulumi-runtime.js <stack>   (tests/components/pulumi-runtime.test.ts)
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
process.chdir(root);

const project = require("yaml").parse(fs.readFileSync("Pulumi.yaml", "utf8"));
const options = project.runtime.options ?? {};
// pulumi-language-nodejs: typescript defaults to true.
if (options.typescript !== false) process.env.PULUMI_NODEJS_TYPESCRIPT = "true";
if (options.tsconfig) process.env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;

if (process.env.PULUMI_NODEJS_TYPESCRIPT !== "true") throw new Error("Pulumi.yaml does not run TypeScript");
const tsutils = require("@pulumi/pulumi/tsutils");
const semver = require("semver");
const tsConfigPath = process.env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json";
const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
const transpileOnly = process.env.PULUMI_NODEJS_TRANSPILE_ONLY
  ? process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true"
  : compilerOptions.noCheck;
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
const ts = require(typescriptRequire);
const useNodeNext = semver.parse(ts.version).compare(new semver.SemVer("4.7.0")) >= 0;
const tsnode = require(tsnodeRequire);
tsnode.register({
  compiler: typescriptRequire,
  transpileOnly,
  project: tsConfigPath,
  skipProject: !fs.existsSync(tsConfigPath),
  compilerOptions: {
    target: "ES2020",
    module: useNodeNext ? "nodenext" : "commonjs",
    moduleResolution: useNodeNext ? "nodenext" : "node",
    sourceMap: "true",
    ...compilerOptions,
  },
});

// From here on TypeScript loads: the harness runs index.ts under the mocks, as the component tests do.
const { runStack } = require("../harness");
runStack(process.argv[2] ?? "dev").then(
  (run) => {
    const report = {
      tsNode: { path: require.resolve(tsnodeRequire), version: tsnode.VERSION },
      typescript: { path: require.resolve(typescriptRequire), version: ts.version },
      transpileOnly: transpileOnly === true,
      resources: run.resources.length,
      types: [...new Set(run.resources.map((r) => r.type))].sort(),
      outputs: Object.keys(run.outputs).sort(),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
