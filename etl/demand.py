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

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.frames import local_rows

__all__ = ["DEMAND_COLUMNS", "DEMAND_SCHEMA", "daily_demand", "closed_days_frame"]

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

    One shuffle (by series): the running balance, the days with events (a hash aggregation over rows still in
    event order, so each day's sums add up in that order), then one window over those days gives the stock
    carried forward and the next active day, and each day expands into itself and the quiet days after it.
    """
    balances = _balances(events)
    daily = balances.groupBy(*_SERIES, "date").agg(
        F.sum(_units("sale")).alias("units_sold"),
        F.sum(_units("return")).alias("units_returned"),
        F.count(F.lit(1)).alias("event_count"),
        F.max(F.coalesce(F.col("promo"), F.lit(False))).alias("promo"),
        _average_price().alias("avg_unit_price"),
        # The balance after the day's last event in event order (_position ranks the series' events).
        F.max_by("balance", "_position").alias("_eod"),
        F.min("balance").alias("_min_balance"),
    )
    by_day = Window.partitionBy(*_SERIES).orderBy("date")
    active = daily.select(
        "*",
        F.last("_eod", ignorenulls=True)
        .over(by_day.rowsBetween(Window.unboundedPreceding, 0))
        .alias("_stock"),
        F.last("_eod", ignorenulls=True)
        .over(by_day.rowsBetween(Window.unboundedPreceding, -1))
        .alias("_start"),
        F.lead("date").over(by_day).alias("_next"),
    )
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


def _balances(events: DataFrame) -> DataFrame:
    """Adds ``balance`` (stock on hand right after each event; null before the series' first snapshot) and
    ``_position`` (the event's rank in the series' event order)."""
    snapshot = F.col("event_type") == "inventory_snapshot"
    delta = (
        F.when(F.col("event_type") == "sale", -F.col("quantity"))
        .when(F.col("event_type").isin("return", "receipt"), F.col("quantity"))
        .otherwise(F.lit(0.0))
    )
    order = Window.partitionBy(*_SERIES).orderBy("occurred_at", "_snapshot_last", "event_id")
    running = order.rowsBetween(Window.unboundedPreceding, 0)
    with_delta = events.withColumn("_snapshot_last", snapshot.cast("int")).select(
        "*", F.sum(delta).over(running).alias("_cum"), F.row_number().over(order).alias("_position")
    )
    anchored = with_delta.withColumn(
        "_anchor",
        F.last(
            F.when(snapshot, F.struct(F.col("on_hand").alias("v"), F.col("_cum").alias("c"))),
            ignorenulls=True,
        ).over(running),
    )
    return anchored.withColumn("balance", F.col("_anchor.v") + (F.col("_cum") - F.col("_anchor.c")))


def _units(kind: str) -> F.Column:
    return F.when(F.col("event_type") == kind, F.col("quantity")).otherwise(F.lit(0.0))


def _average_price() -> F.Column:
    """Units-weighted mean price of the day's priced sales; the plain mean when those sold 0 units."""
    priced = (F.col("event_type") == "sale") & F.col("unit_price").isNotNull()
    units = F.sum(F.when(priced, F.col("quantity")))
    value = F.sum(F.when(priced, F.col("quantity") * F.col("unit_price")))
    return F.coalesce(F.when(units > 0, value / units), F.avg(F.when(priced, F.col("unit_price"))))


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
