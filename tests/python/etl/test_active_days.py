"""etl/active_days.py: the same doubles, byte for byte, as Spark's windows and sums over the same events."""

from __future__ import annotations

import random
import struct
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from etl.active_days import ACTIVE_SCHEMA, running_sums
from etl.demand import _active_days
from etl.events import EVENT_SCHEMA


def _sequential(values: list[float]) -> list[float]:
    out, total = [], 0.0
    for v in values:
        total = total + v
        out.append(total)
    return out


@pytest.mark.parametrize("lengths", [[1, 2, 3, 1, 5] * 10, [3] * 40 + [500, 700, 2], [1], [1000, 1]])
def test_running_sums_add_in_row_order_from_zero_per_segment(lengths):
    rng = np.random.default_rng(len(lengths))
    n = sum(lengths)
    values = rng.uniform(-1e3, 1e3, size=(n, 2)) * rng.choice([1e-9, 1.0, 1e9], size=(n, 2))
    starts = np.cumsum([0, *lengths[:-1]])
    out = running_sums(values, starts, np.array(lengths))
    for column in range(2):
        expected = []
        for start, length in zip(starts, lengths, strict=True):
            expected += _sequential(values[start : start + length, column].tolist())
        # Bitwise: a pairwise or reordered sum differs in the last bits of such values.
        assert out[:, column].tobytes() == np.array(expected).tobytes()


def _reference(events: DataFrame) -> DataFrame:
    """The active days as main computed them with Spark's windows and sums (bench/etl/RESULTS.md), the
    definition the numpy pass must match."""
    series = ["warehouse_id", "sku"]
    snapshot = F.col("event_type") == "inventory_snapshot"
    delta = (
        F.when(F.col("event_type") == "sale", -F.col("quantity"))
        .when(F.col("event_type").isin("return", "receipt"), F.col("quantity"))
        .otherwise(F.lit(0.0))
    )
    order = Window.partitionBy(*series).orderBy("occurred_at", "_snapshot_last", "event_id")
    running = order.rowsBetween(Window.unboundedPreceding, 0)
    with_delta = events.withColumn("_snapshot_last", snapshot.cast("int")).select(
        "*", F.sum(delta).over(running).alias("_cum"), F.row_number().over(order).alias("_position")
    )
    anchor = F.last(
        F.when(snapshot, F.struct(F.col("on_hand").alias("v"), F.col("_cum").alias("c"))), ignorenulls=True
    ).over(running)
    balances = with_delta.withColumn("_anchor", anchor).withColumn(
        "balance", F.col("_anchor.v") + (F.col("_cum") - F.col("_anchor.c"))
    )

    def units(kind):
        return F.when(F.col("event_type") == kind, F.col("quantity")).otherwise(F.lit(0.0))

    priced = (F.col("event_type") == "sale") & F.col("unit_price").isNotNull()
    sold = F.sum(F.when(priced, F.col("quantity")))
    value = F.sum(F.when(priced, F.col("quantity") * F.col("unit_price")))
    daily = balances.groupBy(*series, "date").agg(
        F.sum(units("sale")).alias("units_sold"),
        F.sum(units("return")).alias("units_returned"),
        F.count(F.lit(1)).alias("event_count"),
        F.max(F.coalesce(F.col("promo"), F.lit(False))).alias("promo"),
        F.coalesce(F.when(sold > 0, value / sold), F.avg(F.when(priced, F.col("unit_price")))).alias(
            "avg_unit_price"
        ),
        F.max_by("balance", "_position").alias("_eod"),
        F.min("balance").alias("_min_balance"),
    )
    by_day = Window.partitionBy(*series).orderBy("date")
    return daily.select(
        "*",
        F.last("_eod", ignorenulls=True)
        .over(by_day.rowsBetween(Window.unboundedPreceding, 0))
        .alias("_stock"),
        F.last("_eod", ignorenulls=True)
        .over(by_day.rowsBetween(Window.unboundedPreceding, -1))
        .alias("_start"),
        F.lead("date").over(by_day).alias("_next"),
    ).select(*ACTIVE_SCHEMA.fieldNames())


def _random_events(spark, seed: int) -> DataFrame:
    """Fractional quantities and prices, -0.0 and 0, ties at one instant, a missing quantity or price, days
    that go back in event time (a clock set back across midnight), series of 1 to 60 events."""
    rng = random.Random(seed)
    rows = []
    start = datetime(2024, 3, 1, tzinfo=UTC)
    for s in range(12):
        moment = start
        day = date(2024, 3, 1)
        for i in range(rng.choice([1, 2, 7, 25, 60])):
            if rng.random() < 0.7:  # else the same instant as the event before
                moment += timedelta(hours=rng.choice([1, 5, 20, 40]))
            day = moment.date() if rng.random() < 0.9 else day - timedelta(days=rng.choice([0, 1]))
            kind = rng.choices(["sale", "return", "receipt", "inventory_snapshot"], [60, 10, 10, 20])[0]
            amount = rng.choice([0.0, -0.0, 1.0, 3.0, rng.uniform(0, 50), rng.uniform(0, 1e-3), 1e15 / 7])
            quantity = (
                None
                if kind == "inventory_snapshot" or rng.random() < 0.03
                else abs(amount) * rng.choice([1, -1])
            )
            quantity = None if quantity is None else (quantity if quantity != 0 else amount)
            on_hand = amount if kind == "inventory_snapshot" and rng.random() < 0.97 else None
            price = rng.choice([None, 0.0, 1.1, rng.uniform(0, 9)]) if kind == "sale" else None
            promo = rng.choice([None, True, False])
            rows.append(
                (
                    f"e{rng.randrange(10**6)}-{i}",
                    kind,
                    moment,
                    f"W{s % 3}",
                    f"S{s}",
                    quantity,
                    on_hand,
                    None,
                    price,
                    None,
                    promo,
                    None,
                    "f",
                    len(rows) + 1,
                    day,
                )
            )
    rng.shuffle(rows)
    return spark.createDataFrame(rows, EVENT_SCHEMA)


def _bits(rows):
    def cell(v):
        return struct.pack(">d", v) if isinstance(v, float) else v

    return sorted(tuple(cell(v) for v in row) for row in rows)


@pytest.mark.spark
@pytest.mark.parametrize("batch_rows", [3, 10_000])
def test_active_days_are_spark_windows_and_sums_byte_for_byte(spark, batch_rows):
    # 3 rows a batch: most series span several Arrow batches.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
    try:
        for seed in range(4):
            events = _random_events(spark, seed)
            got, want = _active_days(events).collect(), _reference(events).collect()
            assert len(got) == len(want) > 0
            assert _bits(got) == _bits(want)
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
