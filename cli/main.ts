#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { version } from "../package.json";
import { commands } from "./commands";
import { EXIT, UsageError } from "./usage";

/** The `warecast` command: local pipeline stages, producer, backtest and policy check. */
export function buildProgram(): Command {
  const program = new Command()
    .name("warecast")
    .description(
      "Demand forecasting for warehouses. Runs the pipeline locally (no AWS account) and checks the AWS stacks offline.",
    )
    .version(version, "-V, --version", "print the version")
    // Options of the program itself only before a subcommand: `model pin --version N` is the subcommand's.
    .enablePositionalOptions()
    .showHelpAfterError("(add --help for usage)")
    // Throw instead of exiting, in every subcommand (registered below, so they inherit it): main() picks the code.
    .exitOverride()
    .configureHelp({ sortSubcommands: true })
    .addHelpText(
      "after",
      "\nExit status: 0 done, 1 the work failed (or found violations or rejected records), 2 usage error.",
    );
  for (const register of commands) register(program);
  return program;
}

/** Runs the command line; usage errors exit 2, failures of the work 1 (as the help text says). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (and the hint); help and --version end with exit code 0.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    console.error(`warecast: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
}

if (require.main === module) {
  // Node 20 is pinned (the last @pulumi/pulumi for it is pinned too) and so is the AWS SDK, through the lockfile:
  // its notice that later releases will need Node 22 says nothing a user of this command can act on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  void main(process.argv);
}
