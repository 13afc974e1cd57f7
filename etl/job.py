"""The ETL job: raw events → events_clean, quarantine, demand_daily, series_state, and a run manifest.

One script, two places (docs/etl.md):
- Glue 5.0: the job's script. ``awsglue`` exists only there, so it is imported only there (``_start``).
- Locally: ``spark-submit etl/job.py --raw DIR --processed DIR`` (what ``warecast etl`` runs).

The steps are plain functions over DataFrames from etl/events.py, etl/demand.py and etl/state.py; this module
only reads, writes, counts and commits. A run writes every table to a staging area, commits by writing its
manifest (etl/manifest.py), then moves its files into place (etl/commit.py); one run at a time (etl/lock.py).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.utils import AnalysisException

from etl.accuracy_run import run_accuracy
from etl.closed_days import CALENDAR_KEY, merge_closed_days, parse_calendar
from etl.commit import PARTITIONS, WHOLE_TABLE, Staging, apply, recover
from etl.demand import DEMAND_COLUMNS, DEMAND_SCHEMA, closed_days_frame, daily_demand, write_rewritten_months
from etl.events import (
    EVENT_SCHEMA,
    QUARANTINE_COLUMNS,
    QUARANTINE_SCHEMA,
    clean_events,
    duplicate_rows,
    quarantine_rows,
    repeated_ids,
)
from etl.frames import local_rows
from etl.lock import store_lock
from etl.manifest import build_manifest, check_counts, committed_manifests, new_run_id, write_manifest
from etl.options import JobOptions, parse_args
from etl.raw_objects import read_checked
from etl.records import UNREADABLE_OBJECT, RecordChecker
from etl.run_counts import (
    DemandCounts,
    RecordCounts,
    RunCounts,
    UnreadableObject,
    no_demand,
    no_records,
    run_counts,
)
from etl.schema_rules import compile_schema, load_limits
from etl.state import STATE_COLUMNS, STATE_SCHEMA, series_state
from etl.storage import ObjectInfo, Storage

__all__ = ["TABLES", "SESSION_CONF", "main", "run"]

log = logging.getLogger("warecast.etl")

EVENTS_PREFIX = "events/"
TABLES = ("events_clean", "quarantine", "demand_daily", "series_state")
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    # Partition values stay strings: warehouse "007" must not become the integer 7.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    # The checked records' cache (the first step's persist) is kept uncompressed: choosing each column's
    # encoding looks every string up in a hash map per batch of 10,000 rows (event ids never repeat): about
    # two thirds of building the cache, which was most of read and validate's JVM time. Uncompressed, that
    # step took 0.68 of the time at 5M events for a cache 14% larger (bench/etl/RESULTS.md, docs/etl.md).
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
}


@dataclass(frozen=True)
class _Rewrite:
    """What a run rewrote in demand_daily: per touched warehouse, every month from ``from_month`` on."""

    starts: DataFrame  # warehouse_id, from_month (small, built on the driver)
    demand: DataFrame  # the touched warehouses' full demand history (computed once: _computed)
    history: DataFrame  # the touched warehouses' clean events (all committed runs + this one)


def run(
    spark: SparkSession, opts: JobOptions, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> dict:
    """Runs the job once and returns its manifest (committed, its files in place)."""
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    started = clock()
    run_id = new_run_id(started)
    raw, processed = Storage(spark, opts.raw), Storage(spark, opts.processed)
    # Inputs that can be wrong are read before anything is written.
    closed_days = _closed_days(raw, opts)
    schema = _read_schema(spark, opts.schema)
    checker = RecordChecker(compile_schema(schema), load_limits(schema))

    with store_lock(processed.root, run_id, started):
        recover(processed)
        history = [] if opts.reprocess else committed_manifests(processed)
        committed = [m["run_id"] for m in history]
        done = {o["key"] for m in history for o in m.get("objects", [])}
        # docs/architecture.md: readers match *.ndjson.gz under events/ and ignore anything else.
        objects = [
            o for o in raw.list_files(EVENTS_PREFIX) if o.key.endswith(".ndjson.gz") and o.key not in done
        ]
        log.info(
            "run %s: %d new raw objects (%s)",
            run_id,
            len(objects),
            "reprocess" if opts.reprocess else "incremental",
        )
        staging = Staging(processed, run_id)
        counts = (
            _process(spark, opts, raw, processed, staging, committed, objects, closed_days, checker)
            if objects
            else run_counts(no_records(), no_demand(), series_state_rows=0)
        )
        check_counts(counts)
        scope = WHOLE_TABLE if opts.reprocess else PARTITIONS
        journal = staging.write_journal({t: scope for t in TABLES} | {"accuracy": PARTITIONS})

        manifest = build_manifest(
            run_id=run_id,
            started=started,
            finished=clock(),
            reprocess=opts.reprocess,
            objects=objects,
            counts=counts,
            settings={
                "default_time_zone": opts.default_time_zone,
                "time_zones": dict(opts.time_zones),
                "state_window_days": opts.state_window_days,
                "closed_days": len(closed_days),
            },
        )
        uri = write_manifest(processed, manifest)  # the commit point
        apply(processed, journal)
    log.info("run %s committed: %s", run_id, uri)
    return manifest


class _Steps:
    """Logs how long each step took (the run's profile in the job's log)."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def done(self, step: str) -> None:
        now = time.monotonic()
        log.info("step %s: %.1f s", step, now - self._last)
        self._last = now


