import * as fs from "node:fs";
import * as path from "node:path";
import { Option, type Command } from "commander";
import { checkFreq, collect, positiveInt, runPython } from "./train";

interface BacktestFlags {
  data: string;
  freq: string;
  horizon?: string;
  origins: string;
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
      "Rolling-origin backtest of the model against naive, seasonal naive and ETS on a long CSV (date, warehouse_id, sku, units_sold[, promo, unit_price, on_hand]) or demand_daily Parquet",
    )
    .requiredOption("--data <file>", "long CSV (.csv or .csv.gz) or a demand_daily Parquet directory")
    .option("--freq <D|W>", "daily or weekly (weekly sums ISO weeks, Monday to Sunday)", "D")
    .option("--horizon <n>", "window length (default 28 daily, 13 weekly)")
    .option("--origins <k>", "the last K non-overlapping windows", "4")
    .addOption(
      new Option(
        "--refit <mode>",
        "fit once before the first window, or again at every origin (as scheduled retraining does)",
      )
        .choices(["first", "every"])
        .default("first"),
    )
    .option("--json", "print the full result as JSON")
    .option("--hp <key=value>", "hyperparameter (repeatable; see docs/model.md)", collect, [])
    .option("--params <file>", "JSON hyperparameters, e.g. written by `warecast tune --out`")
    .action(async (flags: BacktestFlags) => {
      checkFreq(flags.freq);
      positiveInt("--horizon", flags.horizon);
      positiveInt("--origins", flags.origins);
      const data = path.resolve(flags.data);
      if (!fs.existsSync(data)) throw new Error(`--data: ${data} does not exist`);
      const args = ["--data", data, "--freq", flags.freq, "--origins", flags.origins, "--refit", flags.refit];
      if (flags.horizon) args.push("--horizon", flags.horizon);
      if (flags.json) args.push("--json");
      if (flags.params) args.push("--params", path.resolve(flags.params));
      for (const hp of flags.hp) args.push("--hp", hp);
      await runPython("model.evaluate", args);
    });
}
