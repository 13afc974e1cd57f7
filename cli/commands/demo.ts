import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Command } from "commander";
import { backtestTable, timingTable, type StageTiming } from "../demo/report";
import { BUNDLED_DATA, cleanWorkspace, importStageArgs, latestMetrics, runCommand } from "../demo/stages";
import { port, servingText, startServing, stopOnSignal } from "./serve";

interface DemoFlags {
  workspace: string;
  data?: string;
  serve: boolean;
  port: string;
  endpointPort: string;
  origins: string;
}

const out = (s: string) => process.stdout.write(s + "\n");

/** Runs one stage with a banner and its wall time. */
async function stage<T>(
  timings: StageTiming[],
  n: string,
  name: string,
  what: string,
  run: () => Promise<T>,
): Promise<T> {
  out(`\n── ${n} ${name}: ${what}`);
  const started = process.hrtime.bigint();
  const result = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  timings.push({ stage: name, seconds });
  out(`── ${name} done in ${seconds.toFixed(1)} s`);
  return result;
}

/** The timings and the machine they ran on, kept in the workspace for bench/demo. */
function writeTimings(workspace: string, data: string, timings: StageTiming[]): string {
  const file = path.join(workspace, "demo-timings.json");
  const record = {
    finished_at: new Date().toISOString(),
    data: path.relative(process.cwd(), data) || data,
    stages: timings,
    total_seconds: timings.reduce((s, t) => s + t.seconds, 0),
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, load_average: os.loadavg() },
  };
  fs.writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
  return file;
}

/**
 * `warecast demo`: the whole local pipeline on the bundled data (or --data FILE), each stage through the same
 * command code as `warecast import|ingest`, `etl`, `train` and `serve`, in a workspace it starts clean.
 */
export function register(program: Command): void {
  program
    .command("demo")
    .description(
      "Run the whole pipeline locally: import the bundled data (or --data FILE) → Spark ETL → training with backtest → API and dashboard on 127.0.0.1",
    )
    .option(
      "--workspace <dir>",
      "workspace directory (its raw/, processed/, artifacts/ and jobs/ are rebuilt)",
      ".warecast",
    )
    .option(
      "--data <file>",
      "your own data instead of the bundled sample: NDJSON events, a long sales CSV (date,warehouse_id,sku,units_sold[,promo,unit_price,on_hand]) or a wide daily CSV; told by content",
    )
    .option("--no-serve", "stop after training (scripts and CI)")
    .option("--port <n>", "API and dashboard port", "8080")
    .option("--endpoint-port <n>", "local endpoint port", "8081")
    .option("--origins <k>", "backtest windows (as `warecast train --origins`)", "2")
    .action(async (flags: DemoFlags) => {
      const workspace = path.resolve(flags.workspace);
      const data = path.resolve(flags.data ?? BUNDLED_DATA);
      const ports = flags.serve
        ? { port: port(flags.port, "--port"), endpointPort: port(flags.endpointPort, "--endpoint-port") }
        : undefined;
      // Fails here, before anything is deleted, when the file is unreadable or of no accepted form.
      const first = await importStageArgs(data, workspace);
      const removed = cleanWorkspace(workspace);
      out(
        `warecast demo: ${path.relative(process.cwd(), data) || data} (${first.format}) → workspace ${workspace}`,
      );
      if (removed.length > 0)
        out(`  starting clean: removed the previous run's ${removed.join("/, ")}/ (api-key kept)`);

      const timings: StageTiming[] = [];
      await stage(
        timings,
        "1/4",
        "import",
        `${first.args[0]} → ${path.join(workspace, "raw")} (producer, local store)`,
        () => runCommand(first.args),
      );
      if (process.exitCode) {
        out("  some records were not imported (listed above); the pipeline continues with the valid ones");
      }
      await stage(timings, "2/4", "etl", "spark-submit etl/job.py (the Glue script) → processed/", () =>
        runCommand([
          "etl",
          "--raw",
          path.join(workspace, "raw"),
          "--processed",
          path.join(workspace, "processed"),
        ]),
      );
      await stage(
        timings,
        "3/4",
        "train",
        "model/train.py (SageMaker script mode) with its backtest → artifacts/",
        () => runCommand(["train", "--workspace", workspace, "--origins", flags.origins]),
      );
      const { metrics, file } = latestMetrics(workspace);
      out("\n" + backtestTable(metrics));
      out(`  (${file})`);

      if (!ports) {
        out("\nstage times:\n" + timingTable(timings));
        out(`  (${writeTimings(workspace, data, timings)})`);
        out(`\n--no-serve: done. Serve it later with: warecast serve --workspace ${flags.workspace}`);
        return;
      }
      const serving = await stage(
        timings,
        "4/4",
        "serve",
        "local endpoint + API + dashboard on 127.0.0.1",
        () => startServing({ workspace, ...ports }),
      );
      out("\nstage times:\n" + timingTable(timings));
      out(`  (${writeTimings(workspace, data, timings)})\n`);
      out(await servingText(serving, workspace));
      out(`Open the dashboard: ${serving.dashboardUrl}   Ctrl-C stops the servers.`);
      stopOnSignal(serving);
    });
}
