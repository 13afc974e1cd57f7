import { existsSync } from "node:fs";
import type { Command } from "commander";
import * as path from "node:path";
import { checkStack, packConfigFile, REPO_ROOT } from "../policy-check";
import { formatText } from "../policy-check/report";

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
        throw new Error(`unknown stack "${flags.stack}": ${stackFile} does not exist (stacks: dev, prod)`);
      }
      const configFile = flags.config ?? packConfigFile(flags.stack);
      if (!existsSync(configFile)) {
        throw new Error(`no policy pack config for stack "${flags.stack}": ${configFile} does not exist`);
      }
      // The CLI's launcher type-checks TypeScript packs with ts-node; tsc --noEmit already checks policies/.
      if (!flags.typeCheck) process.env.TS_NODE_TRANSPILE_ONLY = "true";
      const report = await checkStack(flags.stack, configFile);
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatText(report));
      if (!report.passed) process.exitCode = 1;
    });
}
