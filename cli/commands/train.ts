import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";

/** Repository root and the venv's Python, which runs model/ as processes (the CLI never imports Python). */
export const repoRoot = path.resolve(__dirname, "..", "..");
export const python = path.join(repoRoot, ".venv", "bin", "python");

/** Runs `python -m <module> <args>` from the repo root with extra env; rejects on a non-zero exit. */
export function runPython(module: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-m", module, ...args], {
      cwd: repoRoot,
      env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? "1", ...env },
      stdio: "inherit",
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`python -m ${module} exited with code ${code}`)),
    );
  });
}

/** `--hp key=value` is repeatable. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function checkFreq(freq: string): void {
  if (freq !== "D" && freq !== "W") throw new Error(`--freq must be D or W, got "${freq}"`);
}

export function positiveInt(flag: string, value: string | undefined): void {
  if (value !== undefined && !/^[1-9][0-9]*$/.test(value)) {
    throw new Error(`${flag} must be a positive integer, got "${value}"`);
  }
}

interface TrainFlags {
  workspace: string;
  data?: string;
  freq: string;
  horizon?: string;
  origins: string;
  hp: string[];
  params?: string;
  backtest: boolean;
  champion: boolean;
}

/** UTC timestamp version label, as the SageMaker job would get: 2026-11-28T05-00-00Z-gbm. */
function newVersion(): string {
  return `${new Date().toISOString().slice(0, 19).replace(/:/g, "-")}Z-gbm`;
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
    .option(
      "--data <path>",
      "demand_daily Parquet dir or long CSV (default: <workspace>/processed/demand_daily)",
    )
    .option("--freq <D|W>", "daily or weekly model", "D")
    .option("--horizon <n>", "forecast horizon (default 28 daily, 13 weekly)")
    .option("--origins <k>", "backtest windows", "2")
    .option("--hp <key=value>", "hyperparameter (repeatable; see docs/model.md)", collect, [])
    .option("--params <file>", "JSON hyperparameters, e.g. written by `warecast tune --out`")
    .option("--no-backtest", "skip the backtest (metrics.json then has no scores for the promote gate)")
    .option("--no-champion", "do not score the last trained model")
    .action(async (flags: TrainFlags) => {
      checkFreq(flags.freq);
      positiveInt("--horizon", flags.horizon);
      positiveInt("--origins", flags.origins);
      const workspace = path.resolve(flags.workspace);
      const data = path.resolve(flags.data ?? path.join(workspace, "processed", "demand_daily"));
      if (!fs.existsSync(data)) {
        throw new Error(
          `no training data at ${data}: run \`warecast etl\` first (it writes processed/demand_daily), or pass --data`,
        );
      }
      const artifacts = path.join(workspace, "artifacts");
      const version = newVersion();
      const run = path.join(artifacts, "runs", version);
      const latestFile = path.join(artifacts, "latest");
      const champion =
        flags.champion && fs.existsSync(latestFile)
          ? path.join(artifacts, "runs", fs.readFileSync(latestFile, "utf8").trim(), "model.tar.gz")
          : undefined;
      fs.mkdirSync(path.join(run, "checkpoints"), { recursive: true });
      const hps: Record<string, string> = {
        freq: flags.freq,
        origins: flags.origins,
        version,
        backtest: String(flags.backtest),
      };
      if (flags.horizon) hps.horizon = flags.horizon;
      if (flags.params) Object.assign(hps, JSON.parse(fs.readFileSync(flags.params, "utf8")));
      for (const pair of flags.hp) {
        const [key, ...rest] = pair.split("=");
        if (!key || rest.length === 0) throw new Error(`--hp expects key=value, got "${pair}"`);
        hps[key] = rest.join("=");
      }
      await runPython(
        "model.train",
        ["--pack", path.join(run, "model.tar.gz"), "--checkpoint-dir", path.join(run, "checkpoints")],
        {
          SM_CHANNEL_TRAIN: data,
          SM_CHANNEL_CHAMPION: champion && fs.existsSync(champion) ? champion : "",
          SM_MODEL_DIR: path.join(run, "model"),
          SM_OUTPUT_DATA_DIR: path.join(run, "output"),
          SM_OUTPUT_DIR: path.join(run, "output"),
          SM_HPS: JSON.stringify(hps),
        },
      );
      fs.writeFileSync(latestFile, `${version}\n`);
      console.log(`artifact ${path.join(run, "model.tar.gz")} (now ${latestFile})`);
    });
}
