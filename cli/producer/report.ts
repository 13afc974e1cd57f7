import { MultiBar, Presets } from "cli-progress";
import type { FileProgress } from "../../functions/producer/files";
import type { IngestSummary } from "../../functions/producer/ingest";
import { RejectFile } from "../../functions/producer/rejects";
import { printResult } from "../output";
import type { Rejection } from "../../functions/producer/types";

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * Live reporting of a producer run: a progress bar on stderr (by bytes read, with the record counters),
 * every undelivered record printed as `file:line: [stage] reason`, and the reject file.
 */
export class RunReporter {
  private readonly multibar?: MultiBar;
  private readonly bar?: ReturnType<MultiBar["create"]>;
  private readonly rejects?: RejectFile;

  constructor(opts: { progress: boolean; rejectFile?: string }) {
    if (opts.progress && process.stderr.isTTY) {
      this.multibar = new MultiBar(
        {
          stream: process.stderr,
          format: "{bar} {percentage}% | read {read} | sent {sent} | invalid {invalid} | failed {failed}",
          hideCursor: true,
          clearOnComplete: true,
        },
        Presets.shades_classic,
      );
      this.bar = this.multibar.create(1, 0, { read: 0, sent: 0, invalid: 0, failed: 0 });
    }
    if (opts.rejectFile) this.rejects = new RejectFile(opts.rejectFile);
  }

  readonly onProgress = (p: FileProgress): void => {
    if (!this.bar) return;
    this.bar.setTotal(Math.max(1, p.bytesTotal));
    this.bar.update(p.bytesRead, {
      read: fmt(p.read),
      sent: fmt(p.sent),
      invalid: fmt(p.invalid),
      failed: fmt(p.failed),
    });
  };

  readonly onReject = (r: Rejection): void => {
    const line = `${r.ref.file}:${r.ref.line}: [${r.stage}] ${r.reason}`;
    if (this.multibar) this.multibar.log(line + "\n");
    else process.stderr.write(line + "\n");
    this.rejects?.write(r);
  };

  async close(): Promise<void> {
    this.multibar?.stop();
    await this.rejects?.close();
  }

  get rejectFile(): string | undefined {
    return this.rejects?.filePath;
  }
}

/** The end-of-run table: read, valid, invalid, sent, retried, failed, records/s, then rejections by reason. */
export function formatSummary(title: string, s: IngestSummary): string {
  const rows: [string, string][] = [
    ["read", fmt(s.read)],
    ["valid", fmt(s.valid)],
    ["invalid", fmt(s.invalid)],
    ["sent", fmt(s.sent)],
    ["retried", fmt(s.retried)],
    ["failed", fmt(s.failed)],
    ["records/s", fmt(s.recordsPerSecond)],
    ["elapsed", `${(s.elapsedMs / 1000).toFixed(2)} s`],
  ];
  const width = Math.max(...rows.map(([, v]) => v.length));
  const lines = [title, ...rows.map(([k, v]) => `  ${k.padEnd(10)} ${v.padStart(width)}`)];
  if (s.stopped) {
    lines.push(`  stopped early: ${s.stopped.reason}`);
    lines.push(`  input after ${s.stopped.after.file}:${s.stopped.after.line} was not read`);
  }
  const reasons = Object.entries(s.reasons).sort((a, b) => b[1] - a[1]);
  if (reasons.length) {
    lines.push("  not delivered, by reason:");
    for (const [reason, n] of reasons) lines.push(`    ${fmt(n).padStart(width)}  ${reason}`);
  }
  return lines.join("\n");
}

/** Sets a non-zero exit status, with the counts, when any record was invalid or failed. */
export function exitOnLoss(command: string, s: IngestSummary, rejectFile?: string): void {
  if (s.invalid === 0 && s.failed === 0) return;
  const where = rejectFile ? `; written to ${rejectFile}` : "; use --reject-file PATH to keep them";
  process.stderr.write(
    `warecast ${command}: ${fmt(s.invalid)} invalid and ${fmt(s.failed)} failed of ${fmt(s.read)} records read` +
      ` (${fmt(s.sent)} sent)${where}\n`,
  );
  process.exitCode = 1;
}

/**
 * Runs a producer command: live reporting (progress, rejects, reject file) while `run` works, then the summary
 * (text, with `notes` lines after it, or JSON with --json) and the exit status.
 */
export async function runReported<S extends IngestSummary>(
  command: string,
  flags: { progress: boolean; rejectFile?: string; json?: boolean },
  run: (live: Pick<RunReporter, "onProgress" | "onReject">) => Promise<S>,
  notes: (summary: S) => string[] = () => [],
): Promise<void> {
  const reporter = new RunReporter(flags);
  let summary: S;
  try {
    summary = await run(reporter);
  } finally {
    await reporter.close();
  }
  if (flags.json) printResult(JSON.stringify(summary, null, 2));
  else printResult([formatSummary(`${command} → ${summary.sink}`, summary), ...notes(summary)].join("\n"));
  exitOnLoss(command, summary, reporter.rejectFile);
}
