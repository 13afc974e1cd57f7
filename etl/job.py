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
from datetime import UTC, datetime
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.utils import AnalysisException

from etl.accuracy_run import run_accuracy
from etl.closed_days import CALENDAR_KEY, merge_closed_days, parse_calendar
from etl.commit import PARTITIONS, WHOLE_TABLE, Staging, apply, recover
from etl.demand import DEMAND_COLUMNS, closed_days_frame, daily_demand
from etl.events import (
    EVENT_SCHEMA,
    QUARANTINE_COLUMNS,
    QUARANTINE_SCHEMA,
    clean_events,
    dedupe,
    quarantine_rows,
)
from etl.lock import store_lock
from etl.manifest import build_manifest, check_counts, committed_manifests, new_run_id, write_manifest
from etl.options import JobOptions, parse_args
from etl.raw_objects import read_checked
from etl.records import UNREADABLE_OBJECT, RecordChecker
from etl.schema_rules import compile_schema, load_limits
from etl.state import STATE_COLUMNS, series_state
from etl.storage import Storage

__all__ = ["TABLES", "SESSION_CONF", "main", "run"]

log = logging.getLogger("warecast.etl")

EVENTS_PREFIX = "events/"
TABLES = ("events_clean", "quarantine", "demand_daily", "series_state")
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    # Partition values stay strings: warehouse "007" must not become the integer 7.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}


@dataclass(frozen=True)
class _Rewrite:
    """What a run rewrote in demand_daily: per touched warehouse, every month from ``from_month`` on."""

    starts: DataFrame  # warehouse_id, from_month
    demand: DataFrame  # the touched warehouses' full demand history (cached)
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
        counts = _empty_counts()
        if objects:
            counts = _process(spark, opts, raw, processed, staging, committed, objects, closed_days, checker)
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


def _process(
    spark, opts, raw, processed, staging, committed, objects, closed_days, checker
) -> dict[str, Any]:
    steps = _Steps()
    run_id = staging.run_id
    checked = read_checked(spark, [raw.uri(o.key) for o in objects], raw.root, checker).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    records_in = checked.count()
    steps.done("read and validate")

    quarantine = quarantine_rows(checked).withColumn("run_id", F.lit(run_id))
    quarantine.select("run_id", *QUARANTINE_COLUMNS).coalesce(1).write.mode("overwrite").partitionBy(
        "run_id"
    ).parquet(staging.uri("quarantine"))
    steps.done("quarantine")

    events = clean_events(checked, opts.time_zones, opts.default_time_zone)
    marked = dedupe(events, _read_events(spark, processed, committed).select("event_id")).persist()
    duplicates_by_kind = {
        r["duplicate_of"]: r["count"]
        for r in marked.filter("duplicate_of IS NOT NULL").groupBy("duplicate_of").count().collect()
    }
    unique = marked.filter("duplicate_of IS NULL").drop("duplicate_of").withColumn("run_id", F.lit(run_id))
    unique.repartition("warehouse_id").write.mode("overwrite").partitionBy("run_id", "warehouse_id").parquet(
        staging.uri("events_clean")
    )
    steps.done("dedupe and events_clean")

    # Measured from what was written: read the staged partitions back.
    written_quarantine = _read_partitioned(spark, staging.uri("quarantine"), QUARANTINE_SCHEMA)
    quarantined_by_reason = {
        r["reason"]: r["count"] for r in written_quarantine.groupBy("reason").count().collect()
    }
    new_events = _read_partitioned(spark, staging.uri("events_clean"), _EVENTS_CLEAN_SCHEMA)
    valid = new_events.count()
    steps.done("count written")

    counts: dict[str, Any] = {
        "records_in": records_in,
        "valid": valid,
        "quarantined": sum(quarantined_by_reason.values()),
        "quarantined_by_reason": dict(sorted(quarantined_by_reason.items())),
        "duplicates": sum(duplicates_by_kind.values()),
        "duplicates_by_kind": {"within_run": 0, "earlier_runs": 0, **duplicates_by_kind},
        "unreadable_objects": _unreadable(written_quarantine),
    }
    if valid:
        rewrite = _rewrite_demand(spark, processed, staging, committed, new_events, closed_days)
        counts.update(_measure_demand(spark, staging, rewrite))
        steps.done("demand_daily")
        # Accuracy against actuals: the forecasts served for the rewritten dates (docs/observability.md).
        demand = _demand_as_committed(spark, processed, staging, rewrite.starts, opts.reprocess)
        counts["accuracy"] = run_accuracy(spark, raw, demand, rewrite.starts, staging.uri("accuracy"))
        steps.done("accuracy")
        counts["series_state_rows"] = _write_state(spark, opts, staging, rewrite)
        steps.done("series_state")
        rewrite.demand.unpersist()
    else:
        counts.update(_empty_counts(only_demand=True))
    marked.unpersist()
    checked.unpersist()
    return counts


