"""The job's read-and-validate step alone, in one Spark session: where its time goes (``--profile``), and an
alternating A/B of two revisions' etl/raw_objects.py on the same raw objects (the pattern of
bench/etl/ab_demand.py, whose session and module loading it shares).

    flock /work/.heavy.lock .venv/bin/python -m bench.etl.ab_read --size 5000000 --profile
    flock /work/.heavy.lock .venv/bin/python -m bench.etl.ab_read --size 5000000 --pairs 4 --write FILE

A run is what etl/job.py's first step does: ``read_checked`` over every raw object of the benchmark's store
(bench/out/etl/v2/nN/raw), persisted (``MEMORY_AND_DISK``) and counted by verdict in one pass; then the
persisted records are dropped. Besides the wall time, each run reports the CPU the JVM and the Python
workers spent (from /proc: the task threads' CPU in Spark's event log leaves out the threads that feed the
workers, and the workers are processes of their own). ``--profile`` runs this checkout's step once on a
fresh JVM (as the job runs it: the first Spark work of the session), optionally under Java Flight Recorder
(``--jfr``), and profiles the Python side of one object without Spark (cProfile).

The A/B: A = ``--baseline``'s etl/raw_objects.py (main by default), B = this checkout's; A and B alternate,
A first, ``--warmup`` pairs not counted, then ``--pairs`` counted pairs. The last A and B runs' records are
compared by count and by a sum of each row's hash over every column (the same multiset of rows, with
overwhelming probability).
"""

from __future__ import annotations

import ast
import cProfile
import gc
import io
import os
import pstats
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.etl.ab_demand import OUT, REPO, ab_parser, finish, load_module, medians, session

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds of a process (user + system), with its reaped children's when ``children``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / _TICK


def python_workers_cpu() -> float:
    """CPU seconds of PySpark's Python daemon and its workers (forked from it: a worker that has exited is in
    the daemon's children's time)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"pyspark.daemon" in cmdline or b"pyspark/daemon.py" in cmdline:
            total += _proc_cpu(int(entry.name), children=True)
    return total


def jvm_cpu(spark) -> float:
    """CPU seconds of the session's JVM (spark-submit execs the JVM, so the gateway's process is it)."""
    return _proc_cpu(spark.sparkContext._gateway.proc.pid)


def raw_objects(spark, size: int):
    """The raw store of ``size`` events and its objects, as the job lists them."""
    from etl.storage import Storage

    raw = Storage(spark, str(OUT / f"n{size}" / "raw"))
    objects = [o for o in raw.list_files("events/") if o.key.endswith(".ndjson.gz")]
    return raw, objects


def checker():
    from etl.records import RecordChecker
    from etl.schema_rules import compile_schema, load_limits, load_schema

    schema = load_schema(REPO / "schemas" / "event.schema.json")
    return RecordChecker(compile_schema(schema), load_limits(schema))


def one_run(spark, module, raw, objects, check, cache: bool = True) -> dict:
    """etl/job.py's read-and-validate step with ``module``'s read_checked: seconds, CPU, the verdicts and the
    cache's size (``cache`` False: the same count without persisting the records, for the profile); then,
    timed apart, one read of every column of the valid records (a ``noop`` write), as events_clean's write
    reads them back from the cache."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    jvm0, py0, t0 = jvm_cpu(spark), python_workers_cpu(), time.monotonic()
    checked = module.read_checked(spark, raw, objects, check)
    if cache:
        checked = checked.persist(StorageLevel.MEMORY_AND_DISK)
    read = dict(checked.groupBy(F.col("reason").isNull()).count().collect())
    seconds = time.monotonic() - t0
    jvm1 = jvm_cpu(spark)
    stored = [(i.memSize(), i.diskSize()) for i in spark.sparkContext._jsc.sc().getRDDStorageInfo()]
    back = 0.0
    if cache:
        t1 = time.monotonic()
        checked.filter(F.col("reason").isNull()).write.format("noop").mode("overwrite").save()
        back = time.monotonic() - t1
    return {
        "seconds": seconds,
        "jvm": jvm1 - jvm0,
        "python": python_workers_cpu() - py0,
        "valid": read.get(True, 0),
        "rejected": read.get(False, 0),
        "memory_mb": sum(m for m, _d in stored) / 1e6,
        "disk_mb": sum(d for _m, d in stored) / 1e6,
        "read_back": back,
        "checked": checked,
    }


