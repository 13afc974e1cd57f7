"""Daily demand per (warehouse, sku): sales, returns, end-of-day stock, stockouts, closed days, promo, price.

Input: clean events (etl.events.EVENT_SCHEMA). Output: the ``demand_daily`` rows of docs/architecture.md, one
per series per day from its first to its last activity, zero-filled, plus the ``month`` partition column.

Stock on hand is a running balance per series in event time: an inventory snapshot sets it, receipts and
returns add, sales subtract. Events at the same instant apply in the order (movements, then snapshot, then
event_id): a snapshot states the stock after everything that happened at its instant. Before the first
snapshot the balance is unknown (null). Because the balance is recomputed from all events in event-time order,
snapshots that arrive late or out of order land where they belong.

A day is a stockout when the stock was known and reached zero at any moment of it: at the start (yesterday's
end), or after any of its events (which covers sales capped by stock: a day that sold everything on hand).
Days in the closed-days calendar are flagged ``closed``; their units stay as recorded (0 when nothing
happened), and readers treat closed days as unobserved, not as zero demand.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.active_days import ACTIVE_SCHEMA, KINDS, active_days
from etl.frames import local_rows, map_in_arrow

__all__ = ["DEMAND_COLUMNS", "DEMAND_SCHEMA", "daily_demand", "closed_days_frame", "write_rewritten_months"]

DEMAND_SCHEMA = T.StructType(
    [
        T.StructField("warehouse_id", T.StringType(), False),
        T.StructField("sku", T.StringType(), False),
        T.StructField("date", T.DateType(), False),
        T.StructField("units_sold", T.DoubleType(), False),
        T.StructField("units_returned", T.DoubleType(), False),
        T.StructField("on_hand_eod", T.DoubleType(), True),
        T.StructField("stockout", T.BooleanType(), False),
        T.StructField("closed", T.BooleanType(), False),
        T.StructField("promo", T.BooleanType(), False),
        T.StructField("avg_unit_price", T.DoubleType(), True),
        T.StructField("event_count", T.LongType(), False),
        T.StructField("month", T.StringType(), False),
    ]
)
DEMAND_COLUMNS = [f.name for f in DEMAND_SCHEMA.fields]
_SERIES = ["warehouse_id", "sku"]


def daily_demand(events: DataFrame, closed: DataFrame | None = None) -> DataFrame:
    """demand_daily rows for every series in ``events`` (all of each series' events must be present).

    ``closed``: (warehouse_id, date) rows of closed days, ``*`` as warehouse_id meaning every warehouse.

    One shuffle (by series) and one sort (each series' events in event order); then one pass per series
    (etl/active_days.py, numpy over Arrow batches) computes the running balance, each day with events and its
    sums, the stock carried forward and the next active day, and each day expands into itself and the quiet
    days after it.
    """
    active = _active_days(events)
    # An active day, then the quiet days up to the next active one: no events, the stock carried forward.
    quiet_until = F.coalesce(F.date_sub(F.col("_next"), 1), F.col("_active"))
    filled = active.withColumnRenamed("date", "_active").select(
        "*", F.explode(F.sequence("_active", quiet_until, F.expr("interval 1 day"))).alias("date")
    )
    own = F.col("date") == F.col("_active")

    def on_active_day(column: str, quiet: F.Column) -> F.Column:
        return F.when(own, F.col(column)).otherwise(quiet)

    nothing = F.lit(None).cast("double")
    start = on_active_day("_start", F.col("_stock"))
    flagged = _with_closed(filled, closed)
    return flagged.select(
        "warehouse_id",
        "sku",
        "date",
        F.coalesce(on_active_day("units_sold", F.lit(0.0)), F.lit(0.0)).alias("units_sold"),
        F.coalesce(on_active_day("units_returned", F.lit(0.0)), F.lit(0.0)).alias("units_returned"),
        # A negative balance means sales beyond the recorded stock: physically the shelf is empty.
        F.when(F.col("_stock").isNotNull(), F.greatest(F.col("_stock"), F.lit(0.0))).alias("on_hand_eod"),
        F.coalesce(
            F.least(start, on_active_day("_min_balance", nothing), F.col("_stock")) <= 0, F.lit(False)
        ).alias("stockout"),
        F.col("closed"),
        F.coalesce(on_active_day("promo", F.lit(False)), F.lit(False)).alias("promo"),
        on_active_day("avg_unit_price", nothing).alias("avg_unit_price"),
        F.coalesce(on_active_day("event_count", F.lit(0)), F.lit(0)).cast("long").alias("event_count"),
        F.date_format("date", "yyyy-MM").alias("month"),
    )


def closed_days_frame(spark, days: list[tuple[str, object]]) -> DataFrame:
    """(warehouse_id, date) rows from (warehouse or ``*``, date) pairs."""
    schema = T.StructType(
        [T.StructField("warehouse_id", T.StringType()), T.StructField("date", T.DateType())]
    )
    return local_rows(spark, ({"warehouse_id": w, "date": d} for w, d in sorted(set(days))), schema)


def write_rewritten_months(demand: DataFrame, starts: DataFrame, uri: str) -> None:
    """Writes the months a run rewrites (each warehouse's from ``from_month`` on, ``starts``), partitioned by
    warehouse and month as demand_daily is."""
    (
        demand.join(F.broadcast(starts), "warehouse_id")
        .filter(F.col("month") >= F.col("from_month"))
        .select(*DEMAND_COLUMNS)
        .repartition("warehouse_id", "month")
        .write.mode("overwrite")
        .partitionBy("warehouse_id", "month")
        .parquet(uri)
    )


def _active_days(events: DataFrame) -> DataFrame:
    """One row per series and day with events (etl.active_days.ACTIVE_SCHEMA).

    Events at the same instant apply movements first, then the snapshot, then by event_id: the sort puts every
    series' events in that order, and etl/active_days.py reads them in it."""
    kind = F.coalesce(
        *(F.when(F.col("event_type") == name, F.lit(code)) for name, code in KINDS.items()), F.lit(0)
    ).cast("byte")
    ordered = (
        events.select(
            *_SERIES,
            "date",
            "occurred_at",
            (F.col("event_type") == "inventory_snapshot").cast("int").alias("_snapshot_last"),
            "event_id",
            kind.alias("kind"),
            "quantity",
            "on_hand",
            "unit_price",
            "promo",
        )
        .repartition(*_SERIES)
        .sortWithinPartitions(*_SERIES, "occurred_at", "_snapshot_last", "event_id")
        .select(*_SERIES, "date", "kind", "quantity", "on_hand", "unit_price", "promo")
    )
    return map_in_arrow(ordered, active_days, ACTIVE_SCHEMA)


def _with_closed(days: DataFrame, closed: DataFrame | None) -> DataFrame:
    if closed is None:
        return days.withColumn("closed", F.lit(False))
    # The calendar is small: broadcast joins flag the days where they are.
    everywhere = closed.filter(F.col("warehouse_id") == "*").select("date").distinct()
    specific = closed.filter(F.col("warehouse_id") != "*").select("warehouse_id", "date").distinct()
    joined = days.join(
        F.broadcast(specific.withColumn("_here", F.lit(True))), ["warehouse_id", "date"], "left"
    ).join(F.broadcast(everywhere.withColumn("_everywhere", F.lit(True))), "date", "left")
    return joined.withColumn("closed", F.coalesce(F.col("_here"), F.col("_everywhere"), F.lit(False)))