def _unreadable(quarantine: DataFrame) -> list[dict[str, Any]]:
    """The objects that could not be read to their end (one quarantine row each), for the manifest."""
    rows = quarantine.filter(F.col("reason").startswith(f"{UNREADABLE_OBJECT}:")).collect()
    return [
        {"key": r["source"], "reason": r["reason"], "complete_lines": r["line"] - 1}
        for r in sorted(rows, key=lambda r: r["source"])
    ]


def _rewrite_demand(spark, processed, staging, committed, new_events, closed_days) -> _Rewrite:
    """Recomputes the touched warehouses' demand and stages the partitions new events can change."""
    warehouses = [r["warehouse_id"] for r in new_events.select("warehouse_id").distinct().collect()]
    history = (
        _read_events(spark, processed, committed)
        .unionByName(new_events)
        .filter(F.col("warehouse_id").isin(warehouses))
    )
    starts = _rewrite_starts(history, staging.run_id).persist()
    closed = closed_days_frame(spark, closed_days) if closed_days else None
    demand = daily_demand(history, closed).persist(StorageLevel.MEMORY_AND_DISK)
    (
        demand.join(F.broadcast(starts), "warehouse_id")
        .filter(F.col("month") >= F.col("from_month"))
        .select(*DEMAND_COLUMNS)
        .repartition("warehouse_id", "month")
        .write.mode("overwrite")
        .partitionBy("warehouse_id", "month")
        .parquet(staging.uri("demand_daily"))
    )
    return _Rewrite(starts=starts, demand=demand, history=history)


def _rewrite_starts(history: DataFrame, run_id: str) -> DataFrame:
    """Per warehouse, the first month new events change: their earliest date, or the day after the series'
    previous last date when they extend it (the gap is zero-filled). Stock carries forward, so every later
    month of the warehouse is rewritten too."""
    series = ["warehouse_id", "sku"]
    new = history.filter(F.col("run_id") == run_id).groupBy(*series).agg(F.min("date").alias("new_first"))
    old = history.filter(F.col("run_id") != run_id).groupBy(*series).agg(F.max("date").alias("old_last"))
    start = F.least(F.col("new_first"), F.date_add(F.col("old_last"), 1))
    return (
        new.join(old, series, "left")
        .groupBy("warehouse_id")
        .agg(F.min(F.date_format(start, "yyyy-MM")).alias("from_month"))
    )


def _measure_demand(spark, staging, rewrite: _Rewrite) -> dict[str, int]:
    written = _read_partitioned(spark, staging.uri("demand_daily"))
    row = written.agg(
        F.count(F.lit(1)).alias("rows"),
        F.coalesce(F.sum("event_count"), F.lit(0)).alias("events"),
        F.countDistinct("warehouse_id", "month").alias("partitions"),
    ).first()
    expected = (
        rewrite.history.join(F.broadcast(rewrite.starts), "warehouse_id")
        .filter(F.date_format("date", "yyyy-MM") >= F.col("from_month"))
        .count()
    )
    return {
        "demand_rows_written": row["rows"],
        "partitions_rewritten": row["partitions"],
        "demand_events_reflected": row["events"],
        "events_in_rewritten_partitions": expected,
    }