# (warehouse_id, sku) → (events, first date) of the run's new events.
_NewSeries = dict[tuple[str, str], tuple[int, date]]


def _process(
    spark: SparkSession,
    opts: JobOptions,
    raw: Storage,
    processed: Storage,
    staging: Staging,
    committed: list[str],
    objects: list[ObjectInfo],
    closed_days: list[tuple[str, date]],
    checker: RecordChecker,
) -> RunCounts:
    steps = _Steps()
    run_id = staging.run_id
    checked = read_checked(spark, raw, objects, checker).persist(StorageLevel.MEMORY_AND_DISK)
    # One pass over the records read: it checks them all (filling the cache) and counts them.
    read = dict(checked.groupBy(F.col("reason").isNull()).count().collect())
    records_in = sum(read.values())
    steps.done("read and validate")

    quarantined_by_reason: dict[str, int] = {}
    unreadable: list[UnreadableObject] = []
    if read.get(False):
        quarantine = quarantine_rows(checked).withColumn("run_id", F.lit(run_id))
        quarantine.select("run_id", *QUARANTINE_COLUMNS).coalesce(1).write.mode("overwrite").partitionBy(
            "run_id"
        ).parquet(staging.uri("quarantine"))
        # Measured from what was written: the staged partition, read back.
        quarantined_by_reason, unreadable = _measure_quarantine(
            _read_partitioned(spark, staging.uri("quarantine"), QUARANTINE_SCHEMA)
        )
    steps.done("quarantine")

    events = clean_events(checked, opts.time_zones, opts.default_time_zone)
    known_ids = _read_events(spark, processed, committed).select("event_id") if committed else None
    # Persisted and counted before the joins that read them, not checkpointed: the planner then knows the
    # caches' measured sizes and broadcasts the few repeated ids and duplicates, so the events are not
    # shuffled (a checkpoint carries only an estimate: it shuffled every event at 1M). Coalesced to Spark's
    # default parallelism first (4 for `warecast etl`): adaptive execution does not coalesce a persisted
    # plan's shuffle, whose 32 partitions of a few ids each cost a task apiece in each stage that builds or
    # reads a cache.
    slots = spark.sparkContext.defaultParallelism
    repeated = repeated_ids(events, known_ids).coalesce(slots).persist()
    duplicates = duplicate_rows(events, repeated).coalesce(slots).persist() if repeated.count() else None
    duplicates_by_kind: dict[str, int] = {}
    unique = events
    if duplicates is not None:
        duplicates_by_kind = dict(duplicates.groupBy("duplicate_of").count().collect())
        unique = events.join(duplicates, ["source", "line"], "left_anti")
    unique.withColumn("run_id", F.lit(run_id)).write.mode("overwrite").partitionBy(
        "run_id", "warehouse_id"
    ).parquet(staging.uri("events_clean"))
    if duplicates is not None:
        duplicates.unpersist()
    repeated.unpersist()
    checked.unpersist()
    steps.done("dedupe and events_clean")

    # Measured from what was written: the run's staged events, read back, per series.
    new_events = _read_partitioned(spark, staging.uri("events_clean"), _EVENTS_CLEAN_SCHEMA)
    new_series: _NewSeries = {
        (r["warehouse_id"], r["sku"]): (r["events"], r["first"])
        for r in new_events.groupBy("warehouse_id", "sku")
        .agg(F.count(F.lit(1)).alias("events"), F.min("date").alias("first"))
        .collect()
    }
    valid = sum(n for n, _first in new_series.values())
    steps.done("count written")

    records = RecordCounts(
        records_in=records_in,
        valid=valid,
        quarantined=sum(quarantined_by_reason.values()),
        quarantined_by_reason=dict(sorted(quarantined_by_reason.items())),
        duplicates=sum(duplicates_by_kind.values()),
        duplicates_by_kind={"within_run": 0, "earlier_runs": 0, **duplicates_by_kind},
        unreadable_objects=unreadable,
    )
    if not valid:
        return run_counts(records, no_demand(), series_state_rows=0)
    rewrite = _rewrite_demand(spark, processed, staging, committed, new_events, new_series, closed_days)
    measured, dates = _measure_demand(spark, staging, rewrite, valid, bool(committed))
    steps.done("demand_daily")
    # Accuracy against actuals: the forecasts served for the rewritten dates (docs/observability.md).
    demand = _demand_as_committed(spark, processed, staging, rewrite.starts, opts.reprocess)
    accuracy = run_accuracy(spark, raw, demand, rewrite.starts, staging.uri("accuracy"), dates=dates)
    steps.done("accuracy")
    state_rows = _write_state(spark, opts, staging, rewrite)
    steps.done("series_state")
    return run_counts(records, measured, state_rows, accuracy)


