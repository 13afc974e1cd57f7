/**
 * Progress on stderr: the live line on a terminal (cli-progress), quiet plain lines elsewhere, and what feeds
 * them — Spark's console progress in `warecast etl`, model/progress.py's reports in train, backtest and tune.
 */
import { Writable } from "node:stream";
import { sparkProgress } from "../../cli/commands/etl";
import { counts, Progress, progressMode, type Step } from "../../cli/progress";

class Capture extends Writable {
  text = "";
  isTTY = false;
  columns = 200;
  _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

beforeEach(() => jest.useFakeTimers({ now: new Date("2026-12-01T00:00:00Z") }));
afterEach(() => jest.useRealTimers());

describe("progress lines (not a terminal, or --json)", () => {
  it("say nothing of a stage under 2 s, then report long ones once, every 15 s, and at their end", () => {
    const out = new Capture();
    const p = new Progress("lines", "backtest", out);
    p.update({ stage: "loading data" });
    jest.advanceTimersByTime(1500);
    p.update({ stage: "backtest", done: 0, total: 4, unit: "origins", detail: "fitting the model" });
    expect(out.text).toBe("");
    jest.advanceTimersByTime(2500); // the heartbeat ticks every second
    expect(out.text).toBe("backtest: 0/4 origins, 2.5 s · fitting the model\n");
    jest.advanceTimersByTime(10_000);
    p.update({ stage: "backtest", done: 2, total: 4, unit: "origins" });
    expect(out.text.split("\n")).toHaveLength(2); // a report between heartbeats prints nothing more
    jest.advanceTimersByTime(5_000);
    expect(out.text.split("\n")[1]).toBe("backtest: 2/4 origins, 18 s, ETA 18 s");
    p.update({ stage: "backtest", done: 4, total: 4, unit: "origins" });
    p.stop();
    expect(out.text.trim().split("\n").at(-1)).toBe("backtest done in 18 s (4/4 origins)");
    jest.advanceTimersByTime(60_000);
    expect(out.text.trim().split("\n")).toHaveLength(3); // no heartbeat after stop
  });

  it("name the stage after the command, and pass other lines through", () => {
    const out = new Capture();
    const p = new Progress("lines", "train", out);
    p.update({ stage: "final fit", detail: "118 series x 1825 periods" });
    p.log("a warning from the child");
    jest.advanceTimersByTime(3000);
    p.stop();
    expect(out.text).toBe(
      [
        "a warning from the child",
        "train: final fit: 2.0 s · 118 series x 1825 periods",
        "train: final fit done in 3.0 s",
        "",
      ].join("\n"),
    );
  });
});

describe("the live line on a terminal", () => {
  it("draws the stage with a bar, counts, elapsed time and ETA, then leaves a line per long stage", () => {
    const out = new Capture();
    out.isTTY = true;
    const p = new Progress("bar", "backtest", out);
    p.update({ stage: "backtest", done: 1, total: 4, unit: "origins" });
    jest.advanceTimersByTime(3000);
    expect(out.text).toContain("backtest [#####---------------] 1/4 origins, 3.0 s, ETA 9.0 s");
    p.update({ stage: "backtest", done: 4, total: 4, unit: "origins" });
    p.stop();
    expect(out.text).toContain("backtest done in 3.0 s (4/4 origins)\n");
  });

  it("is chosen on a terminal, but not with --json; WARECAST_PROGRESS overrides", () => {
    const tty = Object.assign(new Capture(), { isTTY: true }) as unknown as NodeJS.WriteStream;
    const pipe = new Capture() as unknown as NodeJS.WriteStream;
    delete process.env.WARECAST_PROGRESS;
    expect(progressMode({}, tty)).toBe("bar");
    expect(progressMode({ json: true }, tty)).toBe("lines");
    expect(progressMode({}, pipe)).toBe("lines");
    process.env.WARECAST_PROGRESS = "off";
    expect(progressMode({}, tty)).toBe("off");
    delete process.env.WARECAST_PROGRESS;
  });
});

describe("Spark's console progress in `warecast etl`", () => {
  it("becomes the Spark stage's task counts with that stage's ETA; other lines pass through", () => {
    const steps: Step[] = [];
    const logged: string[] = [];
    const progress = { update: (s: Step) => steps.push(s), log: (l: string) => logged.push(l) };
    let t = 0;
    const feed = sparkProgress(progress as unknown as Progress, () => t);
    feed("[Stage 7:>                                                          (0 + 2) / 32]");
    t = 4000;
    feed("[Stage 7:=============>                                            (8 + 2) / 32]");
    feed("                                                                                ");
    feed("2026-12-01 00:00:04,000 INFO warecast.etl: step validate: 4.0 s");
    t = 5000;
    feed("[Stage 9:>    (0 + 2) / 4][Stage 10:>    (0 + 0) / 8]");
    expect(steps.map((s) => counts(s, 0))).toEqual([
      "0/32 tasks of stage 7, 0.0 s · 2 running",
      "8/32 tasks of stage 7, 0.0 s, ETA 12 s · 2 running",
      "32/32 tasks of stage 7, 0.0 s", // the bar blanked: no stage runs, the last one is complete
      "0/4 tasks of stage 9, 0.0 s · 2 running",
    ]);
    expect(new Set(steps.map((s) => s.stage))).toEqual(new Set(["Spark"]));
    expect(logged).toEqual(["2026-12-01 00:00:04,000 INFO warecast.etl: step validate: 4.0 s"]);
  });
});
