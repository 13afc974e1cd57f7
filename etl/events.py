"""From checked records (etl/raw_objects.py) to clean, typed, deduplicated events with their business date.

DataFrame in, DataFrame out; reading files and writing tables belong to etl/job.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame
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


def duplicate_rows(events: DataFrame, known_ids: DataFrame | None) -> DataFrame:
    """(source, line, duplicate_of) of every event that is not the first occurrence of its event_id: the first
    is an id an earlier run stored (then every event of this run with it is ``earlier_runs``), else the first
    by (source, line) of this run (then the others are ``within_run``).

    Only the ids and line positions move: one aggregation per event_id over (id, source, line) and the earlier
    runs' ids, and a join of the few ids that repeat back onto their lines. The events themselves stay where
    they are; the caller drops the duplicates with an anti-join on (source, line). ``known_ids`` is None when
    no earlier run stored any (nothing to union: an empty input would still run its tasks).
    """
    new = events.select("event_id", F.lit(1).alias("_rank"), "source", "line")
    ids = new
    if known_ids is not None:
        earlier = known_ids.select(
            "event_id",
            F.lit(0).alias("_rank"),
            F.lit(None).cast("string").alias("source"),
            F.lit(None).cast("long").alias("line"),
        )
        ids = new.unionByName(earlier)
    repeated = (
        ids.groupBy("event_id")
        .agg(F.count(F.lit(1)).alias("_n"), F.min(F.struct("_rank", "source", "line")).alias("_first"))
        .filter(F.col("_n") > 1)
    )
    seen_before = F.col("_first._rank") == 0
    is_first = (F.col("source") == F.col("_first.source")) & (F.col("line") == F.col("_first.line"))
    return (
        new.join(repeated, "event_id")
        .filter(seen_before | ~is_first)
        .select(
            "source",
            "line",
            F.when(seen_before, F.lit(DUPLICATE_OF_EARLIER_RUN))
            .otherwise(F.lit(DUPLICATE_WITHIN_RUN))
            .alias("duplicate_of"),
        )
    )
