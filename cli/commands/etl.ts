import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import type { Command } from "commander";
import { printResult } from "../output";
import { Progress, type Step } from "../progress";
import { needs } from "../setup";
import { matching, UsageError } from "../usage";

/** Repository root: etl/ is run from here, as a process (the CLI never imports Python). */
const repoRoot = path.resolve(__dirname, "..", "..");
const venv = path.join(repoRoot, ".venv");

export interface EtlOptions {
  /** Raw store (Firehose's layout). Default `.warecast/raw`. */
  readonly raw: string;
  /** Processed store. Default `.warecast/processed`. */
  readonly processed: string;
  /** Rebuild every table from all raw objects. */
  readonly reprocess?: boolean;
  /** Closed-days calendar file; default `<raw>/calendar/closed-days.json` when present. */
  readonly calendar?: string;
  /** `warehouse_id=IANA zone` pairs, comma-separated. */
  readonly timeZones?: string;
  /** Zone of warehouses not in `timeZones`. Default UTC. */
  readonly defaultTimeZone?: string;
  /** Extra closed days: `warehouse_id=YYYY-MM-DD` or `*=YYYY-MM-DD`, comma-separated. */
  readonly closedDays?: string;
  /** Days per series in series_state. Default 400. */
  readonly stateWindowDays?: string;
  /** Spark master. Default local[2]: the machine has 2 cores. */
  readonly master?: string;
  /** JVM heap of the local driver (which is also the executor). Default 4g. */
  readonly driverMemory?: string;
}

/**
 * The lean local Spark: 2 cores, no UI, warnings only, loopback networking. Spark's console progress is on: the
 * CLI reads it from stderr and shows it as its own progress (sparkProgress), never as Spark prints it. Shuffles start at 32
 * partitions and adaptive execution coalesces them to what the data needs: a few for the bundled data set, while
 * 5M events no longer put ~1.3M rows into one task's sort (with 4 partitions and 2 GiB that run died with
 * SparkOutOfMemoryError in the dedupe window: bench/etl/RESULTS.md). Shared with the Glue artifact test.
 */
export function localSparkOptions(
  opts: Pick<EtlOptions, "master" | "driverMemory"> & { readonly javaOptions?: readonly string[] } = {},
): string[] {
  const conf = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "true",
    "spark.sql.shuffle.partitions": "32",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.default.parallelism": "4",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    // The driver lists the partition directories it reads back itself: a Spark job per listing (the default above
    // 32 paths; demand_daily has one directory per warehouse and month) costs more than a local listing.
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "1024",
    // Each task writes its partitions' files side by side instead of sorting its rows by partition first.
    "spark.sql.maxConcurrentOutputFileWriters": "16",
    // The serial collector: on 2 cores G1's concurrent threads compete with the tasks (bench/etl/RESULTS.md).
    "spark.driver.extraJavaOptions": [
      `-Dlog4j2.configurationFile=file:${path.join(repoRoot, "etl", "log4j2.properties")}`,
      "-XX:+UseSerialGC",
      ...(opts.javaOptions ?? []),
    ].join(" "),
  };
  return [
    "--master",
    opts.master ?? "local[2]",
    "--driver-memory",
    opts.driverMemory ?? "4g",
    ...Object.entries(conf).flatMap(([k, v]) => ["--conf", `${k}=${v}`]),
  ];
}

export function sparkSubmitArgs(opts: EtlOptions, javaOptions: readonly string[] = []): string[] {
  const job = [
    "--raw",
    path.resolve(opts.raw),
    "--processed",
    path.resolve(opts.processed),
    "--schema",
    path.join(repoRoot, "schemas", "event.schema.json"),
  ];
  const optional: [string, string | undefined][] = [
    ["--calendar", opts.calendar && path.resolve(opts.calendar)],
    ["--time-zones", opts.timeZones],
    ["--default-time-zone", opts.defaultTimeZone],
    ["--closed-days", opts.closedDays],
    ["--state-window-days", opts.stateWindowDays],
  ];
  for (const [flag, value] of optional) if (value !== undefined) job.push(flag, value);
  if (opts.reprocess) job.push("--reprocess", "true");
  return [...localSparkOptions({ ...opts, javaOptions }), path.join(repoRoot, "etl", "job.py"), ...job];
}

/** The java that spark-submit starts: JAVA_HOME's, else the first on PATH (as Spark's launcher picks it). */
function javaBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = env.JAVA_HOME ? [path.join(env.JAVA_HOME, "bin")] : (env.PATH ?? "").split(path.delimiter);
  const found = dirs.map((d) => path.join(d, "java")).find((f) => fs.existsSync(f));
  return found && fs.realpathSync(found);
}

/** A class-data sharing archive's JVM option, and what to do with the archive once the run has ended. */
export interface ClassArchive {
  readonly javaOptions: string[];
  /** ``failedAfterCommit``: the job committed its run, yet spark-submit failed (as when the archive cannot be
   * written at the JVM's exit). */
  readonly finish: (succeeded: boolean, failedAfterCommit?: boolean) => void;
}

