/**
 * The users' GitHub Actions workflow (.github/workflows/pulumi.yml) as data, and what it takes to run its steps
 * here as a stock runner would: a checkout of the repository, the shell GitHub uses for `run:` steps, and a PATH
 * with no Python and no Java on it.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseShell, type ParseEntry } from "shell-quote";
import { parse } from "yaml";

export const ROOT = path.resolve(__dirname, "..", "..");
export const WORKFLOW_FILE = path.join(ROOT, ".github", "workflows", "pulumi.yml");

export interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly if?: string;
}
export interface Job {
  readonly name?: string;
  readonly if?: string;
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly environment?: string;
  readonly strategy?: { matrix: Record<string, string[]> };
  readonly steps: Step[];
}
export interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, Job>;
}

export function loadWorkflow(file = WORKFLOW_FILE): Workflow {
  return parse(fs.readFileSync(file, "utf8")) as Workflow;
}

/** Replaces `${{ matrix.<key> }}` with the matrix entry's values; any other expression is left for the caller. */
export function withMatrix(text: string, matrix: Record<string, string>): string {
  return text.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (whole, key: string) => matrix[key] ?? whole);
}

/**
 * The simple commands of a `run:` script, as argument lists: split at `&&`, `||`, `;`, `|` and new lines,
 * without redirections (`> file`) and their targets. Expressions other than the matrix become the word "EXPR".
 */
export function commandsOf(script: string, matrix: Record<string, string> = {}): string[][] {
  const text = withMatrix(script, matrix).replace(/\$\{\{[^}]*\}\}/g, "EXPR");
  const commands: string[][] = [];
  let current: string[] = [];
  let redirect = false;
  const entries: ParseEntry[] = parseShell(text.replace(/\\\n/g, " ").replace(/\n/g, " ; "));
  for (const e of entries) {
    if (typeof e === "string") {
      if (redirect) redirect = false;
      else current.push(e);
    } else if ("op" in e && [">", ">>", "<", "2>", "&>", ">&"].includes(e.op)) {
      redirect = true;
    } else if ("op" in e) {
      if (current.length) commands.push(current);
      current = [];
    }
  }
  if (current.length) commands.push(current);
  return commands;
}

/** Flags (`--name`, `-x`) of an argument list, without `=value`, up to a `--`. */
export function flagsOf(argv: readonly string[]): string[] {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end))
    .filter((a) => /^--?[A-Za-z]/.test(a))
    .map((a) => a.split("=")[0]);
}

/**
 * What of `argv` does not exist: runs the command's own help (`<program> <leading words> --help`) and returns the
 * command if that fails or its help does not name each leading word (a CLI may answer an unknown subcommand with
 * its top-level help), else every flag the help does not name. Leading words are subcommands: a command line
 * with positional arguments before its flags is not for this check.
 */
export function missingFromHelp(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): string[] {
  const words: string[] = [];
  for (const a of argv.slice(1)) {
    if (a.startsWith("-")) break;
    words.push(a);
  }
  const help = spawnSync(argv[0], [...words, "--help"], { cwd, env, encoding: "utf8", timeout: 120_000 });
  const text = help.stdout + help.stderr;
  if (help.error || help.status !== 0 || !words.every((w) => text.includes(w)))
    return [
      `${[argv[0], ...words].join(" ")} (no such command: its --help ${help.status === 0 ? "does not name it" : "failed"})`,
    ];
  return flagsOf(argv).filter(
    (f) => !new RegExp(`(^|[\\s,\\[])${f.replace(/-/g, "\\-")}([\\s,=<\\[]|$)`, "m").test(text),
  );
}

/** Copies what a checkout has — the files git tracks or would track (uncommitted work included) — into `dest`. */
export function checkout(dest: string, source = ROOT): number {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: source,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  let copied = 0;
  for (const rel of new Set(listed.split("\0").filter(Boolean))) {
    const from = path.join(source, rel);
    const stat = fs.lstatSync(from, { throwIfNoEntry: false });
    if (!stat || stat.isDirectory()) continue; // deleted in the work tree, or a submodule
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.cpSync(from, path.join(dest, rel), { preserveTimestamps: false, verbatimSymlinks: true });
    copied++;
  }
  return copied;
}

/** Programs a stock runner image has that a Warecast policy check must not need. */
const PYTHON_OR_JAVA = /^(python|pip|pydoc|idle|java|javac|jar|jshell|jlink|keytool|spark-|pyspark)/;

/**
 * A directory of links to every program on PATH except Python's and Java's, and an environment whose PATH is
 * only that directory (no JAVA_HOME, no venv, no WARECAST_PYTHON), as on a runner that never installed either.
 */
export function strippedEnv(binDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  fs.mkdirSync(binDir, { recursive: true });
  for (const dir of (base.PATH ?? "").split(path.delimiter)) {
    if (!dir || dir.includes(`${path.sep}.venv`)) continue;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const link = path.join(binDir, name);
      if (PYTHON_OR_JAVA.test(name) || fs.existsSync(link)) continue;
      try {
        fs.accessSync(path.join(dir, name), fs.constants.X_OK);
        if (fs.statSync(path.join(dir, name)).isFile()) fs.symlinkSync(path.join(dir, name), link);
      } catch {
        // not an executable file
      }
    }
  }
  const env: NodeJS.ProcessEnv = { ...base, PATH: binDir, CI: "true", GITHUB_ACTIONS: "true" };
  for (const key of [
    "JAVA_HOME",
    "SPARK_HOME",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "WARECAST_PYTHON",
    "PYSPARK_PYTHON",
  ])
    delete env[key];
  return env;
}

/** A `run:` step as GitHub runs it on Linux: `bash --noprofile --norc -eo pipefail` with the script. */
export function runStep(script: string, cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
    cwd,
    env,
    encoding: "utf8",
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}
