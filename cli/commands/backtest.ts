import * as path from "node:path";
import { Option, type Command } from "commander";
import { Progress } from "../progress";
import { runPython } from "../python";
import { SALES_HISTORY_HELP, salesHistory } from "../sales-history";
import { needs } from "../setup";
import { nonNegativeInteger, positiveInteger, probability, UsageError } from "../usage";
import { modelOptions } from "./train";
import { DEFAULT_PREDICT_CONFIG } from "../../functions/predict/config";

/** The inventory backtest's defaults are the API's, so it replays the advice a default request gets. */
const API = DEFAULT_PREDICT_CONFIG.replenishmentDefaults;

interface BacktestFlags {
  data: string;
  freq: string;
  horizon?: number;
  origins: number;
  refit: string;
  json?: boolean;
  hp: string[];
  params?: string;
  inventory?: boolean;
  leadTime: number;
  reviewPeriod: number;
  serviceLevel: number;
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
    .option(
      "--inventory",
      "also replay the windows under the reorder advice and two simple policies: fill rate, cycle service level, stock (daily data; docs/replenishment.md)",
    )
    .option(
      "--lead-time <days>",
      "inventory backtest: lead time in days",
      nonNegativeInteger,
      API.lead_time_days,
    )
    .option(
      "--review-period <days>",
      "inventory backtest: days between reviews",
      nonNegativeInteger,
      API.review_period_days,
    )
    .option(
      "--service-level <p>",
      "inventory backtest: target cycle service level, in (0, 1)",
      probability,
      API.service_level,
    )
    .addOption(modelOptions.hp())
    .addOption(modelOptions.params())
    .hook("preAction", needs("python"))
    .action(async (flags: BacktestFlags) => {
      // Refused before any fitting: the replay's lead times and reviews are in days.
      if (flags.inventory && flags.freq !== "D")
        throw new UsageError(
          `--inventory needs daily data (--freq D): lead time and review period are in days, got --freq ${flags.freq}`,
        );
      const data = await salesHistory(flags.data);
      const args = ["--data", data.path, "--freq", flags.freq, "--origins", String(flags.origins)];
      args.push("--refit", flags.refit);
      if (flags.horizon) args.push("--horizon", String(flags.horizon));
      if (flags.json) args.push("--json");
      if (flags.inventory) {
        args.push("--inventory", "--lead-time", String(flags.leadTime));
        args.push("--review-period", String(flags.reviewPeriod));
        args.push("--service-level", String(flags.serviceLevel));
      }
      if (flags.params) args.push("--params", path.resolve(flags.params));
      for (const hp of flags.hp) args.push("--hp", hp);
      try {
        await runPython("model.evaluate", args, { progress: Progress.for("backtest", flags) });
      } finally {
        data.cleanup();
      }
    });
}
