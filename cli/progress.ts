import { MultiBar, type SingleBar } from "cli-progress";

/**
 * Progress of long work on stderr, so stdout keeps the command's result. On a terminal: one live line per stage
 * (cli-progress) with the counts, the elapsed time and an ETA when the total is known, and a line for each stage
 * that took 2 s or more. Elsewhere (a pipe, a CI log) or with --json: plain lines, quiet — a stage is reported
 * once it has run 2 s, then every 15 s while it runs (reports or not), then when it ends.
 */

/** One report: the stage (a change of name ends the previous stage), its counts and what it is doing now. */
export interface Step {
  readonly stage: string;
  readonly done?: number;
  readonly total?: number;
  /** What the counts count: "origins", "tasks", … */
  readonly unit?: string;
  readonly detail?: string;
  /** The time left when the reporter knows it better than the stage's average rate does. */
  readonly etaMs?: number;
}

export type ProgressMode = "bar" | "lines" | "off";

/** Stages shorter than this are not worth a line. */
const SHOW_AFTER_MS = 2000;
const LINE_EVERY_MS = 15_000;

/** Bar on a terminal unless --json; lines otherwise. WARECAST_PROGRESS=bar|lines|off overrides. */
export function progressMode(
  opts: { json?: boolean } = {},
  stream: { isTTY?: boolean } = process.stderr,
): ProgressMode {
  const forced = process.env.WARECAST_PROGRESS;
  if (forced === "bar" || forced === "lines" || forced === "off") return forced;
  return stream.isTTY && !opts.json ? "bar" : "lines";
}

const seconds = (ms: number) => (ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000)));

/** "1 min 05 s" style for ETAs and long durations; tenths below 10 s. */
export function duration(ms: number): string {
  if (ms < 60_000) return `${seconds(ms)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/** Counts, elapsed and ETA (assuming the remaining units take as long as the done ones), and the detail. */
export function counts(step: Step, elapsedMs: number): string {
  const parts: string[] = [];
  if (step.done !== undefined) {
    const unit = step.unit ? ` ${step.unit}` : "";
    parts.push(step.total !== undefined ? `${step.done}/${step.total}${unit}` : `${step.done}${unit}`);
  }
  parts.push(duration(elapsedMs));
  if (step.etaMs !== undefined) parts.push(`ETA ${duration(step.etaMs)}`);
  else if (step.done && step.total && step.done < step.total) {
    parts.push(`ETA ${duration((elapsedMs / step.done) * (step.total - step.done))}`);
  }
  return parts.join(", ") + (step.detail ? ` · ${step.detail}` : "");
}

function bar(step: Step, width = 20): string {
  if (!step.total || step.done === undefined) return "";
  const filled = Math.round((width * Math.min(step.done, step.total)) / step.total);
  return `[${"#".repeat(filled).padEnd(width, "-")}] `;
}

export class Progress {
  private current?: { step: Step; started: number; shown: number };
  private readonly multibar?: MultiBar;
  private live?: SingleBar;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    readonly mode: ProgressMode,
    /** Prefix of every line: the command, e.g. "backtest". */
    private readonly name: string,
    private readonly stream: NodeJS.WritableStream = process.stderr,
  ) {
    if (mode === "bar") {
      // One live line for the whole command; its text comes from the current step at every redraw (10 per
      // second), so the elapsed time ticks even while no report arrives.
      this.multibar = new MultiBar({
        stream: this.stream as NodeJS.WriteStream,
        format: () => this.liveLine(),
        hideCursor: true,
        clearOnComplete: true,
        noTTYOutput: true,
      });
    }
  }

  static for(name: string, opts: { json?: boolean } = {}): Progress {
    return new Progress(progressMode(opts), name);
  }

  update(step: Step): void {
    if (this.mode === "off") return;
    const now = Date.now();
    if (this.current?.step.stage !== step.stage) {
      this.end(now);
      this.current = { step, started: now, shown: 0 };
    } else {
      this.current.step = step;
    }
    if (this.multibar) {
      this.live ??= this.multibar.create(1, 0);
      return;
    }
    this.heartbeat ??= setInterval(() => this.beat(Date.now()), 1000).unref();
    this.beat(now);
  }

  /** Lines mode: the current stage, once it has run 2 s and then every 15 s. */
  private beat(now: number): void {
    const cur = this.current;
    if (!cur || now - cur.started < SHOW_AFTER_MS || now - cur.shown < LINE_EVERY_MS) return;
    cur.shown = now;
    this.log(`${this.label(cur.step.stage)}: ${counts(cur.step, now - cur.started)}`);
  }

  /** "train: final fit"; just "backtest" when the stage is the command itself. */
  private label(stage: string): string {
    return stage === this.name ? this.name : `${this.name}: ${stage}`;
  }

  /** A line of its own (a log line, a warning), printed above the live line. */
  log(line: string): void {
    if (this.mode === "off") return;
    const text = line.endsWith("\n") ? line : line + "\n";
    if (this.live) this.multibar?.log(text);
    else this.stream.write(text);
  }

  /** Ends the current stage and the live line; call once the work is over, on failure too. */
  stop(): void {
    this.end(Date.now());
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.live && this.multibar) {
      this.multibar.update(); // prints the lines logged since the last redraw
      this.multibar.stop();
      this.live = undefined;
    }
  }

  private end(now: number): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    const took = now - cur.started;
    if (took < SHOW_AFTER_MS) return;
    const { done, total, unit } = cur.step;
    const what =
      done === undefined
        ? ""
        : ` (${total !== undefined ? `${done}/${total}` : done}${unit ? ` ${unit}` : ""})`;
    this.log(`${this.label(cur.step.stage)} done in ${duration(took)}${what}`);
  }

  private liveLine(): string {
    const cur = this.current;
    if (!cur) return `${this.name}: …`;
    return `${this.label(cur.step.stage)} ${bar(cur.step)}${counts(cur.step, Date.now() - cur.started)}`;
  }
}
