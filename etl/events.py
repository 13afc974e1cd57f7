"""From raw NDJSON lines to clean, typed, deduplicated events with their business date.

DataFrame in, DataFrame out; reading files and writing tables belong to etl/job.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.schema_rules import CompiledSchema

__all__ = [
    "EVENT_SCHEMA",
    "QUARANTINE_COLUMNS",
    "QUARANTINE_SCHEMA",
    "DUPLICATE_WITHIN_RUN",
    "DUPLICATE_OF_EARLIER_RUN",
    "read_lines",
    "validate",
    "quarantine_rows",
    "clean_events",
    "business_dates",
    "parse_rfc3339",
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
    ]
)
"""The ``quarantine`` table (partitioned by run_id)."""
QUARANTINE_COLUMNS = ["source", "line", "reason", "detail", "raw"]


def read_lines(spark: SparkSession, uris: list[str], raw_root: str) -> DataFrame:
    """One row per line of the given objects: source (key relative to ``raw_root``), line (1-based), value.

    A gzip object is never split, so its lines reach one task in order and Spark's row ids within a task are
    consecutive: line = row id − the object's first row id + 1. The scan is cached so both uses see the same
    ids.
    """
    scanned = (
        spark.read.text(uris)
        .select(
            F.input_file_name().alias("_uri"),
            F.monotonically_increasing_id().alias("_row"),
            F.col("value"),
        )
        .persist()
    )
    starts = scanned.groupBy("_uri").agg(F.min("_row").alias("_first"))
    # input_file_name() spells a local file file:///x where the root may be file:/x: compare paths only.
    root = re.sub(r"^file:/+", "/", raw_root.rstrip("/"))
    path = F.regexp_replace(F.col("_uri"), r"^file:/+", "/")
    return scanned.join(F.broadcast(starts), "_uri").select(
        F.substring(path, len(root) + 2, 1 << 20).alias("source"),
        (F.col("_row") - F.col("_first") + 1).alias("line"),
        F.col("value"),
    )


def validate(lines: DataFrame, compiled: CompiledSchema) -> DataFrame:
    """Adds ``failures`` / ``details`` (empty = valid) and the typed properties of the event schema."""
    spark = lines.sparkSession
    parallelism = spark.sparkContext.defaultParallelism
    # Few large gzip objects arrive as few partitions: spread the lines over every core before parsing.
    if lines.rdd.getNumPartitions() < parallelism:
        lines = lines.repartition(parallelism * 2)
    return compiled.apply(lines)


def quarantine_rows(validated: DataFrame) -> DataFrame:
    """The rejected lines: the first broken rule as ``reason``, every broken rule in ``detail``."""
    return validated.filter(F.size("failures") > 0).select(
        "source",
        "line",
        F.element_at("failures", 1).alias("reason"),
        F.array_join("details", "; ").alias("detail"),
        F.col("value").alias("raw"),
    )


def clean_events(validated: DataFrame, time_zones: Mapping[str, str], default_time_zone: str) -> DataFrame:
    """The valid lines as typed events (EVENT_SCHEMA) with their business date."""
    valid = validated.filter(F.size("failures") == 0)
    events = valid.select(
        "event_id",
        "event_type",
        parse_rfc3339(F.col("occurred_at")).alias("occurred_at"),
        "warehouse_id",
        "sku",
        "quantity",
        "on_hand",
        "on_order",
        "unit_price",
        "currency",
        "promo",
        "attributes",
        "source",
        "line",
    )
    return business_dates(events, time_zones, default_time_zone)


def business_dates(events: DataFrame, time_zones: Mapping[str, str], default_time_zone: str) -> DataFrame:
    """Adds ``date``: occurred_at (a UTC instant) as a calendar day in the warehouse's time zone."""
    zone = F.lit(default_time_zone)
    if time_zones:
        zones = F.create_map(*[F.lit(v) for pair in sorted(time_zones.items()) for v in pair])
        zone = F.coalesce(zones[F.col("warehouse_id")], zone)
    return events.withColumn("date", F.to_date(F.from_utc_timestamp(F.col("occurred_at"), zone)))


_RFC3339_PARTS = r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))\s*$"


def parse_rfc3339(text: F.Column) -> F.Column:
    """An RFC 3339 timestamp (already validated) as a UTC instant, with microsecond precision.

    Spark's own cast accepts offsets only up to ±18:00 while RFC 3339 allows ±23:59, so the offset is applied
    by hand. The session time zone is UTC (set by the job).
    """
    upper = F.upper(text)

    def part(i: int) -> F.Column:
        return F.regexp_extract(upper, _RFC3339_PARTS, i)

    local = F.to_timestamp(F.concat(part(1), F.lit(" "), part(2)), "yyyy-MM-dd HH:mm:ss")
    micros = F.coalesce(F.rpad(F.substring(part(3), 1, 6), 6, "0").cast("long"), F.lit(0))
    offset = (part(5).cast("long") * 3600 + part(6).cast("long") * 60) * F.when(part(4) == "-", -1).otherwise(
        1
    )
    offset_us = F.coalesce(offset, F.lit(0)) * 1_000_000
    return F.timestamp_micros(F.unix_micros(local) + micros - offset_us)


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
