import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { buildProgram } from "../../cli/main";
import { version } from "../../package.json";

const ROOT = path.resolve(__dirname, "..", "..");
const warecast = (...args: string[]) =>
  spawnSync(path.join(ROOT, "warecast"), args, { cwd: ROOT, encoding: "utf8", timeout: 120_000 });

describe("warecast CLI", () => {
  it("describes itself and every registered subcommand in --help", () => {
    const program = buildProgram();
    const help = program.helpInformation();
    expect(help).toContain("Usage: warecast");
    for (const cmd of program.commands) {
      expect(help).toContain(cmd.name());
      expect(cmd.description().length).toBeGreaterThan(10);
    }
  });

  it("answers --help and --version with exit 0, and says what its exit codes mean", () => {
    const help = warecast("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Exit status: 0 done, 1 the work failed");
    const v = warecast("--version");
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(version);
  });

  it("exits 2 on usage errors, naming what is wrong, without printing the whole help", () => {
    for (const [args, message] of [
      [["bogus"], "error: unknown command 'bogus'"],
      [["etl", "--driver-memory", "lots"], "argument 'lots' is invalid. expected a size like 4g or 2048m."],
      [["train", "--freq", "M"], "argument 'M' is invalid. Allowed choices are D, W."],
      [["model", "pin", "--endpoint", "e", "--version", "two", "--reason", "x"], "argument 'two' is invalid"],
      [["serve", "--endpoint-workers", "0"], "argument '0' is invalid. expected a positive integer."],
      [["serve", "--endpoint-workers", "65"], "argument '65' is invalid. expected 1 to 64 workers."],
      [["backtest"], "error: required option '--data <path>' not specified"],
      [["smoke"], "pass --stack <name>, or --url and --api-key"],
      [
        ["backtest", "--data", "no/such/file.csv"],
        "--data: " + path.join(ROOT, "no/such/file.csv") + " does not exist",
      ],
    ] as const) {
      const run = warecast(...args);
      expect({ args, status: run.status }).toEqual({ args, status: 2 });
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toContain("Commands:");
    }
  });
});