def _computed(frame: DataFrame) -> DataFrame:
    """``frame`` computed now and kept (memory, else disk) for the queries that read it next.

    A local checkpoint, not ``persist``: a persisted plan runs inside the first query that reads it, where
    adaptive execution keeps all its shuffle partitions (the demand windows ran 32 tasks for the demo's 212k
    events). A checkpoint runs as a query of its own, whose shuffles adaptive execution coalesces to what the
    data needs, and the queries after it plan from its rows instead of re-planning the computation
    (bench/etl/RESULTS.md). Spark frees it with the DataFrame (Spark's context cleaner)."""
    return frame.localCheckpoint(eager=True)


def _measure_quarantine(written: DataFrame) -> tuple[dict[str, int], list[UnreadableObject]]:
    """Rows per reason, and the objects that could not be read to their end (one row each), in one pass."""
    unreadable = F.col("reason").startswith(f"{UNREADABLE_OBJECT}:")
    rows = (
        written.groupBy(
            "reason",
            F.when(unreadable, F.col("source")).alias("source"),
            F.when(unreadable, F.col("line")).alias("line"),
        )
        .count()
        .collect()
    )
    by_reason: dict[str, int] = {}
    for r in rows:
        by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + r["count"]
    objects = [
        UnreadableObject(key=r["source"], reason=r["reason"], complete_lines=r["line"] - 1)
        for r in sorted(rows, key=lambda r: r["source"] or "")
        if r["source"] is not None
    ]
    return by_reason, objects


