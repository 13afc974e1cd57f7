#!/usr/bin/env node
/**
 * Builds the `warecast` command once into .build/warecast.js (esbuild: one CommonJS file, npm packages left as
 * requires), so a call does not compile TypeScript again; `./warecast` rebuilds when a file listed in
 * .build/inputs.txt is newer than the build. Modules find files next to their source through __dirname, so each
 * module's __dirname and __filename are set to its source location rather than the bundle's.
 */
const esbuild = require("esbuild");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const outDir = path.join(root, ".build");

const sourceDirs = {
  name: "source-dirs",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, "utf8");
      if (!/\b__(dirname|filename)\b/.test(source)) return { contents: source, loader: "ts" };
      const prelude =
        `const __dirname = ${JSON.stringify(path.dirname(args.path))};` +
        ` const __filename = ${JSON.stringify(args.path)};`;
      // On the first line, so line numbers in stack traces stay those of the source.
      return { contents: prelude + source, loader: "ts" };
    });
  },
};

async function main() {
  const result = await esbuild.build({
    entryPoints: [path.join(root, "cli", "main.ts")],
    outfile: path.join(outDir, "warecast.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
    plugins: [sourceDirs],
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => path.relative(root, path.resolve(root, p)));
  inputs.push("scripts/build-cli.js", "package-lock.json", "tsconfig.json");
  fs.writeFileSync(path.join(outDir, "inputs.txt"), inputs.sort().join("\n") + "\n");
}

main().catch((err) => {
  console.error(`build-cli: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
