"""From checked records (etl/raw_objects.py) to clean, typed, deduplicated events with their business date.

DataFrame in, DataFrame out; reading files and writing tables belong to etl/job.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

__all__ = [
    "EVENT_SCHEMA",
    "QUARANTINE_COLUMNS",
    "QUARANTINE_SCHEMA",
    "DUPLICATE_WITHIN_RUN",
    "DUPLICATE_OF_EARLIER_RUN",
    "quarantine_rows",
    "clean_events",
    "business_dates",
    "duplicate_rows",
    "repeated_ids",
]

DUPLICATE_WITHIN_RUN = "within_run"
DUPLICATE_OF_EARLIER_RUN = "earlier_runs"

EVENT_SCHEMA = T.StructType(
    [
        T.StructField("event_id", T.StringType(), False),
        T.StructField("event_type", T.StringType(), False),
        T.StructField("occurred_at", T.TimestampType(), False),
        T.StructField("warehouse_id", T.StringType(), False),
        T.StructField("sku", T.StringType(), False),
        T.StructField("quantity", T.DoubleType()),
        T.StructField("on_hand", T.DoubleType()),
        T.StructField("on_order", T.DoubleType()),
        T.StructField("unit_price", T.DoubleType()),
        T.StructField("currency", T.StringType()),
        T.StructField("promo", T.BooleanType()),
        T.StructField("attributes", T.StringType()),
        T.StructField("source", T.StringType(), False),
        T.StructField("line", T.LongType(), False),
        T.StructField("date", T.DateType(), False),
    ]
)
"""A clean event as stored in ``events_clean`` (plus its partition columns run_id, warehouse_id)."""

QUARANTINE_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType()),
        T.StructField("source", T.StringType()),
        T.StructField("line", T.LongType()),
        T.StructField("reason", T.StringType()),
        T.StructField("detail", T.StringType()),
        T.StructField("raw", T.StringType()),
        T.StructField("raw_bytes", T.BinaryType()),
    ]
)
"""The ``quarantine`` table (partitioned by run_id). ``raw`` is the record as text (bytes that are not UTF-8
shown as ``\\xNN``), ``raw_bytes`` exactly as it arrived: both readable by pyarrow, pandas and DuckDB."""
QUARANTINE_COLUMNS = ["source", "line", "reason", "detail", "raw", "raw_bytes"]


def quarantine_rows(checked: DataFrame) -> DataFrame:
    """The rejected records: the first broken rule as ``reason``, every broken rule in ``detail``."""
    return checked.filter(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS)


def clean_events(checked: DataFrame, time_zones: Mapping[str, str], default_time_zone: str) -> DataFrame:
    """The valid records as typed events (EVENT_SCHEMA) with their business date."""
    fields = [f.name for f in EVENT_SCHEMA.fields if f.name != "date"]
    valid = checked.filter(F.col("reason").isNull()).select(*fields)
    return business_dates(valid, time_zones, default_time_zone)


def business_dates(events: DataFrame, time_zones: Mapping[str, str], default_time_zone: str) -> DataFrame:
    """Adds ``date``: occurred_at (a UTC instant) as a calendar day in the warehouse's time zone."""
    zone = F.lit(default_time_zone)
    if time_zones:
        zones = F.create_map(*[F.lit(v) for pair in sorted(time_zones.items()) for v in pair])
        zone = F.coalesce(zones[F.col("warehouse_id")], zone)
    return events.withColumn("date", F.to_date(F.from_utc_timestamp(F.col("occurred_at"), zone)))


def repeated_ids(events: DataFrame, known_ids: DataFrame | None) -> DataFrame:
    """(event_id, seen_before) of every event_id of ``events`` that occurs more than once among them and
    the earlier runs' ids: ``seen_before`` when an earlier run stored it. ``known_ids`` is None when no
    earlier run stored any (nothing to union: an empty input would still run its tasks).

    One hash aggregation of the ids alone (how often each occurs, and how often in this run): its buffers are
    numbers, so Spark aggregates in a hash map instead of sorting every event twice, which an aggregation of
    (source, line) structs took (bench/etl/RESULTS.md). The result is the few ids that repeat."""
    ids = events.select("event_id", F.lit(1).alias("_new"))
    if known_ids is not None:
        ids = ids.unionByName(known_ids.select("event_id", F.lit(0).alias("_new")))
    counted = ids.groupBy("event_id").agg(F.count(F.lit(1)).alias("_n"), F.sum("_new").alias("_new"))
    return counted.filter(F.col("_n") > 1).select(
        "event_id", (F.col("_n") > F.col("_new")).alias("seen_before")
    )


def duplicate_rows(events: DataFrame, repeated: DataFrame) -> DataFrame:
    """(source, line, duplicate_of) of every event that is not the first occurrence of its event_id: the first
    is an id an earlier run stored (then every event of this run with it is ``earlier_runs``), else the first
    by (source, line) of this run (then the others are ``within_run``). ``repeated``: :func:`repeated_ids`.

    Only the repeated ids' lines move: the events join the few repeated ids (broadcast when the caller has
    measured them small), and those lines are ranked per id. The events themselves stay where they are; the
    caller drops the duplicates with an anti-join on (source, line).
    """
    lines = events.select("event_id", "source", "line").join(repeated, "event_id")
    rank = F.row_number().over(Window.partitionBy("event_id").orderBy("source", "line"))
    return (
        lines.withColumn("_rank", rank)
        .filter(F.col("seen_before") | (F.col("_rank") > 1))
        .select(
            "source",
            "line",
            F.when(F.col("seen_before"), F.lit(DUPLICATE_OF_EARLIER_RUN))
            .otherwise(F.lit(DUPLICATE_WITHIN_RUN))
            .alias("duplicate_of"),
        )
    )