def _rewrite_demand(
    spark: SparkSession,
    processed: Storage,
    staging: Staging,
    committed: list[str],
    new_events: DataFrame,
    new_series: _NewSeries,
    closed_days: list[tuple[str, date]],
) -> _Rewrite:
    """Recomputes the touched warehouses' demand and stages the partitions new events can change."""
    warehouses = sorted({warehouse for warehouse, _sku in new_series})
    # The run's new events are all in the touched warehouses.
    history = new_events
    old_last: dict[tuple[str, str], date] = {}
    if committed:
        earlier = _read_events(spark, processed, committed).filter(F.col("warehouse_id").isin(warehouses))
        history = earlier.unionByName(new_events)
        old_last = {
            (r["warehouse_id"], r["sku"]): r["last"]
            for r in earlier.groupBy("warehouse_id", "sku").agg(F.max("date").alias("last")).collect()
        }
    starts_by_warehouse = sorted(_rewrite_starts(new_series, old_last).items())
    starts = local_rows(
        spark, ({"warehouse_id": w, "from_month": m} for w, m in starts_by_warehouse), _STARTS_SCHEMA
    )
    closed = closed_days_frame(spark, closed_days) if closed_days else None
    demand = _computed(daily_demand(history, closed))
    write_rewritten_months(demand, starts, staging.uri("demand_daily"))
    return _Rewrite(starts=starts, demand=demand, history=history)


def _rewrite_starts(new_series: _NewSeries, old_last: dict[tuple[str, str], date]) -> dict[str, str]:
    """Per warehouse, the first month (YYYY-MM) new events change: their earliest date, or the day after the
    series' previous last date when they extend it (the gap is zero-filled). Stock carries forward, so every
    later month of the warehouse is rewritten too."""
    starts: dict[str, str] = {}
    for (warehouse, sku), (_events, first) in new_series.items():
        last = old_last.get((warehouse, sku))
        start = first if last is None else min(first, last + timedelta(days=1))
        month = start.strftime("%Y-%m")
        starts[warehouse] = min(starts.get(warehouse, month), month)
    return starts


def _measure_demand(
    spark: SparkSession, staging: Staging, rewrite: _Rewrite, valid: int, incremental: bool
) -> tuple[DemandCounts, list[date]]:
    """The manifest's demand counts, read back from the staged partitions, and the dates they hold (the
    accuracy step evaluates those)."""
    written = _read_partitioned(spark, staging.uri("demand_daily"), DEMAND_SCHEMA)
    row = written.agg(
        F.count(F.lit(1)).alias("rows"),
        F.coalesce(F.sum("event_count"), F.lit(0)).alias("events"),
        F.countDistinct("warehouse_id", "month").alias("partitions"),
        F.array_sort(F.collect_set(F.col("date").cast("date"))).alias("dates"),
    ).first()
    # Every new event lies in a rewritten partition (the rewrite starts at the earliest of them); committed
    # events count where their month is rewritten.
    expected = valid
    if incremental:
        expected += (
            rewrite.history.filter(F.col("run_id") != staging.run_id)
            .join(F.broadcast(rewrite.starts), "warehouse_id")
            .filter(F.date_format("date", "yyyy-MM") >= F.col("from_month"))
            .count()
        )
    measured = DemandCounts(
        demand_rows_written=row["rows"],
        partitions_rewritten=row["partitions"],
        demand_events_reflected=row["events"],
        events_in_rewritten_partitions=expected,
    )
    return measured, list(row["dates"])


def _demand_as_committed(
    spark: SparkSession, processed: Storage, staging: Staging, starts: DataFrame, reprocess: bool
) -> DataFrame:
    """demand_daily as it will be once this run commits: its staged partitions over the committed table."""
    staged = _read_partitioned(spark, staging.uri("demand_daily"), DEMAND_SCHEMA).select(*DEMAND_COLUMNS)
    if reprocess or not processed.exists("demand_daily"):
        return staged
    kept = (
        _read_partitioned(spark, processed.uri("demand_daily"), DEMAND_SCHEMA)
        .join(F.broadcast(starts), "warehouse_id", "left")
        .filter(F.col("from_month").isNull() | (F.col("month") < F.col("from_month")))
        .select(*DEMAND_COLUMNS)
    )
    return kept.unionByName(staged)


def _write_state(spark: SparkSession, opts: JobOptions, staging: Staging, rewrite: _Rewrite) -> int:
    last_events = rewrite.history.groupBy("warehouse_id", "sku").agg(
        F.max("occurred_at").alias("last_event_at")
    )
    state = series_state(rewrite.demand, last_events, opts.state_window_days, staging.run_id)
    state.select(*STATE_COLUMNS).repartition("warehouse_id").write.mode("overwrite").partitionBy(
        "warehouse_id"
    ).parquet(staging.uri("series_state"))
    return _read_partitioned(spark, staging.uri("series_state"), STATE_SCHEMA).count()


