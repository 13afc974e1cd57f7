"""series_state: per series, the recent window the model needs to forecast from the latest day.

One row per series (docs/architecture.md): arrays aligned day by day from ``start_date`` to ``end_date``
(inclusive), covering the last ``window_days`` days up to the series' last date (or from its first day, when
it is younger). Built from demand_daily rows, so it reflects the same data the model trains on.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

__all__ = ["STATE_COLUMNS", "STATE_SCHEMA", "series_state"]

STATE_SCHEMA = T.StructType(
    [
        T.StructField("warehouse_id", T.StringType()),
        T.StructField("sku", T.StringType()),
        T.StructField("freq", T.StringType()),
        T.StructField("start_date", T.DateType()),
        T.StructField("end_date", T.DateType()),
        T.StructField("units", T.ArrayType(T.DoubleType())),
        T.StructField("promo", T.ArrayType(T.BooleanType())),
        T.StructField("price", T.ArrayType(T.DoubleType())),
        T.StructField("stockout", T.ArrayType(T.BooleanType())),
        T.StructField("closed", T.ArrayType(T.BooleanType())),
        T.StructField("on_hand", T.DoubleType()),
        T.StructField("last_event_at", T.TimestampType()),
        T.StructField("run_id", T.StringType()),
    ]
)
"""The ``series_state`` table as written (partitioned by warehouse_id)."""
STATE_COLUMNS = [f.name for f in STATE_SCHEMA.fields]
_SERIES = ["warehouse_id", "sku"]


def series_state(demand: DataFrame, last_events: DataFrame, window_days: int, run_id: str) -> DataFrame:
    """``demand``: demand_daily rows (whole series); ``last_events``: (warehouse_id, sku, last_event_at)."""
    if window_days < 1:
        raise ValueError(f"window_days: expected a positive number of days, got {window_days}")
    end = F.max("date").over(Window.partitionBy(*_SERIES))
    recent = demand.withColumn("_end", end).filter(F.col("date") > F.date_sub(F.col("_end"), window_days))
    days = F.array_sort(
        F.collect_list(
            F.struct(
                F.col("date").alias("d"),
                F.col("units_sold").alias("units"),
                F.col("promo").alias("promo"),
                F.col("avg_unit_price").alias("price"),
                F.col("stockout").alias("stockout"),
                F.col("closed").alias("closed"),
            )
        )
    )
    state = recent.groupBy(*_SERIES).agg(
        F.min("date").alias("start_date"),
        F.max("date").alias("end_date"),
        days.alias("_days"),
        # Last known stock: the latest day whose end-of-day stock is known.
        F.max_by("on_hand_eod", F.when(F.col("on_hand_eod").isNotNull(), F.col("date"))).alias("on_hand"),
    )
    return state.join(last_events, _SERIES, "left").select(
        "warehouse_id",
        "sku",
        F.lit("D").alias("freq"),
        "start_date",
        "end_date",
        F.transform("_days", lambda d: d["units"]).alias("units"),
        F.transform("_days", lambda d: d["promo"]).alias("promo"),
        F.transform("_days", lambda d: d["price"]).alias("price"),
        F.transform("_days", lambda d: d["stockout"]).alias("stockout"),
        F.transform("_days", lambda d: d["closed"]).alias("closed"),
        "on_hand",
        "last_event_at",
        F.lit(run_id).alias("run_id"),
    )
