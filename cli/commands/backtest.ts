import * as path from "node:path";
import { Option, type Command } from "commander";
import { Progress } from "../progress";
import { runPython } from "../python";
import { SALES_HISTORY_HELP, salesHistory } from "../sales-history";
import { needs } from "../setup";
import { positiveInteger } from "../usage";
import { modelOptions } from "./train";

interface BacktestFlags {
  data: string;
  freq: string;
  horizon?: number;
  origins: number;
  refit: string;
  json?: boolean;
  hp: string[];
  params?: string;
}

/** `warecast backtest --data FILE`: the model's built-in rolling-origin backtest (model/evaluate.py) on any file. */
export function register(program: Command): void {
  program
    .command("backtest")
    .description(
      "Rolling-origin backtest of the model against naive, seasonal naive and ETS on your sales history (the formats `warecast demo` reads) or demand_daily Parquet",
    )
    .requiredOption("--data <path>", SALES_HISTORY_HELP)
    .addOption(modelOptions.freq())
    .addOption(modelOptions.horizon())
    .option("--origins <k>", "the last K non-overlapping windows", positiveInteger, 4)
    .addOption(
      new Option(
        "--refit <mode>",
        "fit once before the first window, or again at every origin (as scheduled retraining does)",
      )
        .choices(["first", "every"])
        .default("first"),
    )
    .option("--json", "print the full result as JSON")
    .addOption(modelOptions.hp())
    .addOption(modelOptions.params())
    .hook("preAction", needs("python"))
    .action(async (flags: BacktestFlags) => {
      const data = await salesHistory(flags.data);
      const args = ["--data", data.path, "--freq", flags.freq, "--origins", String(flags.origins)];
      args.push("--refit", flags.refit);
      if (flags.horizon) args.push("--horizon", String(flags.horizon));
      if (flags.json) args.push("--json");
      if (flags.params) args.push("--params", path.resolve(flags.params));
      for (const hp of flags.hp) args.push("--hp", hp);
      try {
        await runPython("model.evaluate", args, { progress: Progress.for("backtest", flags) });
      } finally {
        data.cleanup();
      }
    });
}