/**
 * Class-data sharing for the local JVM: the JVM maps the classes of an earlier run from an archive instead of
 * loading and verifying each again (the job on an empty store: 4.8 → 3.2 s, bench/etl/RESULTS.md, issue 16).
 * The first run of a venv records the classes it loaded (`-XX:ArchiveClassesAtExit`) under a name of its own,
 * which becomes the archive only if the run succeeds; later runs use it (`-XX:SharedArchiveFile`). The name
 * carries the java binary and Spark's jars, so a new JDK or pyspark starts a new archive; the JVM checks the rest
 * and runs without an archive that does not match.
 */
export function classArchive(
  dir: string,
  sparkHome: string,
  java = javaBinary(),
  confDir = process.env.SPARK_CONF_DIR ?? path.join(sparkHome, "conf"),
): ClassArchive {
  const jars = path.join(sparkHome, "jars");
  // Spark's classpath starts with its conf directory, and the JVM archives no classpath with a non-empty
  // directory in it: recording would fail the run at its exit, and an archive would not load.
  const confEmpty = !fs.existsSync(confDir) || fs.readdirSync(confDir).length === 0;
  if (!java || !fs.existsSync(jars) || !confEmpty) return { javaOptions: [], finish: () => undefined };
  const key = createHash("sha256")
    .update([java, fs.statSync(java).mtimeMs, jars, fs.statSync(jars).mtimeMs].join("\n"))
    .digest("hex")
    .slice(0, 16);
  const archive = path.join(dir, `spark-classes-${key}.jsa`);
  // A run that committed and still failed while recording leaves this mark: the JVM exits with an error when it
  // cannot write the archive, so recording is not tried again for this key (delete the mark to retry).
  const off = `${archive}.off`;
  if (fs.existsSync(archive))
    return { javaOptions: [`-XX:SharedArchiveFile=${archive}`], finish: () => undefined };
  if (fs.existsSync(off)) return { javaOptions: [], finish: () => undefined };
  const recording = `${archive}.${process.pid}.tmp`;
  return {
    javaOptions: [`-XX:ArchiveClassesAtExit=${recording}`],
    finish: (succeeded, failedAfterCommit = false) => {
      if (failedAfterCommit) fs.writeFileSync(off, "");
      if (!fs.existsSync(recording)) return;
      if (succeeded && !fs.existsSync(archive)) fs.renameSync(recording, archive);
      else fs.rmSync(recording, { force: true });
    },
  };
}

/** spark-submit from the venv's pyspark, with that venv's Python and the repo on PYTHONPATH (etl.* imports). */
export function sparkEnv(): NodeJS.ProcessEnv {
  const lib = path.join(venv, "lib");
  const pythonDir = fs.existsSync(lib) ? fs.readdirSync(lib).find((d) => d.startsWith("python3")) : undefined;
  if (!pythonDir) throw new Error(`no Python venv at ${venv}: run scripts/setup.sh`);
  const python = path.join(venv, "bin", "python");
  return {
    SPARK_HOME: path.join(lib, pythonDir, "site-packages", "pyspark"),
    PYSPARK_PYTHON: python,
    PYSPARK_DRIVER_PYTHON: python,
    PYTHONPATH: repoRoot,
  };
}

/** A run manifest as etl/manifest.py writes it (the fields this command reports). */
export interface RunManifest {
  readonly run_id: string;
  readonly mode: string;
  readonly duration_seconds: number;
  readonly objects: readonly { key: string; size: number }[];
  readonly records_in: number;
  readonly valid: number;
  readonly quarantined: number;
  readonly quarantined_by_reason: Record<string, number>;
  readonly duplicates: number;
  readonly duplicates_by_kind: Record<string, number>;
  readonly demand_rows_written: number;
  readonly partitions_rewritten: number;
  readonly series_state_rows: number;
  /** Objects that could not be read to their end (docs/etl.md, "Unreadable objects"). */
  readonly unreadable_objects?: readonly { key: string; reason: string; complete_lines: number }[];
}

function manifestKeys(processed: string): Set<string> {
  const dir = path.join(processed, "runs");
  return new Set(fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : []);
}

/** Spark's console progress, `[Stage 7:=====>     (12 + 2) / 32]`: stage id, tasks done, running, total. */
const SPARK_STAGE = /\[Stage (\d+):[^\]]*?\((\d+) \+ (\d+)\) \/ (\d+)\]/;

/**
 * Turns spark-submit's stderr into progress: Spark's console progress bar (redrawn with carriage returns) becomes
 * the "Spark" stage, counting the tasks of the running Spark stage, with that stage's ETA; every other line (the
 * job's log, warnings) is passed on as a line of its own.
 */
export function sparkProgress(progress: Progress, now = () => Date.now()): (segment: string) => void {
  let current: { id: string; seen: number; step: Step } | undefined;
  return (segment) => {
    const m = SPARK_STAGE.exec(segment);
    if (!m) {
      if (segment.trim() !== "") progress.log(segment);
      // Spark blanks its bar once no stage is running: the last one finished all its tasks.
      else if (segment !== "" && current?.step.total !== undefined)
        progress.update({ ...current.step, done: current.step.total, etaMs: undefined, detail: undefined });
      return;
    }
    const [, id, doneText, running, totalText] = m;
    const [done, total] = [Number(doneText), Number(totalText)];
    const seen = current?.id === id ? current.seen : now();
    const elapsed = now() - seen;
    const step: Step = {
      stage: "Spark",
      done,
      total,
      unit: `tasks of stage ${id}`,
      detail: `${running} running`,
      etaMs: done > 0 && done < total ? (elapsed / done) * (total - done) : undefined,
    };
    current = { id, seen, step };
    progress.update(step);
  };
}

