#!/usr/bin/env node
import { Command } from "commander";
import { commands } from "./commands";

/** The `warecast` command: local pipeline stages, producer, backtest and policy check. */
export function buildProgram(): Command {
  const program = new Command()
    .name("warecast")
    .description(
      "Demand forecasting for warehouses. Runs the pipeline locally (no AWS account) and checks the AWS stacks offline.",
    )
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  for (const register of commands) register(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(`warecast: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    });
}
