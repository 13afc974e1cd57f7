import type { Command } from "commander";
import type { InputFormat } from "../../functions/producer/input";
import { addSinkOptions, sinkFromFlags, type SinkFlags } from "../producer/sink-options";
import { runReported } from "../producer/report";
import { UsageError } from "../usage";

interface IngestFlags extends SinkFlags {
  format?: InputFormat;
}

/** `warecast ingest <files…>`: validate events against the schema and send them to Firehose or the local store. */
export function register(program: Command): void {
  addSinkOptions(
    program
      .command("ingest")
      .description(
        "Validate events (NDJSON or CSV, optionally .gz) against schemas/event.schema.json and send the valid ones to Firehose (--stream) or the local raw store (--local)",
      )
      .argument("<files...>", "input files: .ndjson/.jsonl/.json or .csv, optionally gzipped (.gz)")
      .option("--format <format>", "ndjson or csv (default: from each file's extension)"),
  ).action(async (files: string[], flags: IngestFlags) => {
    if (flags.format && flags.format !== "ndjson" && flags.format !== "csv") {
      throw new UsageError(`--format must be ndjson or csv, got "${flags.format}"`);
    }
    const { sink } = await sinkFromFlags(flags);
    const { ingestFiles } = await import("../../functions/producer/files");
    await runReported("ingest", flags, (live) =>
      ingestFiles(files, sink, { format: flags.format, maxInFlight: flags.maxInFlight, ...live }),
    );
  });
}
