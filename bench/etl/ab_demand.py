"""A/B of two `daily_demand`s in one Spark session: a revision's (A, main's by default) against this
checkout's (B), alternately on the same events, so both see the same JVM, the same data and the same load
over time.

    flock /work/.heavy.lock .venv/bin/python -m bench.etl.ab_demand --size 1000000 --pairs 4 --write FILE

Two single `warecast etl` jobs minutes apart differ by more than demand_daily's change (bench/etl/RESULTS.md:
unchanged steps moved by 20% between them), hence this. The session has `warecast etl`'s settings (local[2],
4g, the same Spark conf, asked of cli/commands/etl.ts itself) and the job's session settings. The events are
the job's own: the benchmark's raw store (bench/out/etl/v2/nN/raw, generated as bench.etl.run does when
missing) goes through etl.job.run once in this session, untimed; its committed events_clean is read and
checkpointed once. Then each run does what the job's demand step does with them: `daily_demand` computed into
a local checkpoint (the job's `_computed`), then written as the job writes demand_daily (joined with the
months to rewrite, partitioned by warehouse and month) to a directory of its own. A run's seconds are the
checkpoint's and the write's.

A and B alternate, A first: ``--warmup`` pairs (not counted: the JIT and the Python workers warm up), then
``--pairs`` counted pairs. Before each run the previous run's checkpoint of the same side is dropped and the
JVM collects its garbage (a full collection), so no run starts with another's garbage; a run still pays for
its own, wherever the collector takes it (the numpy pass's checkpoint left a 1.7 s full collection to its
write: bench/etl/RESULTS.md). The last A and B checkpoints are compared row for row (``exceptAll`` both
ways), and their partitions' row counts are printed.

B is this checkout's etl/demand.py, A a revision's. The numpy demand pass measured with it is etl/ at commit
53e662d (branch i16-numpy): check out that commit's etl/ to run it again as B.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import types
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "bench" / "out" / "etl" / "v2"


def cli_spark_conf() -> dict[str, str]:
    """`warecast etl`'s Spark settings, asked of the CLI's own code (cli/commands/etl.ts, localSparkOptions)
    so the harnesses measure the job as users run it, with no copy of them to drift."""
    script = (
        "import { localSparkOptions } from './cli/commands/etl';"
        "console.log(JSON.stringify(localSparkOptions()));"
    )
    tsx = REPO / "node_modules" / ".bin" / "tsx"
    args = json.loads(
        subprocess.run([tsx, "-e", script], cwd=REPO, check=True, capture_output=True, text=True).stdout
    )
    named = {"--master": "spark.master", "--driver-memory": "spark.driver.memory"}
    conf = {}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag == "--conf":
            key, _, value = value.partition("=")
            conf[key] = value
        else:
            conf[named[flag]] = value
    # The CLI turns Spark's console progress into its own; here nobody reads it.
    return conf | {"spark.ui.showConsoleProgress": "false"}


def load_module(rev: str, path: str) -> types.ModuleType:
    """The file ``path`` (e.g. etl/demand.py) of git revision ``rev`` as a module of its own (it imports this
    checkout's etl.*). Its functions are not importable by name in Spark's Python workers, so a function it
    hands to Spark travels by value (cloudpickle)."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout
    module = types.ModuleType(f"{Path(path).stem}_{rev}")
    module.__file__ = f"{rev}:{path}"
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def load_demand(rev: str) -> types.ModuleType:
    """etl/demand.py of git revision ``rev`` as a module of its own."""
    return load_module(rev, "etl/demand.py")


def session(event_log: Path | None = None):
    # The Python workers (mapInArrow) import etl.* from this checkout, with this interpreter.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    from etl.job import SESSION_CONF

    builder = SparkSession.builder.appName("warecast-ab-demand")
    conf = cli_spark_conf() | SESSION_CONF
    if event_log is not None:  # for bench/etl/profile.py's timeline and plans
        event_log.mkdir(parents=True, exist_ok=True)
        conf |= {"spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{event_log}"}
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def job_events(spark, size: int, cached: bool = True):
    """The job's committed events_clean for the benchmark's raw store of ``size`` events (the job run once, in
    this session, when this size has none yet), checkpointed."""
    from bench.etl.run import generate
    from etl.job import _EVENTS_CLEAN_SCHEMA, _read_partitioned, run
    from etl.options import parse_args

    raw = OUT / f"n{size}" / "raw"
    if not (raw / "events").exists():
        partial = raw.with_name("raw.partial")
        shutil.rmtree(partial, ignore_errors=True)
        generate(partial, size)
        partial.rename(raw)
    processed = OUT / f"n{size}" / "ab" / "processed"
    if not list((processed / "runs").glob("*.json")):
        shutil.rmtree(processed, ignore_errors=True)
        t0 = time.monotonic()
        argv = ["--raw", str(raw), "--processed", str(processed)]
        run(spark, parse_args([*argv, "--schema", str(REPO / "schemas" / "event.schema.json")]))
        print(f"the job on {size:,} events (untimed setup): {time.monotonic() - t0:.1f} s", flush=True)
    events = _read_partitioned(spark, str(processed / "events_clean"), _EVENTS_CLEAN_SCHEMA)
    return events.localCheckpoint(eager=True) if cached else events


def months_to_write(spark, events):
    """The job's ``starts`` for a first run: every warehouse from its first event's month."""
    from pyspark.sql import functions as F

    from etl.frames import local_rows
    from etl.job import _STARTS_SCHEMA, _rewrite_starts

    new_series = {
        (r["warehouse_id"], r["sku"]): (r["events"], r["first"])
        for r in events.groupBy("warehouse_id", "sku")
        .agg(F.count(F.lit(1)).alias("events"), F.min("date").alias("first"))
        .collect()
    }
    starts = sorted(_rewrite_starts(new_series, {}).items())
    rows = ({"warehouse_id": w, "from_month": m} for w, m in starts)
    return local_rows(spark, rows, _STARTS_SCHEMA)


def one_run(demand_module, events, starts, out: Path) -> tuple[float, float, object]:
    """daily_demand checkpointed, then written as etl/job.py's _rewrite_demand writes it: (checkpoint s,
    write s, the checkpoint)."""
    # The job's write, from this checkout for both sides (an older revision's demand.py may not have it).
    from etl.demand import write_rewritten_months

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    demand = demand_module.daily_demand(events, None).localCheckpoint(eager=True)
    t1 = time.monotonic()
    write_rewritten_months(demand, starts, str(out))
    t2 = time.monotonic()
    return t1 - t0, t2 - t1, demand


def same_rows(a, b) -> bool:
    from etl.demand import DEMAND_COLUMNS

    a, b = a.select(*DEMAND_COLUMNS), b.select(*DEMAND_COLUMNS)
    return a.exceptAll(b).isEmpty() and b.exceptAll(a).isEmpty()


def ab_parser(a_file: str) -> argparse.ArgumentParser:
    """The A/B harnesses' common arguments; ``a_file`` is what A takes from its git revision."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True, help="events (the benchmark's raw store)")
    parser.add_argument("--baseline", default="main", help=f"git revision of A's {a_file}")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--write", default=None, help="append the report to this Markdown file")
    return parser


def main() -> None:
    parser = ab_parser("etl/demand.py")
    parser.add_argument(
        "--job-heap",
        action="store_true",
        help="the job's heap: each run reads the events' files, keeps no other checkpoint",
    )
    parser.add_argument("--event-log", type=Path, default=None, help="record Spark's event log here")
    args = parser.parse_args()

    import etl.demand as this_demand

    args.baseline_sha = subprocess.run(
        ["git", "rev-parse", "--short", args.baseline], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    variants = {"A": load_demand(args.baseline_sha), "B": this_demand}
    spark = session(args.event_log)
    started = datetime.now(UTC)
    load_start = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    events = job_events(spark, args.size, cached=not args.job_heap)
    starts = months_to_write(spark, events)
    out = OUT / f"n{args.size}" / "ab"
    runs: list[dict] = []
    last: dict[str, object] = {}
    for i in range(args.warmup + args.pairs):
        for name, module in variants.items():
            if args.job_heap:
                last.clear()
            else:
                last.pop(name, None)
            gc.collect()
            spark.sparkContext._jvm.System.gc()  # frees the previous run's checkpoint before this run
            load = os.getloadavg()[0]
            compute, write, last[name] = one_run(module, events, starts, out / f"demand-{name}")
            row = {"pair": i + 1, "variant": name, "warmup": i < args.warmup, "load": load}
            row |= {"compute": compute, "write": write, "total": compute + write}
            runs.append(row)
            print(
                f"pair {i + 1} {name}{' (warm-up)' if row['warmup'] else ''}: checkpoint {compute:.2f} s, "
                f"write {write:.2f} s, total {compute + write:.2f} s, load {load:.2f}",
                flush=True,
            )
    if args.job_heap:  # the last checkpoints were not kept: what each side wrote
        from etl.demand import DEMAND_SCHEMA
        from etl.job import _read_partitioned

        last = {
            name: _read_partitioned(spark, str(out / f"demand-{name}"), DEMAND_SCHEMA) for name in variants
        }
    identical = same_rows(last["A"], last["B"])
    for name, frame in (
        last.items() if not args.job_heap else ()
    ):  # each checkpoint's layout (the write's input)
        from pyspark.sql import functions as F

        counts = frame.groupBy(F.spark_partition_id().alias("p")).count().orderBy("p").collect()
        sizes = [r["count"] for r in counts]
        print(f"{name}'s checkpoint: {len(sizes)} partitions of {sizes} rows", flush=True)
    load_end = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    finish(spark, args, report(args, runs, identical, started, load_start, load_end))


def report(args, runs: list[dict], identical: bool, started, load_start: str, load_end: str) -> str:
    lines = [
        f"### {args.size:,} events: A = {args.baseline} ({args.baseline_sha})'s daily_demand, "
        f"B = this checkout's ({started:%Y-%m-%d %H:%MZ})",
        "",
        f"Load average at the start {load_start}, at the end {load_end}. {args.warmup} warm-up pair(s) not "
        f"counted, then {args.pairs} pairs, A first in each. "
        + (
            "`--job-heap` (events read from files each run, no other checkpoint kept); the last writes have "
            if getattr(args, "job_heap", False)
            else "The events checkpointed once; the last A and B checkpoints have "
        )
        + ("**the same rows**." if identical else "**DIFFERENT rows**."),
        "",
        "| pair | variant | load (1 min) | checkpoint s | write s | total s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in runs:
        pair = f"{r['pair']}{' (warm-up)' if r['warmup'] else ''}"
        lines.append(
            f"| {pair} | {r['variant']} | {r['load']:.2f} | {r['compute']:.2f} | {r['write']:.2f} "
            f"| {r['total']:.2f} |"
        )
    lines += medians(runs, (("compute", "checkpoint s"), ("write", "write s"), ("total", "total s")))
    return "\n".join(lines) + "\n"


def medians(runs: list[dict], columns: tuple[tuple[str, str], ...]) -> list[str]:
    """The A/B's verdict table: each column's median over the counted (not warm-up) runs of A and of B."""
    counted = [r for r in runs if not r["warmup"]]
    lines = ["", "| median of the counted runs | A | B | B ÷ A |", "|---|---:|---:|---:|"]
    for key, label in columns:
        a = statistics.median(r[key] for r in counted if r["variant"] == "A")
        b = statistics.median(r[key] for r in counted if r["variant"] == "B")
        lines.append(f"| {label} | {a:.2f} | {b:.2f} | {f'{b / a:.3f}' if a else ''} |")
    return lines


def finish(spark, args, text: str) -> None:
    """Prints the report, appends it to ``--write``'s file, and stops the session."""
    print(text)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    spark.stop()


if __name__ == "__main__":
    main()