def session_conf(rev: str) -> dict[str, str]:
    """etl/job.py's SESSION_CONF at git revision ``rev``: the literal, read without running the module."""
    source = subprocess.run(
        ["git", "show", f"{rev}:etl/job.py"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout
    for node in ast.parse(source).body:
        names = [getattr(t, "id", None) for t in getattr(node, "targets", [])]
        if isinstance(node, ast.Assign) and names == ["SESSION_CONF"]:
            return ast.literal_eval(node.value)
    raise ValueError(f"{rev}:etl/job.py has no SESSION_CONF literal")


def use_settings(spark, settings: dict[str, str], every_key: set[str]) -> None:
    """The session's settings of a variant: its job's SESSION_CONF, and Spark's defaults for the keys only the
    other variant sets."""
    for key in sorted(every_key):
        if key in settings:
            spark.conf.set(key, settings[key])
        else:
            spark.conf.unset(key)


def fingerprint(checked) -> tuple[int, int]:
    """(rows, the sum of every row's 64-bit hash over all columns): equal for the same multiset of rows."""
    from pyspark.sql import functions as F

    row = checked.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.xxhash64(*checked.columns).cast("decimal(38,0)")).alias("h"),
    ).first()
    return row["n"], int(row["h"] or 0)


def python_profile(objects_dir: Path, check, top: int = 18) -> str:
    """cProfile of this checkout's per-object work (etl/raw_objects.py ``_check_objects``'s body: gunzip,
    split, check, columns, Arrow batches) on the store's first object, by function (own time)."""
    import pyarrow as pa

    from etl.raw_objects import _arrow_schema, _check_object, without_pandas

    without_pandas(pa)
    path = sorted(objects_dir.rglob("*.ndjson.gz"))[0]
    content = path.read_bytes()
    schema = _arrow_schema(pa)
    source = str(path.relative_to(objects_dir.parent))
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def work() -> int:
        rows = 0
        for columns in _check_object(check, source, modified, content):
            rows += pa.RecordBatch.from_pydict(columns, schema=schema).num_rows
        return rows

    work()  # warm: caches, imports
    t0 = time.process_time()
    rows = work()
    plain = time.process_time() - t0
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return (
        f"{source}: {len(content) / 1e6:.1f} MB compressed, {rows:,} rows, {plain:.3f} s of CPU "
        f"({plain / rows * 1e6:.2f} µs a row) without the profiler\n" + out.getvalue()
    )


