/**
 * Lambda packaging benchmark: per function of both stacks, the deployment zip as the program builds it now (its
 * own packages, the pinned AWS SDK clients inside) against the previous rule (every package.json dependency but
 * the AWS SDK clients, which came from the runtime), both from the same node_modules in the same run: files,
 * unzipped and zipped size. Then the init time of the zip as shipped (loading __index.js and running the callback
 * factory in a fresh Node process, tests/support/lambda/runtime.js), the median of several cold starts.
 *
 * Usage: nice -n 10 node_modules/.bin/tsx bench/lambda/run.ts [--cold-starts 5] [--write bench/lambda/RESULTS.md]
 * Zips are built with Info-ZIP's `zip -6` (Deflate at its default level, like the engine's archive/zip).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { zipExclusions } from "../../components/function-packages";
import { runStack } from "../../tests/harness";
import {
  functionArtifacts,
  packageNames,
  writeArtifact,
  type FunctionArtifact,
} from "../../tests/support/lambda/artifact";
import { invokeContainer } from "../../tests/support/lambda/invoke";

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const coldStarts = Number(opt("cold-starts", "5"));
const writeTo = opt("write", "");
const ROOT = path.resolve(__dirname, "..", "..");

interface Size {
  files: number;
  unzippedMb: number;
  zippedMb: number;
}

function countFiles(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const sub = countFiles(p);
      files += sub.files;
      bytes += sub.bytes;
    } else if (e.isFile()) {
      files += 1;
      bytes += fs.statSync(p).size;
    }
  }
  return { files, bytes };
}

/** Lays out __index.js and `packagePaths` (relative to the repository) in a fresh folder and zips it. */
function measure(artifact: FunctionArtifact, packagePaths: readonly string[]): Size {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-zip-"));
  const sources = Object.fromEntries(packagePaths.map((p) => [p, path.join(ROOT, p)]));
  writeArtifact({ ...artifact, packagePaths, packageSources: sources }, path.join(dir, "tree"));
  const { files, bytes } = countFiles(path.join(dir, "tree"));
  execFileSync("zip", ["-qr6", path.join(dir, "function.zip"), "."], { cwd: path.join(dir, "tree") });
  const zipped = fs.statSync(path.join(dir, "function.zip")).size;
  fs.rmSync(dir, { recursive: true, force: true });
  return { files, unzippedMb: bytes / 1e6, zippedMb: zipped / 1e6 };
}

const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};
const SDK_CLIENTS = Object.keys(PACKAGE.dependencies).filter((d) => d.startsWith("@aws-sdk/"));

async function codePaths(exclude: string[]): Promise<string[]> {
  const paths = await pulumi.runtime.computeCodePaths({ extraExcludePackages: [...exclude, "aws-sdk"] });
  return [...paths.keys()].sort();
}

/** The previous rule: every dependency but the AWS SDK v3 clients. */
const previousPackages = () => codePaths(SDK_CLIENTS);

/** The function's own packages without the SDK clients: what the runtime's SDK would save. */
function withoutSdk(artifact: FunctionArtifact): Promise<string[]> {
  const own = packageNames(artifact).filter((p) => p in PACKAGE.dependencies);
  return codePaths([...zipExclusions(own), ...SDK_CLIENTS]);
}

async function initMs(artifact: FunctionArtifact): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "warecast-init-"));
  const root = writeArtifact(artifact, path.join(dir, "task"));
  const times: number[] = [];
  for (let i = 0; i < coldStarts; i++) {
    const out = await invokeContainer(
      artifact,
      root,
      {
        region: "eu-west-1",
        // No invocation runs: only the init phase, which makes no AWS call.
        awsEndpoint: "http://127.0.0.1:9",
        sagemakerRuntimeEndpoint: "http://127.0.0.1:9",
        xrayDaemon: "127.0.0.1:9",
        functionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${artifact.name}`,
      },
      [],
    );
    if (out.initError) throw new Error(`${artifact.name}: ${JSON.stringify(out.initError)}`);
    times.push(out.initMs);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  process.chdir(ROOT);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  const previous = await previousPackages();
  const rows: string[] = [];
  for (const stack of ["dev", "prod"]) {
    const artifacts = await functionArtifacts(await runStack(stack));
    for (const a of [...artifacts.values()].sort((x, y) => x.name.localeCompare(y.name))) {
      const before = measure(a, previous);
      const after = measure(a, a.packagePaths);
      const noSdk = measure(a, await withoutSdk(a));
      const init = await initMs(a);
      rows.push(
        `| ${a.name} | ${before.files} | ${before.unzippedMb.toFixed(1)} | ${before.zippedMb.toFixed(2)} | ` +
          `${after.files} | ${after.unzippedMb.toFixed(1)} | ${after.zippedMb.toFixed(2)} | ` +
          `${noSdk.zippedMb.toFixed(2)} | ${init.toFixed(0)} |`,
      );
      console.log(rows[rows.length - 1]);
    }
  }
  const report = [
    "# Lambda packaging benchmark (bench/lambda/run.ts)",
    "",
    "Per function of both stacks: the zip under the previous rule (every package.json dependency except the AWS",
    "SDK v3 clients, which came from the runtime) and as the program builds it now (the function's own packages",
    "with the pinned SDK clients inside, no other dependency, no `@types`), from the same node_modules in one run.",
    "\"Without SDK\" is the same function's packages with the SDK clients left to the runtime: the SDK's share.",
    "Sizes in MB (10^6 bytes), zipped with `zip -6`. Init: loading `__index.js` and running the callback factory in",
    `a fresh Node ${process.version} process (tests/support/lambda/runtime.js), median of ${coldStarts} cold starts; the SDK`,
    "clients it loads are the same code in both layouts, so init is measured for the shipped zip only.",
    "",
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load average at start ${load}. Run with`,
    "`nice -n 10 node_modules/.bin/tsx bench/lambda/run.ts --write bench/lambda/RESULTS.md` on a machine shared",
    "with other work: sizes are exact, init times are noisy (re-run on a quiet machine).",
    "",
    "| function | files before | MB before | zipped MB before | files now | MB now | zipped MB now | zipped MB now without SDK | init ms now |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
  if (writeTo) fs.writeFileSync(writeTo, report);
  else console.log(report);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
