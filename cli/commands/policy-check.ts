import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { Progress } from "../progress";
import { UsageError } from "../usage";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The stacks this repository defines: one Pulumi.<stack>.yaml each. */
const stacks = () => readdirSync(REPO_ROOT).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);

interface PolicyCheckFlags {
  stack: string;
  json?: boolean;
  config?: string;
  typeCheck?: boolean;
}

/** `warecast policy-check --stack dev|prod [--json]`: the policy pack against the stack's mocked resources. */
export function register(program: Command): void {
  program
    .command("policy-check")
    .description(
      "Run the CrossGuard policy pack (policies/) against a stack's mocked resource graph, offline, through the pack's own analyzer; exits 1 on any mandatory violation",
    )
    .requiredOption(
      "--stack <name>",
      "stack whose Pulumi.<stack>.yaml and policies/config/<stack>.json to use (dev, prod)",
    )
    .option("--config <file>", "policy pack config file (default policies/config/<stack>.json)")
    .option("--json", "print the report as JSON, with the rules run and the resources checked")
    .option(
      "--type-check",
      "type-check the pack while loading it, as `pulumi preview` does (slower; tsc covers it)",
    )
    .action(async (flags: PolicyCheckFlags) => {
      const stackFile = path.join(REPO_ROOT, `Pulumi.${flags.stack}.yaml`);
      if (!existsSync(stackFile)) {
        throw new UsageError(
          `unknown stack "${flags.stack}": ${stackFile} does not exist (stacks: ${stacks().join(", ")})`,
        );
      }
      const configFile = flags.config ?? path.join(REPO_ROOT, "policies", "config", `${flags.stack}.json`);
      if (!existsSync(configFile)) {
        throw new UsageError(
          `no policy pack config for stack "${flags.stack}": ${configFile} does not exist`,
        );
      }
      // The CLI's launcher type-checks TypeScript packs with ts-node; tsc --noEmit already checks policies/.
      if (!flags.typeCheck) process.env.TS_NODE_TRANSPILE_ONLY = "true";
      // Loaded here, not at the top: @pulumi/pulumi takes seconds to load, and --help should not wait for it.
      const { checkStack } = await import("../policy-check");
      const { formatText } = await import("../policy-check/report");
      const progress = Progress.for("policy-check", flags);
      let report;
      try {
        report = await checkStack(flags.stack, configFile, (step) => progress.update(step));
      } finally {
        progress.stop();
      }
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatText(report));
      if (!report.passed) process.exitCode = 1;
    });
}