def summarize_jfr(path: Path, top: int = 25) -> str:
    """The JVM's execution samples by thread kind and by the frames that say what the thread was doing."""
    text = subprocess.run(
        [str(_JDK / "bin" / "jfr"), "print", "--events", "jdk.ExecutionSample", "--stack-depth", "200"]
        + [str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    samples = text.split("jdk.ExecutionSample")[1:]
    kinds: dict[str, int] = {}
    by_thread: dict[str, int] = {}
    top_frames: dict[str, int] = {}
    for sample in samples:
        thread = next((ln for ln in sample.splitlines() if "sampledThread" in ln), "")
        name = thread.split('"')[1] if '"' in thread else "?"
        by_thread[_thread_kind(name)] = by_thread.get(_thread_kind(name), 0) + 1
        frames = [ln.strip() for ln in sample.splitlines() if "line:" in ln]
        if frames:
            head = frames[0].split("(")[0]
            top_frames[head] = top_frames.get(head, 0) + 1
        kind = _sample_kind(frames)
        kinds[kind] = kinds.get(kind, 0) + 1
    n = len(samples) or 1
    lines = [f"{len(samples):,} execution samples", "", "by thread:"]
    lines += [f"  {k}: {v} ({v / n:.0%})" for k, v in sorted(by_thread.items(), key=lambda kv: -kv[1])]
    lines += ["", "by what the stack is doing (first match, innermost frame first):"]
    lines += [f"  {k}: {v} ({v / n:.0%})" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])]
    lines += ["", "top frames (self):"]
    lines += [f"  {v} ({v / n:.1%}) {k}" for k, v in sorted(top_frames.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines) + "\n"


def _thread_kind(name: str) -> str:
    if name.startswith("Executor task launch"):
        return "task threads"
    if name.startswith("stdout writer") or "writer for" in name:
        return "writer to Python"
    return name.split(" ")[0] if name else "?"


# (what, a frame marker): the first marker found, walking from the innermost frame outwards, names the sample.
_MARKERS = [
    ("cache build (columnar, compression stats)", "columnar.compression"),
    ("cache build (columnar builders)", "columnar."),
    ("cache build (columnar builders)", "CachedBatch"),
    ("Arrow: reading Python's batches", "org.apache.arrow"),
    ("Arrow: Python's batches to rows", "ArrowColumnVector"),
    ("Arrow: Python's batches to rows", "ColumnarBatchRow"),
    ("Arrow: writing the input to Python", "ArrowWriter"),
    ("Arrow: writing the input to Python", "PythonRunner$WriterThread"),
    ("shuffle (write or read)", "shuffle"),
    ("block manager (storing the cache)", "storage.memory"),
    ("block manager (storing the cache)", "BlockManager"),
    ("code generated operators", "GeneratedClass"),
    ("reading files", "BinaryFileFormat"),
    ("reading files", "FileScanRDD"),
    ("planning and analysis (driver)", "catalyst"),
    ("planning and analysis (driver)", "execution.QueryExecution"),
]


def _sample_kind(frames: list[str]) -> str:
    for frame in frames:
        for kind, marker in _MARKERS:
            if marker in frame:
                return kind
    return "other"


_JDK = Path(os.environ.get("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64"))


def _jcmd(spark, *command: str) -> None:
    pid = str(spark.sparkContext._gateway.proc.pid)
    subprocess.run([str(_JDK / "bin" / "jcmd"), pid, *command], check=True, capture_output=True)


def profile_step(spark, module, raw, objects, check, args, load_start: str) -> None:
    """The step once on this fresh JVM (the job's case: its first Spark work), under a Flight Recording when
    ``args.jfr``; then, warm, the step alternately with and without its cache (the records counted straight
    from the Python workers' batches), twice each: what persisting them costs."""
    if args.jfr is not None:
        _jcmd(spark, "JFR.start", "name=step", "settings=profile")
    run = one_run(spark, module, raw, objects, check)
    if args.jfr is not None:
        _jcmd(spark, "JFR.dump", "name=step", f"filename={args.jfr}")
        _jcmd(spark, "JFR.stop", "name=step")
    print(
        f"{len(objects)} objects, {sum(o.size for o in objects) / 1e6:.1f} MB, cold JVM: "
        f"{run['seconds']:.1f} s, JVM CPU {run['jvm']:.1f} s, Python workers' CPU {run['python']:.1f} s, "
        f"{run['valid']:,} valid, {run['rejected']:,} rejected; load "
        f"{load_start} → {' / '.join(f'{v:.1f}' for v in os.getloadavg())}",
        flush=True,
    )
    if args.event_log is not None:  # a step line for bench/etl/profile.py
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
        (args.event_log / "step.log").write_text(
            f"{stamp} INFO ab_read: step read and validate: {run['seconds']:.1f} s\n"
        )
    run["checked"].unpersist(blocking=True)
    for _ in range(2):
        for cache in (True, False):
            gc.collect()
            spark.sparkContext._jvm.System.gc()
            load = os.getloadavg()[0]
            run = one_run(spark, module, raw, objects, check, cache=cache)
            run["checked"].unpersist(blocking=True)
            print(
                f"warm, {'persisted as the job does' if cache else 'not persisted'}: {run['seconds']:.2f} s, "
                f"JVM CPU {run['jvm']:.1f} s, Python CPU {run['python']:.1f} s, load {load:.2f}",
                flush=True,
            )
    spark.stop()
    if args.jfr is not None:
        print(summarize_jfr(args.jfr))


def main() -> None:
    parser = ab_parser("etl/raw_objects.py")
    parser.add_argument("--profile", action="store_true", help="one run of this checkout's step, profiled")
    parser.add_argument("--jfr", type=Path, default=None, help="with --profile: a Flight Recording here")
    parser.add_argument("--event-log", type=Path, default=None, help="record Spark's event log here")
    args = parser.parse_args()

    check = checker()
    if args.profile:
        print(python_profile(OUT / f"n{args.size}" / "raw" / "events", check), flush=True)
    spark = session(args.event_log)
    started = datetime.now(UTC)
    load_start = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    raw, objects = raw_objects(spark, args.size)
    import etl.raw_objects as this

    if args.profile:
        profile_step(spark, this, raw, objects, check, args, load_start)
        return

    args.baseline_sha = subprocess.run(
        ["git", "rev-parse", "--short", args.baseline], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    from etl.job import SESSION_CONF

    # A variant: a revision's read_checked and its job's session settings. An unchanged etl/raw_objects.py is
    # this checkout's module on both sides (the same function, sent to the workers the same way).
    unchanged = not subprocess.run(
        ["git", "diff", "--quiet", args.baseline_sha, "--", "etl/raw_objects.py"], cwd=REPO
    ).returncode
    variants = {
        "A": (
            this if unchanged else load_module(args.baseline_sha, "etl/raw_objects.py"),
            session_conf(args.baseline_sha),
        ),
        "B": (this, SESSION_CONF),
    }
    every_key = {k for _m, conf in variants.values() for k in conf}
    runs: list[dict] = []
    last: dict[str, tuple[int, int]] = {}
    for i in range(args.warmup + args.pairs):
        for name, (module, settings) in variants.items():
            use_settings(spark, settings, every_key)
            gc.collect()
            spark.sparkContext._jvm.System.gc()
            load = os.getloadavg()[0]
            run = one_run(spark, module, raw, objects, check)
            if i == args.warmup + args.pairs - 1:
                last[name] = fingerprint(run["checked"])
            run.pop("checked").unpersist(blocking=True)
            run |= {"pair": i + 1, "variant": name, "warmup": i < args.warmup, "load": load}
            run["total"] = run["seconds"] + run["read_back"]
            runs.append(run)
            print(
                f"pair {i + 1} {name}{' (warm-up)' if run['warmup'] else ''}: step {run['seconds']:.2f} s, "
                f"read-back {run['read_back']:.2f} s, JVM CPU {run['jvm']:.1f} s, Python CPU "
                f"{run['python']:.1f} s, cache {run['memory_mb']:.0f} MB in memory, {run['disk_mb']:.0f} MB "
                f"on disk, load {load:.2f}",
                flush=True,
            )
    load_end = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    finish(spark, args, report(args, runs, last["A"] == last["B"], started, load_start, load_end))


def report(args, runs: list[dict], identical: bool, started, load_start: str, load_end: str) -> str:
    lines = [
        f"### {args.size:,} events: A = {args.baseline} ({args.baseline_sha})'s read-and-validate step, "
        f"B = this checkout's ({started:%Y-%m-%d %H:%MZ})",
        "",
        f"Load average at the start {load_start}, at the end {load_end}. {args.warmup} warm-up pair(s) not "
        f"counted, then {args.pairs} pairs, A first in each. The last A and B runs' records: "
        + ("**the same rows** (count and hash sum)." if identical else "**DIFFERENT rows**."),
        "",
        "| pair | variant | load (1 min) | step s | read-back s | total s | JVM CPU s | Python CPU s "
        "| cache MB (memory / disk) | valid | rejected |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in runs:
        pair = f"{r['pair']}{' (warm-up)' if r['warmup'] else ''}"
        lines.append(
            f"| {pair} | {r['variant']} | {r['load']:.2f} | {r['seconds']:.2f} | {r['read_back']:.2f} "
            f"| {r['total']:.2f} | {r['jvm']:.1f} | {r['python']:.1f} "
            f"| {r['memory_mb']:.0f} / {r['disk_mb']:.0f} | {r['valid']:,} | {r['rejected']:,} |"
        )
    columns = (
        ("seconds", "step s"),
        ("read_back", "read-back s"),
        ("total", "total s"),
        ("jvm", "JVM CPU s (step)"),
        ("python", "Python CPU s"),
    )
    return "\n".join(lines + medians(runs, columns)) + "\n"


if __name__ == "__main__":
    main()
