"""ETL benchmark: events/s of the local job (`warecast etl`: etl/job.py through spark-submit, local[2]) on 1M
and 5M events, against DuckDB doing the same aggregation in the same run, and Spark's fixed start-up cost.

    flock /work/.heavy.lock .venv/bin/python -m bench.etl.run --baseline REV --write bench/etl/RESULTS.md

``--baseline REV`` also runs the job of git revision REV (checked out in a temporary worktree under
bench/out/etl/) on the same data in the same run, and compares the two outputs with bench/etl/compare.py
(counts, reason codes, sorted rows of demand_daily and series_state): the before/after ratio and the equality
check in one command. Each job's step profile (its `step …: N s` log lines) is reported too.

Data: synthetic contract events (sales with promo and price, returns, receipts, inventory counts), 1% of them
re-sent (duplicate event_id) and 0.5% malformed, gzip NDJSON objects of 250k events under events/dt=…/ in
bench/out/etl/v2/ (regenerated when missing). Events start on 2000-01-01 (the contract's earliest valid date)
and arrive (dt=) after the last of them, so every date lies in the occurred_at window. "fixed cost" is a job
run on an empty raw store: JVM, session, listing, manifest. DuckDB's side reads the same objects, keeps the
lines that parse and carry the required fields, dedupes by event_id, dates events in UTC, aggregates per
(warehouse, sku, day), zero-fills each series and writes Parquet partitioned like demand_daily; it does not
evaluate the full schema, stock balances or series_state, so it is a lower bound for the work the job does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.etl.compare import compare
from bench.etl.profile import event_log_options, profile

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "bench" / "out" / "etl" / "v2"
PER_OBJECT = 250_000


def generate(root: Path, n: int, seed: int = 7) -> None:
    """n raw lines in Firehose's layout: ~118 SKUs × 4 warehouses, one day of events per (warehouse, sku)."""
    rng = random.Random(seed)
    start = datetime(2000, 1, 1, tzinfo=UTC)
    series = [(f"W{w}", f"SKU-{s:03d}") for w in range(4) for s in range(118)]
    arrival = start + timedelta(days=(n // len(series)) // 3 + 1)
    lines: list[str] = []
    obj = 0

    def flush() -> None:
        nonlocal obj, lines
        dt = (arrival + timedelta(days=obj % 28)).strftime("%Y-%m-%d")
        key = root / "events" / f"dt={dt}" / f"bench-{obj:04d}.ndjson.gz"
        key.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(key, "wt", encoding="utf-8", compresslevel=1) as handle:
            handle.write("\n".join(lines) + "\n")
        obj += 1
        lines = []

    for i in range(n):
        roll = rng.random()
        if roll < 0.005:
            lines.append('{"event_id": "broken",')
        elif roll < 0.015 and i > 0:
            lines.append(lines[-1] if lines else '{"x": 1}')
        else:
            wh, sku = series[i % len(series)]
            day = start + timedelta(days=(i // len(series)) // 3, hours=rng.randint(6, 20))
            kind = rng.choices(["sale", "return", "receipt", "inventory_snapshot"], [90, 3, 3, 4])[0]
            record = {
                "schema_version": 1,
                "event_id": f"e{i}",
                "event_type": kind,
                "occurred_at": day.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "warehouse_id": wh,
                "sku": sku,
            }
            if kind == "inventory_snapshot":
                record["on_hand"] = rng.randint(0, 200)
            else:
                record["quantity"] = rng.randint(1, 5)
            if kind == "sale":
                record["unit_price"] = round(rng.uniform(1, 3), 2)
                record["promo"] = rng.random() < 0.1
            lines.append(json.dumps(record, separators=(",", ":")))
        if len(lines) == PER_OBJECT:
            flush()
    if lines:
        flush()


def demo_raw(root: Path) -> None:
    """The demo's raw store: the bundled sales history through `warecast import`, as `warecast demo` does."""
    data = REPO / "data" / "sample" / "pasta" / "hierarchical_sales_data.csv"
    cmd = [str(REPO / "warecast"), "import", str(data), "--format", "wide", "--local", str(root)]
    cmd.append("--no-progress")
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def run_spark(raw: Path, processed: Path, repo: Path = REPO, event_log: bool = False) -> tuple[float, dict]:
    """Wall time of `warecast etl` of ``repo`` (spark-submit of the job, exactly as users run it) and its
    manifest. ``event_log``: Spark's event log too, profiled by step into profile.md beside the output."""
    shutil.rmtree(processed, ignore_errors=True)
    processed.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(repo / "warecast"), "etl", "--raw", str(raw), "--processed", str(processed)]
    log = processed.parent / "etl.log"
    env = dict(os.environ)
    events = processed.parent / "spark-events"
    if event_log:
        # Settings as JVM system properties: any revision's `warecast etl` as is.
        shutil.rmtree(events, ignore_errors=True)
        events.mkdir()
        env["SPARK_SUBMIT_OPTS"] = f"{env.get('SPARK_SUBMIT_OPTS', '')} {event_log_options(events)}".strip()
    t0 = time.monotonic()
    # Kept: a failed run must show why (a 5M run once died of SparkOutOfMemoryError).
    with log.open("w") as out:
        done = subprocess.run(cmd, cwd=repo, stdout=out, stderr=subprocess.STDOUT, env=env)
    seconds = time.monotonic() - t0
    if done.returncode:
        raise RuntimeError(f"`warecast etl` exited with {done.returncode}: see {log}")
    manifest = json.loads(next((processed / "runs").glob("*.json")).read_text())
    if event_log:
        app = next(f for f in events.iterdir() if f.name.startswith("local-"))
        (processed.parent / "profile.md").write_text(profile(app, log))
    return seconds, manifest


DUCKDB_SQL = """
CREATE OR REPLACE TABLE lines AS
  SELECT * FROM read_json('{glob}', format='newline_delimited', ignore_errors=true, columns={{
    'event_id': 'VARCHAR', 'event_type': 'VARCHAR', 'occurred_at': 'VARCHAR',
    'warehouse_id': 'VARCHAR', 'sku': 'VARCHAR', 'quantity': 'DOUBLE', 'on_hand': 'DOUBLE',
    'unit_price': 'DOUBLE', 'promo': 'BOOLEAN'}});
CREATE OR REPLACE TABLE events AS
  SELECT *, CAST(CAST(occurred_at AS TIMESTAMPTZ) AS DATE) AS date FROM lines
  WHERE event_id IS NOT NULL AND event_type IS NOT NULL AND occurred_at IS NOT NULL
    AND warehouse_id IS NOT NULL AND sku IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY event_id) = 1;
CREATE OR REPLACE TABLE daily AS
  SELECT warehouse_id, sku, date,
    sum(CASE WHEN event_type = 'sale' THEN quantity ELSE 0 END) AS units_sold,
    sum(CASE WHEN event_type = 'return' THEN quantity ELSE 0 END) AS units_returned,
    bool_or(coalesce(promo, false)) AS promo,
    sum(CASE WHEN event_type = 'sale' THEN quantity * unit_price END)
      / nullif(sum(CASE WHEN event_type = 'sale' AND unit_price IS NOT NULL THEN quantity END), 0)
      AS avg_unit_price,
    count(*) AS event_count
  FROM events GROUP BY ALL;
COPY (
  WITH spans AS (SELECT warehouse_id, sku, min(date) AS first, max(date) AS last FROM daily GROUP BY ALL),
  days AS (
    SELECT warehouse_id, sku, CAST(unnest(generate_series(first, last, INTERVAL 1 DAY)) AS DATE) AS date
    FROM spans
  )
  SELECT warehouse_id, sku, date, coalesce(units_sold, 0) AS units_sold,
         coalesce(units_returned, 0) AS units_returned, coalesce(promo, false) AS promo, avg_unit_price,
         coalesce(event_count, 0) AS event_count, strftime(date, '%Y-%m') AS month
  FROM days LEFT JOIN daily USING (warehouse_id, sku, date)
) TO '{out}' (FORMAT parquet, PARTITION_BY (warehouse_id, month), OVERWRITE_OR_IGNORE);
"""


_STEP = re.compile(r"step (.+?): ([0-9.]+) s")


def step_profile(processed: Path) -> str:
    """The job's own step timers, from its log (`step read and validate: 12.3 s`)."""
    log = (processed.parent / "etl.log").read_text(errors="replace")
    return ", ".join(f"{name} {seconds} s" for name, seconds in _STEP.findall(log))


def baseline_checkout(rev: str) -> Path:
    """A worktree of ``rev`` beside the benchmark data, sharing this checkout's node_modules and venv."""
    sha = subprocess.run(["git", "rev-parse", rev], cwd=REPO, check=True, capture_output=True, text=True)
    path = OUT / f"baseline-{sha.stdout.strip()[:12]}"
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=REPO, check=True)
    shared = [".venv"]
    # Shared node_modules only with the same lock file: otherwise each checkout's `warecast` reinstalls them
    # for itself (npm ci) inside the other's timed runs.
    if (path / "package-lock.json").read_bytes() == (REPO / "package-lock.json").read_bytes():
        shared.append("node_modules")
        # A baseline from before setup.sh kept the lock file's hash calls the shared node_modules stale when
        # package-lock.json is newer, as a fresh checkout's is: its first `warecast` reinstalled the shared
        # packages, and this checkout's next run (the timed fixed cost) again (40 s of npm ci, 23:47Z).
        stat = (REPO / "package-lock.json").stat()
        os.utime(path / "package-lock.json", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    for name in shared:
        if not (path / name).exists():
            (path / name).symlink_to(REPO / name)
    return path


def run_duckdb(raw: Path, out: Path) -> tuple[float, int]:
    import duckdb

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    con = duckdb.connect()
    con.execute("SET threads = 2; SET TimeZone = 'UTC'")
    con.execute(DUCKDB_SQL.format(glob=f"{raw}/events/*/*.ndjson.gz", out=out))
    seconds = time.monotonic() - t0
    valid = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.close()
    return seconds, valid


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return (
        f"nproc {os.cpu_count()}, {cpu}, {mem:.1f} GiB RAM, {java}, Python {platform.python_version()}, "
        f"Linux {platform.release()}; load average at start {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sizes",
        default="1000000,5000000",
        help="event counts, and 'demo' for the bundled data through `warecast import` (the demo's ETL stage)",
    )
    parser.add_argument("--baseline", default=None, help="git revision to run and compare on the same data")
    parser.add_argument(
        "--event-logs",
        action="store_true",
        help="record Spark's event logs; profile.md per run (bench/etl/profile.py)",
    )
    parser.add_argument("--write", default=None, help="write the results table to this Markdown file")
    args = parser.parse_args()
    sizes = args.sizes.split(",")
    header = machine()
    baseline = baseline_checkout(args.baseline) if args.baseline else None

    empty = OUT / "empty" / "raw"
    (empty / "events").mkdir(parents=True, exist_ok=True)
    # Untimed first runs: `warecast` sets up what a checkout lacks (npm packages, the CLI build, the venv's
    # Java) on its first command, which must not land in a timed run.
    for checkout in [REPO] + ([baseline] if baseline is not None else []):
        run_spark(empty, OUT / "empty" / "processed", checkout)
    fixed, _ = run_spark(empty, OUT / "empty" / "processed")
    rows = []
    for size in sizes:
        name = "demo" if size == "demo" else f"n{int(size)}"
        raw = OUT / name / "raw"
        if not (raw / "events").exists():
            # Made beside and renamed into place: an interrupted run never leaves a partial data set.
            partial = raw.with_name("raw.partial")
            shutil.rmtree(partial, ignore_errors=True)
            if size == "demo":
                demo_raw(partial)
            else:
                generate(partial, int(size))
            partial.rename(raw)
        processed = OUT / name / "job" / "processed"
        load = os.getloadavg()[0]
        spark_s, manifest = run_spark(raw, processed, event_log=args.event_logs)
        n = manifest["records_in"]
        row = {"n": n, "label": f"{n:,}" + (" (demo)" if size == "demo" else ""), "load": load}
        row |= {"spark": spark_s, "manifest": manifest, "profile": step_profile(processed)}
        if baseline is not None:
            before = OUT / name / "baseline" / "processed"
            row["baseline_load"] = os.getloadavg()[0]
            row["baseline"], _ = run_spark(raw, before, baseline, args.event_logs)
            row["baseline_profile"] = step_profile(before)
            same, row["equality"] = compare(before, processed)
            (OUT / name / "equality.md").write_text(row["equality"])
            row["equal"] = "identical" if same else "**DIFFERENT**"
        row["duck"], row["duck_valid"] = run_duckdb(raw, OUT / name / "duckdb")
        rows.append(row)
        print(f"{row['label']}: spark {spark_s:.1f} s, duckdb {row['duck']:.1f} s", flush=True)
        # Written after every size, so a long run leaves its finished rows behind.
        text = _report(header, fixed, rows, args.baseline)
        if args.write:
            Path(args.write).write_text(text)
    print(text)


def _report(header: str, fixed: float, rows: list[dict], baseline: str | None) -> str:
    command = "flock /work/.heavy.lock .venv/bin/python -m bench.etl.run"
    command += f" --baseline {baseline}" if baseline else ""
    lines = [
        "# ETL benchmark (bench/etl/run.py)",
        "",
        f"Generated by `{command} --write bench/etl/RESULTS.md` on {datetime.now(UTC):%Y-%m-%dT%H:%MZ}.",
        f"Machine: {header}.",
        "The machine is shared: absolute times are noisy; the ratios within one run are the result.",
        "",
        "Spark's fixed cost (the job on an empty raw store: JVM start, session, listing, manifest): "
        f"**{fixed:.1f} s**.",
        "",
        "| events | load (1 min) | spark-submit s | events/s | events/s minus fixed cost | DuckDB s "
        "| DuckDB events/s | Spark ÷ DuckDB time | net of fixed cost ÷ DuckDB | valid (job / DuckDB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        n, spark_s, duck_s = r["n"], r["spark"], r["duck"]
        # Under changing load the fixed cost can exceed a later run's whole time: then there is no net rate.
        net = f"{n / (spark_s - fixed):,.0f}" if spark_s > fixed else "n/a"
        net_ratio = f"{(spark_s - fixed) / duck_s:.1f}×" if spark_s > fixed else "n/a"
        lines.append(
            f"| {r['label']} | {r['load']:.1f} | {spark_s:.1f} | {n / spark_s:,.0f} | {net} | {duck_s:.1f} "
            f"| {n / duck_s:,.0f} "
            f"| {spark_s / duck_s:.1f}× | {net_ratio} | {r['manifest']['valid']:,} / {r['duck_valid']:,} |"
        )
    if baseline:
        lines += [
            "",
            f"Against the baseline `{baseline}` (same data, same run; equality by bench/etl/compare.py):",
            "",
            "| events | load (1 min) | baseline s | this s | this ÷ baseline | outputs |",
            "|---:|---:|---:|---:|---:|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['label']} | {r['baseline_load']:.1f} | {r['baseline']:.1f} | {r['spark']:.1f} "
                f"| {r['spark'] / r['baseline']:.2f} "
                f"| {r['equal']} |"
            )
    lines += ["", "Step profiles (the job's own timers):", ""]
    for r in rows:
        lines.append(f"- {r['label']} events: {r['profile']}")
        if baseline:
            lines.append(f"  - baseline: {r['baseline_profile']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
