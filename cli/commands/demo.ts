import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Command } from "commander";
import type { StageTiming } from "../demo/report";
import { BUNDLED_DATA } from "../demo/stages";
import { output, resultsTo } from "../output";
import { needs } from "../setup";
import { portNumber, positiveInteger } from "../usage";
import { serveLogFile, servingText, startServing, stopOnSignal } from "./serve";

interface DemoFlags {
  workspace: string;
  data?: string;
  serve: boolean;
  port: number;
  endpointPort: number;
  origins: number;
  json?: boolean;
}

/**
 * The demo's narration, and the stages' results: where results go (cli/output.ts) — stdout, or stderr with --json,
 * where stdout carries only the demo's summary.
 */
const out = (s: string) => void output.stream.write(s + "\n");

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
    .option("--port <n>", "API and dashboard port (0: any free port)", portNumber, 8080)
    .option("--endpoint-port <n>", "local endpoint port (0: any free port)", portNumber, 8081)
    .option("--origins <k>", "backtest windows (as `warecast train --origins`)", positiveInteger, 2)
    .option(
      "--json",
      "print a JSON summary (stage times, the ETL manifest, the model and its backtest, the URLs) on stdout; the narration goes to stderr",
    )
    .hook("preAction", needs("python", "java"))
    .action(async (flags: DemoFlags) => {
      if (!flags.json) return void (await runDemo(flags));
      const summary = await resultsTo(process.stderr, () => runDemo(flags));
      process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    });
}

/** The demo's stages, narrated; returns what `--json` prints, and keeps serving unless --no-serve. */
async function runDemo(flags: DemoFlags): Promise<Record<string, unknown>> {
  const [
    { backtestTable, timingTable },
    { cleanWorkspace, importStageArgs, latestManifest, latestMetrics, runCommand },
  ] = await Promise.all([import("../demo/report"), import("../demo/stages")]);
  const workspace = path.resolve(flags.workspace);
  const data = path.resolve(flags.data ?? BUNDLED_DATA);
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
  const processed = path.join(workspace, "processed");
  await stage(timings, "2/4", "etl", "spark-submit etl/job.py (the Glue script) → processed/", () =>
    runCommand(["etl", "--raw", path.join(workspace, "raw"), "--processed", processed]),
  );
  await stage(
    timings,
    "3/4",
    "train",
    "model/train.py (SageMaker script mode) with its backtest → artifacts/",
    () => runCommand(["train", "--workspace", workspace, "--origins", String(flags.origins)]),
  );
  const { version, metrics, file } = latestMetrics(workspace);
  out("\n" + backtestTable(metrics));
  out(`  (${file})`);
  const summary = {
    data,
    format: first.format,
    workspace,
    etl: latestManifest(processed),
    model: { version, metrics_file: file, metrics },
    stages: timings,
  };

  if (!flags.serve) {
    out("\nstage times:\n" + timingTable(timings));
    const timingsFile = writeTimings(workspace, data, timings);
    out(`  (${timingsFile})`);
    out(`\n--no-serve: done. Serve it later with: warecast serve --workspace ${flags.workspace}`);
    return { ...summary, timings_file: timingsFile };
  }
  // Request lines go where the narration goes, also after this function returns.
  const narration = output.stream;
  const logs = { format: "text" as const, write: (line: string) => void narration.write(line + "\n") };
  const serving = await stage(timings, "4/4", "serve", "local endpoint + API + dashboard on 127.0.0.1", () =>
    startServing({ workspace, port: flags.port, endpointPort: flags.endpointPort, logs }),
  );
  out("\nstage times:\n" + timingTable(timings));
  const timingsFile = writeTimings(workspace, data, timings);
  out(`  (${timingsFile})\n`);
  out(await servingText(serving, workspace));
  out(`Handler logs and metrics (EMF): ${serveLogFile(workspace)}`);
  out(`Open the dashboard: ${serving.dashboardUrl}   Ctrl-C stops the servers.`);
  stopOnSignal(serving);
  return {
    ...summary,
    timings_file: timingsFile,
    serving: {
      dashboard: serving.dashboardUrl,
      api: serving.api.url,
      endpoint: serving.endpoint.url,
      api_key_file: path.join(workspace, "api-key"),
      model_version: serving.endpoint.modelVersion,
    },
  };
}
