import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { register as etl } from "../commands/etl";
import { register as importCommand } from "../commands/import";
import { register as ingest } from "../commands/ingest";
import { register as train } from "../commands/train";
import { detectInputFormat, type InputFormat } from "./input-format";

const repoRoot = path.resolve(__dirname, "..", "..");
/** The bundled real dataset (data/sample/pasta, CC BY 4.0; attribution in that directory). */
export const BUNDLED_DATA = path.join(repoRoot, "data", "sample", "pasta", "hierarchical_sales_data.csv");

/** The workspace directories a pipeline run writes; `warecast demo` starts with none of them. */
export const PIPELINE_DIRS = ["raw", "processed", "artifacts", "jobs"] as const;

/**
 * Runs one `warecast <stage> …` exactly as the command line would (same registration, options and action),
 * in this process. Errors propagate instead of exiting.
 */
export async function runCommand(args: string[]): Promise<void> {
  const program = new Command().name("warecast").exitOverride();
  for (const register of [importCommand, ingest, etl, train]) register(program);
  await program.parseAsync(args, { from: "user" });
}

/** The first-stage command for an input file, by its content: NDJSON events are ingested, sales CSVs imported. */
export function importArgs(format: InputFormat, file: string, raw: string): string[] {
  const common = ["--local", raw, "--no-progress"];
  if (format === "events-ndjson") return ["ingest", file, "--format", "ndjson", ...common];
  return ["import", file, "--format", format === "long-csv" ? "long" : "wide", ...common];
}

export async function importStageArgs(
  file: string,
  workspace: string,
): Promise<{ format: InputFormat; args: string[] }> {
  const format = await detectInputFormat(file);
  return { format, args: importArgs(format, file, path.join(workspace, "raw")) };
}

/**
 * Empties the pipeline directories of a workspace (raw, processed, artifacts, jobs) and keeps the rest (the API
 * key). Returns the directories that held something.
 */
export function cleanWorkspace(workspace: string): string[] {
  const removed: string[] = [];
  for (const dir of PIPELINE_DIRS) {
    const full = path.join(workspace, dir);
    if (fs.existsSync(full)) {
      fs.rmSync(full, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  fs.mkdirSync(workspace, { recursive: true });
  return removed;
}

/** The trained model's metrics.json (`<workspace>/artifacts/runs/<latest>/model/metrics.json`). */
export function latestMetrics(workspace: string): { version: string; metrics: unknown; file: string } {
  const artifacts = path.join(workspace, "artifacts");
  const version = fs.readFileSync(path.join(artifacts, "latest"), "utf8").trim();
  const file = path.join(artifacts, "runs", version, "model", "metrics.json");
  return { version, metrics: JSON.parse(fs.readFileSync(file, "utf8")) as unknown, file };
}

/** The newest ETL run manifest (`<processed>/runs/<run>.json`; run ids sort by time). */
export function latestManifest(processed: string): unknown {
  const dir = path.join(processed, "runs");
  const newest = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .at(-1);
  return newest ? (JSON.parse(fs.readFileSync(path.join(dir, newest), "utf8")) as unknown) : undefined;
}
