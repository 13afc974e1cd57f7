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
    "dedupe",
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


def dedupe(events: DataFrame, known_ids: DataFrame) -> DataFrame:
    """Marks duplicates: adds ``duplicate_of`` (null = the first occurrence, kept; ``earlier_runs`` = an
    earlier run stored this event_id; ``within_run`` = an earlier line of this run has it, by (source, line)).

    One shuffle: the earlier runs' ids join the new events in one window per event_id.
    """
    tagged = events.withColumn("_rank", F.lit(1))
    earlier = known_ids.select("event_id", F.lit(0).alias("_rank"))
    both = tagged.unionByName(earlier, allowMissingColumns=True)
    per_id = Window.partitionBy("event_id")
    ranked = both.withColumn("_n", F.row_number().over(per_id.orderBy("_rank", "source", "line"))).withColumn(
        "_seen_before", F.min("_rank").over(per_id) == 0
    )
    return ranked.filter(F.col("_rank") == 1).select(
        *events.columns,
        F.when(F.col("_n") == 1, F.lit(None).cast("string"))
        .when(F.col("_seen_before"), DUPLICATE_OF_EARLIER_RUN)
        .otherwise(DUPLICATE_WITHIN_RUN)
        .alias("duplicate_of"),
    )