/** Runs the Glue script locally through spark-submit and returns the manifest the run committed. */
export async function runEtl(opts: EtlOptions, progress = new Progress("off", "etl")): Promise<RunManifest> {
  if (!fs.existsSync(opts.raw))
    throw new UsageError(`--raw ${opts.raw}: no such directory (run \`warecast import\` first)`);
  const before = manifestKeys(opts.processed);
  const submit = path.join(venv, "bin", "spark-submit");
  const env = sparkEnv();
  const archive = classArchive(venv, env.SPARK_HOME ?? "");
  let succeeded = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(submit, sparkSubmitArgs(opts, archive.javaOptions), {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        // stdout: the job prints nothing there; it goes to stderr so that ours carries only the result.
        stdio: ["ignore", process.stderr, "pipe"],
      });
      // readline also ends a line at a lone \r, which is how Spark redraws its progress.
      readline
        .createInterface({ input: child.stderr, crlfDelay: Infinity })
        .on("line", sparkProgress(progress));
      child.on("error", reject);
      child.on("close", (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`the ETL job failed (spark-submit exited with code ${code})`)),
      );
    });
    succeeded = true;
  } finally {
    const committed = () => [...manifestKeys(opts.processed)].some((k) => !before.has(k));
    archive.finish(succeeded, !succeeded && committed());
    progress.stop();
  }
  const created = [...manifestKeys(opts.processed)].filter((k) => !before.has(k)).sort();
  const newest = created.at(-1);
  if (!newest) throw new Error(`the ETL job exited without writing a manifest under ${opts.processed}/runs`);
  return JSON.parse(fs.readFileSync(path.join(opts.processed, "runs", newest), "utf8")) as RunManifest;
}

/** The manifest's counts, one per line, as `warecast etl` prints them. */
export function formatManifest(m: RunManifest): string {
  const reasons = Object.entries(m.quarantined_by_reason)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const dupes = Object.entries(m.duplicates_by_kind)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return [
    `run ${m.run_id} (${m.mode}, ${m.duration_seconds.toFixed(1)} s): ${m.objects.length} raw object(s)`,
    `  records in      ${m.records_in}`,
    `  valid           ${m.valid}`,
    `  quarantined     ${m.quarantined}${reasons ? ` (${reasons})` : ""}`,
    `  duplicates      ${m.duplicates}${dupes ? ` (${dupes})` : ""}`,
    `  demand rows     ${m.demand_rows_written} in ${m.partitions_rewritten} partition(s)`,
    `  series state    ${m.series_state_rows}`,
    ...(m.unreadable_objects ?? []).map(
      (o) => `  unreadable      ${o.key} (${o.reason}, ${o.complete_lines} complete lines kept)`,
    ),
  ].join("\n");
}

interface EtlFlags extends EtlOptions {
  json?: boolean;
}

/** `warecast etl`: the Glue job's script on the local stores, through spark-submit. */
export function register(program: Command): void {
  program
    .command("etl")
    .description(
      "Run the ETL job (etl/job.py, the Glue script) locally with spark-submit: new raw events → demand_daily, series_state, quarantine and a run manifest",
    )
    .option("--raw <dir>", "raw store (Firehose's layout)", ".warecast/raw")
    .option("--processed <dir>", "processed store", ".warecast/processed")
    .option("--reprocess", "rebuild every table from all raw objects")
    .option(
      "--calendar <file>",
      "closed-days calendar (default: <raw>/calendar/closed-days.json when present)",
    )
    .option("--time-zones <list>", "warehouse_id=IANA zone, comma-separated (business dates)")
    .option("--default-time-zone <zone>", "zone of warehouses not in --time-zones", "UTC")
    .option(
      "--closed-days <list>",
      "extra closed days: warehouse_id=YYYY-MM-DD or *=YYYY-MM-DD, comma-separated",
    )
    .option(
      "--state-window-days <n>",
      "days of history per series in series_state",
      matching(/^[1-9][0-9]*$/, "a positive integer"),
      "400",
    )
    .option("--master <master>", "Spark master", "local[2]")
    .option(
      "--driver-memory <size>",
      "JVM heap of the local Spark driver (e.g. 4g)",
      matching(/^[1-9][0-9]*[mMgG]$/, "a size like 4g or 2048m"),
      "4g",
    )
    .option("--json", "print the run manifest as JSON")
    .hook("preAction", needs("python", "java"))
    .action(async (flags: EtlFlags) => {
      const manifest = await runEtl(flags, Progress.for("etl", flags));
      printResult(flags.json ? JSON.stringify(manifest, null, 2) : formatManifest(manifest));
    });
}