def _demand_as_committed(spark, processed, staging, starts: DataFrame, reprocess: bool) -> DataFrame:
    """demand_daily as it will be once this run commits: its staged partitions over the committed table."""
    staged = _read_partitioned(spark, staging.uri("demand_daily")).select(*DEMAND_COLUMNS)
    if reprocess or not processed.exists("demand_daily"):
        return staged
    kept = (
        _read_partitioned(spark, processed.uri("demand_daily"))
        .join(F.broadcast(starts), "warehouse_id", "left")
        .filter(F.col("from_month").isNull() | (F.col("month") < F.col("from_month")))
        .select(*DEMAND_COLUMNS)
    )
    return kept.unionByName(staged)


def _write_state(spark, opts, staging, rewrite: _Rewrite) -> int:
    last_events = rewrite.history.groupBy("warehouse_id", "sku").agg(
        F.max("occurred_at").alias("last_event_at")
    )
    state = series_state(rewrite.demand, last_events, opts.state_window_days, staging.run_id)
    state.select(*STATE_COLUMNS).repartition("warehouse_id").write.mode("overwrite").partitionBy(
        "warehouse_id"
    ).parquet(staging.uri("series_state"))
    return _read_partitioned(spark, staging.uri("series_state")).count()


_EVENTS_CLEAN_SCHEMA = T.StructType([*EVENT_SCHEMA.fields, T.StructField("run_id", T.StringType())])


def _read_partitioned(spark: SparkSession, uri: str, schema: T.StructType | None = None) -> DataFrame:
    """A table with its partition columns; with ``schema``, a table with no files yet reads as empty."""
    if schema is not None:
        try:
            return spark.read.schema(schema).option("basePath", uri).parquet(uri)
        except AnalysisException:  # no such directory: nothing was written
            return spark.createDataFrame([], schema)
    return spark.read.option("basePath", uri).parquet(uri)


def _read_events(spark: SparkSession, processed: Storage, run_ids: Sequence[str]) -> DataFrame:
    """The committed clean events of the given runs (empty when there are none)."""
    if not run_ids:
        return spark.createDataFrame([], _EVENTS_CLEAN_SCHEMA)
    events = _read_partitioned(spark, processed.uri("events_clean"), _EVENTS_CLEAN_SCHEMA)
    return events.filter(F.col("run_id").isin(list(run_ids)))


def _closed_days(raw: Storage, opts: JobOptions) -> list:
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


def _empty_counts(only_demand: bool = False) -> dict[str, Any]:
    demand = {
        "demand_rows_written": 0,
        "partitions_rewritten": 0,
        "demand_events_reflected": 0,
        "events_in_rewritten_partitions": 0,
        "series_state_rows": 0,
    }
    if only_demand:
        return demand
    return {
        "records_in": 0,
        "valid": 0,
        "quarantined": 0,
        "quarantined_by_reason": {},
        "duplicates": 0,
        "duplicates_by_kind": {"within_run": 0, "earlier_runs": 0},
        "unreadable_objects": [],
        **demand,
    }


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


def _register_partitions(spark: SparkSession, database: str) -> None:
    """Adds new partitions to the catalog tables (Athena reads them). The data is committed already, so a
    failure here is logged as a warning, not a failed run; the next run repairs the catalog again."""
    for table in ("demand_daily", "series_state", "quarantine"):
        try:
            spark.sql(f"MSCK REPAIR TABLE `{database}`.`{table}`")
        except Exception as err:  # noqa: BLE001 - any catalog error leaves the committed data valid
            log.warning("catalog partitions of %s.%s not registered: %s", database, table, err)


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
        _register_partitions(spark, opts.catalog_database)
    summary = {k: manifest[k] for k in ("run_id", "mode", "records_in", "valid", "quarantined", "duplicates")}
    log.info("manifest %s", json.dumps(summary))
    finish()
    return manifest


if __name__ == "__main__":
    main()
