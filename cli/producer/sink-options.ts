import * as path from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_RETRY_POLICY } from "../../functions/producer/backoff";
import { LocalStoreSink } from "../../functions/producer/local-store-sink";
import type { EventSink } from "../../functions/producer/types";
import { UsageError } from "../usage";

/** The local raw store that local mode reads (docs/architecture.md). */
export const DEFAULT_LOCAL_STORE = ".warecast/raw";

export interface SinkFlags {
  local?: string;
  stream?: string;
  prefix: string;
  maxInFlight: number;
  maxAttempts: number;
  progress: boolean;
  rejectFile?: string;
  json?: boolean;
}

export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be an integer ≥ 1.`);
    return n;
  };
}

/** The destination and reporting flags that `ingest` and `import` share. */
export function addSinkOptions(cmd: Command): Command {
  return cmd
    .option(
      "--local <dir>",
      `write to a local raw store in Firehose's layout (default ${DEFAULT_LOCAL_STORE})`,
    )
    .option(
      "--stream <name>",
      "send to this Firehose delivery stream (credentials and region from the AWS environment; AWS_ENDPOINT_URL is honoured)",
    )
    .option("--prefix <prefix>", "key prefix in the local store", "events/")
    .option(
      "--reject-file <path>",
      "write every record that was not delivered (NDJSON: stage, file, line, reason, raw)",
    )
    .option(
      "--max-in-flight <n>",
      "PutRecordBatch calls in flight at once",
      positiveInt("--max-in-flight"),
      4,
    )
    .option(
      "--max-attempts <n>",
      "attempts per record before it counts as failed",
      positiveInt("--max-attempts"),
      DEFAULT_RETRY_POLICY.maxAttempts,
    )
    .option("--no-progress", "no progress bar")
    .option("--json", "print the summary as JSON on stdout");
}

/** Builds the sink the flags ask for: Firehose with `--stream`, else the local store. */
export async function sinkFromFlags(flags: SinkFlags): Promise<{ sink: EventSink; localRoot?: string }> {
  if (flags.local && flags.stream) throw new UsageError("give either --local DIR or --stream NAME, not both");
  if (flags.stream) {
    // Loaded here: the AWS SDK takes a while to load, and --help and --local runs do not need it.
    const [{ FirehoseClient }, { FirehoseSink }] = await Promise.all([
      import("@aws-sdk/client-firehose"),
      import("../../functions/producer/firehose-sink"),
    ]);
    const client = new FirehoseClient({});
    // Fail before reading any input, with the fix, rather than once per record.
    const region = await client.config.region().catch(() => undefined);
    if (!region)
      throw new Error("--stream needs an AWS region: set AWS_REGION (or a region in your AWS profile)");
    const retry = { ...DEFAULT_RETRY_POLICY, maxAttempts: flags.maxAttempts };
    return { sink: new FirehoseSink({ client, streamName: flags.stream, retry }) };
  }
  const root = path.resolve(flags.local ?? DEFAULT_LOCAL_STORE);
  return { sink: new LocalStoreSink({ root, prefix: flags.prefix }), localRoot: root };
}
