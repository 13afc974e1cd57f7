import * as path from "node:path";
import type { Command } from "commander";
import { Progress } from "../progress";
import { runPython } from "../python";
import { SALES_HISTORY_HELP, salesHistory } from "../sales-history";
import { needs } from "../setup";
import { positiveInteger } from "../usage";
import { collect, modelOptions } from "./train";

interface TuneFlags {
  data: string;
  freq: string;
  horizon?: number;
  origins: number;
  tuningOrigins: number;
  trials: number;
  hp: string[];
  out?: string;
  json?: boolean;
}

/** `warecast tune`: hyperparameter search on windows that end before the first evaluation window (model/tune.py). */
export function register(program: Command): void {
  program
    .command("tune")
    .description(
      "Search model hyperparameters by backtest RMSSE on windows before the evaluation windows; write the best for `train --params`",
    )
    .requiredOption("--data <path>", SALES_HISTORY_HELP)
    .addOption(modelOptions.freq())
    .addOption(modelOptions.horizon())
    .option("--origins <k>", "evaluation windows kept out of tuning", positiveInteger, 4)
    .option("--tuning-origins <k>", "windows scored per trial", positiveInteger, 2)
    .option("--trials <n>", "trials (the defaults, then seeded random draws)", positiveInteger, 6)
    .option("--hp <key=value>", "hyperparameter held fixed (repeatable)", collect, [])
    .option("--out <file>", "write the best hyperparameters as JSON")
    .option("--json", "print every trial")
    .hook("preAction", needs("python"))
    .action(async (flags: TuneFlags) => {
      const data = await salesHistory(flags.data);
      const args = ["--data", data.path, "--freq", flags.freq, "--origins", String(flags.origins)];
      args.push("--tuning-origins", String(flags.tuningOrigins), "--trials", String(flags.trials));
      if (flags.horizon) args.push("--horizon", String(flags.horizon));
      if (flags.out) args.push("--out", path.resolve(flags.out));
      if (flags.json) args.push("--json");
      for (const hp of flags.hp) args.push("--hp", hp);
      try {
        await runPython("model.tune", args, { progress: Progress.for("tune", flags) });
      } finally {
        data.cleanup();
      }
    });
}
