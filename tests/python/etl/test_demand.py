"""Pure transforms: business dates, dedupe, daily demand (stock, stockouts, zero-fill, closed), state."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pyspark.sql import functions as F

from etl.demand import DEMAND_SCHEMA, closed_days_frame, daily_demand
from etl.events import EVENT_SCHEMA, business_dates, duplicate_rows, repeated_ids
from etl.state import STATE_COLUMNS, series_state

pytestmark = pytest.mark.spark


def _events(spark, rows):
    """rows: (event_id, type, 'YYYY-MM-DD HH:MM', sku, quantity, on_hand[, unit_price, promo])."""
    full = []
    for i, row in enumerate(rows):
        event_id, kind, at, sku, quantity, on_hand, *rest = row
        price, promo = (rest + [None, None])[:2]
        moment = datetime.strptime(at, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        full.append(
            (
                event_id,
                kind,
                moment,
                "W1",
                sku,
                quantity,
                on_hand,
                None,
                price,
                None,
                promo,
                None,
                "f",
                i + 1,
                moment.date(),
            )
        )
    return spark.createDataFrame(full, EVENT_SCHEMA)


def _by_day(df, sku="S1"):
    return {r["date"].isoformat(): r for r in df.filter(F.col("sku") == sku).collect()}


def test_stock_balance_stockouts_and_out_of_order_snapshots(spark):
    # Given in shuffled order: the balance is computed in event time, whatever the arrival order.
    rows = [
        ("e9", "sale", "2024-01-05 10:00", "S1", 2.0, None),
        ("e1", "inventory_snapshot", "2024-01-01 08:00", "S1", None, 5.0),
        ("e3", "sale", "2024-01-01 18:00", "S1", 2.0, None),
        ("e2", "sale", "2024-01-01 10:00", "S1", 3.0, None),
        ("e5", "sale", "2024-01-04 10:00", "S1", 1.0, None),
        ("e4", "receipt", "2024-01-03 09:00", "S1", 10.0, None),
        ("e6", "inventory_snapshot", "2024-01-04 12:00", "S1", None, 7.0),
        ("e7", "sale", "2024-01-04 15:00", "S1", 1.0, None),
        ("e8", "inventory_snapshot", "2024-01-05 10:00", "S1", None, 3.0),
        ("x1", "sale", "2024-01-02 10:00", "S2", 1.0, None),
    ]
    days = _by_day(daily_demand(_events(spark, rows)))
    assert {d: (r["on_hand_eod"], r["stockout"], r["event_count"]) for d, r in days.items()} == {
        "2024-01-01": (0.0, True, 3),  # sold everything on hand: sales capped by stock
        "2024-01-02": (0.0, True, 0),  # zero-filled, nothing on hand all day
        "2024-01-03": (10.0, True, 1),  # started the day empty, restocked at 09:00
        "2024-01-04": (6.0, False, 3),  # 10 - 1 = 9, corrected to 7 by the count, - 1
        "2024-01-05": (3.0, False, 2),  # sale and count at the same instant: the count states the result
    }
    s2 = _by_day(daily_demand(_events(spark, rows)), "S2")["2024-01-02"]
    assert (s2["on_hand_eod"], s2["stockout"]) == (None, False)  # never counted: unknown, not zero


def test_sales_prices_promo_returns_zero_fill_and_schema(spark):
    rows = [
        ("a", "sale", "2024-02-27 09:00", "S1", 2.0, None, 1.5, True),
        ("b", "sale", "2024-02-27 11:00", "S1", 1.0, None, 3.0, False),
        ("c", "return", "2024-03-01 11:00", "S1", 1.0, None),
        ("d", "sale", "2024-03-01 12:00", "S1", 0.0, None, 4.0, None),
    ]
    demand = daily_demand(_events(spark, rows))
    assert demand.schema == DEMAND_SCHEMA
    days = _by_day(demand)
    assert list(days) == ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]
    first, gap, last = days["2024-02-27"], days["2024-02-28"], days["2024-03-01"]
    assert (first["units_sold"], first["avg_unit_price"], first["promo"], first["month"]) == (
        3.0,
        2.0,
        True,
        "2024-02",
    )
    assert (gap["units_sold"], gap["event_count"], gap["avg_unit_price"], gap["promo"]) == (
        0.0,
        0,
        None,
        False,
    )
    assert (last["units_sold"], last["units_returned"], last["avg_unit_price"]) == (0.0, 1.0, 4.0)


def test_closed_days_are_flagged_for_one_warehouse_or_all(spark):
    rows = [
        ("a", "sale", "2024-12-24 09:00", "S1", 2.0, None),
        ("b", "sale", "2024-12-27 09:00", "S1", 1.0, None),
    ]
    closed = closed_days_frame(
        spark, [("W1", date(2024, 12, 26)), ("*", date(2024, 12, 25)), ("W9", date(2024, 12, 24))]
    )
    days = _by_day(daily_demand(_events(spark, rows), closed))
    assert {d: r["closed"] for d, r in days.items()} == {
        "2024-12-24": False,
        "2024-12-25": True,
        "2024-12-26": True,
        "2024-12-27": False,
    }


def test_business_date_follows_the_warehouse_time_zone(spark):
    stamps = [
        ("W1", "2024-02-28T23:30:00Z"),
        ("W2", "2024-02-28T23:30:00Z"),
        ("W2", "2024-03-01T00:30:00+02:00"),
    ]
    df = spark.createDataFrame(
        [(w, datetime.fromisoformat(at)) for w, at in stamps], "warehouse_id string, occurred_at timestamp"
    )
    rows = business_dates(df, {"W2": "Europe/Rome"}, "UTC").collect()
    assert [r["date"].isoformat() for r in rows] == ["2024-02-28", "2024-02-29", "2024-02-29"]
    nyc = business_dates(df, {}, "America/New_York").collect()
    assert [r["date"].isoformat() for r in nyc] == ["2024-02-28", "2024-02-28", "2024-02-29"]


def test_duplicates_are_every_line_but_the_first_occurrence_and_say_why(spark):
    rows = [
        ("e1", "sale", "2024-01-01 10:00", "S1", 1.0, None),
        ("e1", "sale", "2024-01-01 10:00", "S1", 1.0, None),
        ("e2", "sale", "2024-01-01 11:00", "S1", 1.0, None),
        ("e3", "sale", "2024-01-01 12:00", "S1", 1.0, None),
        ("e2", "sale", "2024-01-01 11:00", "S1", 1.0, None),
        ("e1", "sale", "2024-01-01 10:00", "S1", 1.0, None),
    ]
    known = spark.createDataFrame([("e2",), ("e9",)], "event_id string")
    events = _events(spark, rows)
    repeated = repeated_ids(events, known)
    assert sorted((r["event_id"], r["seen_before"]) for r in repeated.collect()) == [
        ("e1", False),
        ("e2", True),
    ]
    marked = duplicate_rows(events, repeated)
    got = sorted((r["line"], r["duplicate_of"]) for r in marked.collect())
    assert got == [(2, "within_run"), (3, "earlier_runs"), (5, "earlier_runs"), (6, "within_run")]
    # With no earlier run, e2's second line is the within-run duplicate.
    alone = duplicate_rows(events, repeated_ids(events, None))
    got = sorted((r["line"], r["duplicate_of"]) for r in alone.collect())
    assert got == [(2, "within_run"), (5, "within_run"), (6, "within_run")]


def test_the_first_occurrence_is_the_first_by_source_then_line(spark):
    rows = [("e1", "sale", "2024-01-01 10:00", "S1", 1.0, None)] * 5
    sources = [("b", 1), ("a", 10), ("a", 9), ("a10", 1), ("a", 100)]
    # _events numbers the lines 1..5 of one source; each gets its (source, line) from the list.
    at = F.col("line").cast("int")
    placed = _events(spark, rows).select(
        *[c for c in EVENT_SCHEMA.fieldNames() if c not in ("source", "line", "date")],
        F.element_at(F.array(*[F.lit(s) for s, _ in sources]), at).alias("source"),
        F.element_at(F.array(*[F.lit(n).cast("long") for _, n in sources]), at).alias("line"),
    )
    marked = duplicate_rows(placed, repeated_ids(placed, None))
    got = sorted((r["source"], r["line"]) for r in marked.collect())
    assert got == sorted(s for s in sources if s != ("a", 9))


def test_series_state_covers_the_window_up_to_the_last_day(spark):
    rows = [("a", "sale", f"2024-01-{d:02d} 10:00", "S1", float(d), None) for d in (1, 5, 10)]
    rows += [("b", "inventory_snapshot", "2024-01-03 10:00", "S1", None, 4.0)]
    rows += [("c", "sale", "2024-01-10 10:00", "S2", 2.0, None)]
    events = _events(spark, rows)
    demand = daily_demand(events)
    last = events.groupBy("warehouse_id", "sku").agg(F.max("occurred_at").alias("last_event_at"))
    state = {r["sku"]: r for r in series_state(demand, last, 7, "run-1").collect()}
    s1 = state["S1"]
    assert list(series_state(demand, last, 7, "run-1").columns) == STATE_COLUMNS
    assert (s1["start_date"], s1["end_date"], s1["freq"], s1["run_id"]) == (
        date(2024, 1, 4),
        date(2024, 1, 10),
        "D",
        "run-1",
    )
    assert s1["units"] == [0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 10.0]
    assert len(s1["promo"]) == len(s1["price"]) == len(s1["stockout"]) == len(s1["closed"]) == 7
    assert s1["on_hand"] == 0.0  # 4 counted, then 5 and 10 sold: clamped at 0 on the shelf
    assert s1["last_event_at"] == datetime(2024, 1, 10, 10, 0)
    assert (state["S2"]["units"], state["S2"]["on_hand"]) == ([2.0], None)