_STARTS_SCHEMA = T.StructType(
    [T.StructField("warehouse_id", T.StringType()), T.StructField("from_month", T.StringType())]
)
_EVENTS_CLEAN_SCHEMA = T.StructType([*EVENT_SCHEMA.fields, T.StructField("run_id", T.StringType())])


def _read_partitioned(spark: SparkSession, uri: str, schema: T.StructType) -> DataFrame:
    """A table with its partition columns (``schema`` names them too: no Spark job reads a file's footer to
    infer it); a table with no files yet reads as empty."""
    try:
        return spark.read.schema(schema).option("basePath", uri).parquet(uri)
    except AnalysisException:  # no such directory: nothing was written
        return local_rows(spark, [], schema)


def _read_events(spark: SparkSession, processed: Storage, run_ids: Sequence[str]) -> DataFrame:
    """The committed clean events of the given runs (at least one)."""
    events = _read_partitioned(spark, processed.uri("events_clean"), _EVENTS_CLEAN_SCHEMA)
    return events.filter(F.col("run_id").isin(list(run_ids)))


def _closed_days(raw: Storage, opts: JobOptions) -> list[tuple[str, date]]:
    days = [opts.closed_days]
    if opts.calendar:
        days.append(parse_calendar(_read_text_anywhere(raw.spark, opts.calendar), opts.calendar))
    elif raw.exists(CALENDAR_KEY):
        days.append(parse_calendar(raw.read_text(CALENDAR_KEY), raw.uri(CALENDAR_KEY)))
    return merge_closed_days(*days)


def _read_text_anywhere(spark: SparkSession, location: str) -> str:
    """A small file given as a local path or a URI (s3:// in Glue)."""
    if "://" in location:
        return Storage(spark, location).read_text("")
    with open(location, encoding="utf-8") as handle:
        return handle.read()


def _read_schema(spark: SparkSession, location: str) -> dict:
    """The event schema: a local file (Glue's --extra-files land in the working directory) or a URI."""
    try:
        return json.loads(_read_text_anywhere(spark, location))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"event schema {location}: cannot be read as JSON ({err})") from err


def _start(opts: JobOptions) -> tuple[SparkSession, Callable[[], None]]:
    """The Spark session, and the call that ends the job (Glue's Job.commit, nothing locally)."""
    try:
        from awsglue.context import GlueContext  # only inside Glue
        from awsglue.job import Job
    except ImportError:
        return SparkSession.builder.appName("warecast-etl").getOrCreate(), lambda: None
    from pyspark.context import SparkContext

    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(opts.job_name or "warecast-etl", {"JOB_NAME": opts.job_name or "warecast-etl"})
    return glue.spark_session, job.commit


def _register_partitions(processed: Storage, database: str) -> dict[str, int]:
    """Adds the processed tables' new partitions to the catalog (Athena reads them) through the Glue API
    (etl/catalog.py). A failure fails the run, so its alarm fires; the data is committed already, and the
    next run registers what is still missing."""
    import boto3  # present in Glue; local runs have no catalog

    from etl.catalog import register_partitions

    return register_partitions(boto3.client("glue"), processed, database)


def main(argv: Sequence[str] | None = None) -> dict:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    spark, finish = _start(opts)
    spark.sparkContext.setLogLevel("WARN")
    manifest = run(spark, opts)
    if opts.metrics_namespace:
        import boto3  # present in Glue; local runs keep their metrics in the manifest

        from etl.metrics import publish_metrics

        publish_metrics(
            boto3.client("cloudwatch"), opts.metrics_namespace, manifest, opts.job_name or "warecast-etl"
        )
    if opts.catalog_database:
        _register_partitions(Storage(spark, opts.processed), opts.catalog_database)
    summary = {k: manifest[k] for k in ("run_id", "mode", "records_in", "valid", "quarantined", "duplicates")}
    log.info("manifest %s", json.dumps(summary))
    finish()
    return manifest


if __name__ == "__main__":
    main()
