import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { checkFreq, collect, positiveInt, runPython } from "./train";

interface TuneFlags {
  data: string;
  freq: string;
  horizon?: string;
  origins: string;
  tuningOrigins: string;
  trials: string;
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
    .requiredOption("--data <file>", "long CSV or demand_daily Parquet directory")
    .option("--freq <D|W>", "daily or weekly", "D")
    .option("--horizon <n>", "window length (default 28 daily, 13 weekly)")
    .option("--origins <k>", "evaluation windows kept out of tuning", "4")
    .option("--tuning-origins <k>", "windows scored per trial", "2")
    .option("--trials <n>", "trials (the defaults, then seeded random draws)", "6")
    .option("--hp <key=value>", "hyperparameter held fixed (repeatable)", collect, [])
    .option("--out <file>", "write the best hyperparameters as JSON")
    .option("--json", "print every trial")
    .action(async (flags: TuneFlags) => {
      checkFreq(flags.freq);
      for (const [flag, value] of [
        ["--horizon", flags.horizon],
        ["--origins", flags.origins],
        ["--tuning-origins", flags.tuningOrigins],
        ["--trials", flags.trials],
      ] as const) {
        positiveInt(flag, value);
      }
      const data = path.resolve(flags.data);
      if (!fs.existsSync(data)) throw new Error(`--data: ${data} does not exist`);
      const args = ["--data", data, "--freq", flags.freq, "--origins", flags.origins];
      args.push("--tuning-origins", flags.tuningOrigins, "--trials", flags.trials);
      if (flags.horizon) args.push("--horizon", flags.horizon);
      if (flags.out) args.push("--out", path.resolve(flags.out));
      if (flags.json) args.push("--json");
      for (const hp of flags.hp) args.push("--hp", hp);
      await runPython("model.tune", args);
    });
}
