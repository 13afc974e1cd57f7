import * as fs from "node:fs";
import * as path from "node:path";
import { Option, type Command } from "commander";
import { printResult } from "../output";
import { Progress } from "../progress";
import { runPython } from "../python";
import { SALES_HISTORY_HELP, salesHistory } from "../sales-history";
import { needs } from "../setup";
import { positiveInteger, UsageError } from "../usage";
import {
  hyperParameterStrings,
  parseTunedParams,
  type TunedParams,
} from "../../functions/model/tuned-params";

/** `--hp key=value` is repeatable. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The options train, backtest and tune share, with their parsers (a bad value is a usage error, exit 2). */
export const modelOptions = {
  freq: () =>
    new Option("--freq <D|W>", "daily or weekly (weekly sums ISO weeks, Monday to Sunday)")
      .choices(["D", "W"])
      .default("D"),
  horizon: () =>
    new Option("--horizon <n>", "window length (default 28 daily, 13 weekly)").argParser(positiveInteger),
  hp: () =>
    new Option("--hp <key=value>", "hyperparameter (repeatable; see docs/model.md)")
      .argParser(collect)
      .default([]),
  params: () =>
    new Option(
      "--params <file>",
      "tuned hyperparameters: the JSON `warecast tune --out` writes (the stack's tuning/best.json has the same shape)",
    ),
};

interface TrainFlags {
  workspace: string;
  data?: string;
  freq: string;
  horizon?: number;
  origins: number;
  hp: string[];
  params?: string;
  backtest: boolean;
  champion: boolean;
  json?: boolean;
}

/** UTC timestamp version label, as the SageMaker job would get: 2026-11-28T05-00-00Z-gbm. */
function newVersion(): string {
  return `${new Date().toISOString().slice(0, 19).replace(/:/g, "-")}Z-gbm`;
}

function hyperparameters(flags: TrainFlags, version: string): Record<string, string> {
  const hps: Record<string, string> = {
    freq: flags.freq,
    origins: String(flags.origins),
    version,
    backtest: String(flags.backtest),
  };
  if (flags.horizon) hps.horizon = String(flags.horizon);
  if (flags.params) Object.assign(hps, hyperParameterStrings(readParams(flags.params)));
  for (const pair of flags.hp) {
    const [key, ...rest] = pair.split("=");
    if (!key || rest.length === 0) throw new UsageError(`--hp expects key=value, got "${pair}"`);
    hps[key] = rest.join("=");
  }
  return hps;
}

/** The tuned-hyperparameters document at `file` (as `warecast tune --out` and the stack's tuning write it). */
function readParams(file: string): TunedParams {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--params ${file}: ${(err as Error).message}`);
  }
  try {
    return parseTunedParams(text, file);
  } catch (err) {
    throw new UsageError(`--params ${(err as Error).message}`);
  }
}

/**
 * `warecast train`: model/train.py with SageMaker's SM_* variables pointed into the workspace
 * (.warecast/artifacts/runs/<version>/…; layout in docs/architecture.md). The last trained model is the
 * champion: it is scored on the same backtest windows, as in the AWS retrain.
 */
export function register(program: Command): void {
  program
    .command("train")
    .description(
      "Train the forecasting model locally (same script as SageMaker): backtest against baselines and the current model, then fit on all data and write the artifact",
    )
    .option("--workspace <dir>", "local workspace", ".warecast")
    .option("--data <path>", `${SALES_HISTORY_HELP} (default: <workspace>/processed/demand_daily)`)
    .addOption(modelOptions.freq())
    .addOption(modelOptions.horizon())
    .option("--origins <k>", "backtest windows", positiveInteger, 2)
    .addOption(modelOptions.hp())
    .addOption(modelOptions.params())
    .option("--no-backtest", "skip the backtest (metrics.json then has no scores for the promote gate)")
    .option("--no-champion", "do not score the last trained model")
    .option("--json", "print the artifact, its version and its metrics.json as JSON")
    .hook("preAction", needs("python"))
    .action(async (flags: TrainFlags) => {
      const workspace = path.resolve(flags.workspace);
      const defaultData = path.join(workspace, "processed", "demand_daily");
      if (!flags.data && !fs.existsSync(defaultData)) {
        throw new UsageError(
          `no training data at ${defaultData}: run \`warecast etl\` first (it writes processed/demand_daily), or pass --data`,
        );
      }
      const data = await salesHistory(flags.data ?? defaultData);
      const artifacts = path.join(workspace, "artifacts");
      const version = newVersion();
      const run = path.join(artifacts, "runs", version);
      const latestFile = path.join(artifacts, "latest");
      const champion =
        flags.champion && fs.existsSync(latestFile)
          ? path.join(artifacts, "runs", fs.readFileSync(latestFile, "utf8").trim(), "model.tar.gz")
          : undefined;
      const hps = hyperparameters(flags, version);
      fs.mkdirSync(path.join(run, "checkpoints"), { recursive: true });
      const artifact = path.join(run, "model.tar.gz");
      try {
        await runPython(
          "model.train",
          ["--pack", artifact, "--checkpoint-dir", path.join(run, "checkpoints")],
          {
            env: {
              SM_CHANNEL_TRAIN: data.path,
              SM_CHANNEL_CHAMPION: champion && fs.existsSync(champion) ? champion : "",
              SM_MODEL_DIR: path.join(run, "model"),
              SM_OUTPUT_DATA_DIR: path.join(run, "output"),
              SM_OUTPUT_DIR: path.join(run, "output"),
              SM_HPS: JSON.stringify(hps),
            },
            progress: Progress.for("train", flags),
            stdout: flags.json ? "stderr" : "stdout",
          },
        );
      } finally {
        data.cleanup();
      }
      fs.writeFileSync(latestFile, `${version}\n`);
      if (flags.json) {
        const metricsFile = path.join(run, "model", "metrics.json");
        const metrics = JSON.parse(fs.readFileSync(metricsFile, "utf8")) as unknown;
        printResult(
          JSON.stringify(
            { version, artifact, latest: latestFile, metrics_file: metricsFile, metrics },
            null,
            2,
          ),
        );
      } else {
        printResult(`artifact ${artifact} (now ${latestFile})`);
      }
    });
}
