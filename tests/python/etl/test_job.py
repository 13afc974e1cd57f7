"""The whole job on small raw stores: counts, quarantine, dedupe across runs, late data, reruns, reprocess."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from etl.demand import DEMAND_COLUMNS
from tests.python.etl.conftest import event

pytestmark = pytest.mark.spark

E1 = event("e1", "sale", "2024-03-01T10:00:00Z", quantity=2, unit_price=1.5, promo=True)
E2 = event("e2", "sale", "2024-03-01T12:00:00Z", quantity=1, unit_price=3.0)


def _first_batch(raw_store):
    raw_store.put(
        "a",
        [
            E1,
            E2,
            '{"event_id": "x",',
            {k: v for k, v in event("e3", "sale", "2024-03-01T13:00:00Z").items() if k != "quantity"},
            E1,
            event("e4", "return", "2024-03-03T09:00:00Z"),
            event("e5", "sale", "2024-03-02T08:00:00Z", sku="S2", quantity=4),
            event("e9", "sale", "2024-03-02T08:00:00Z", sku="bad sku"),
        ],
    )
    raw_store.put(
        "b", [E2, event("e6", "sale", "2024-02-28T23:30:00Z", sku="S9", warehouse="W2", quantity=5), ""]
    )


def _table(spark, processed: Path, name: str):
    path = str(processed / name)
    return spark.read.option("basePath", path).parquet(path)


def _demand(spark, processed):
    rows = _table(spark, processed, "demand_daily").select(*DEMAND_COLUMNS).collect()
    return sorted(tuple(r) for r in rows)


def _files(processed: Path, table: str) -> dict[str, float]:
    root = processed / table
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.parquet")}


def test_first_run_quarantines_dedupes_and_reconciles(spark, raw_store, run_job, processed):
    _first_batch(raw_store)
    manifest = run_job(time_zones={"W2": "Europe/Rome"})

    assert manifest["mode"] == "incremental"
    assert [o["key"] for o in manifest["objects"]] == [
        "events/dt=2024-03-10/a.ndjson.gz",
        "events/dt=2024-03-10/b.ndjson.gz",
    ]
    assert {k: manifest[k] for k in ("records_in", "valid", "quarantined", "duplicates")} == {
        "records_in": 11,
        "valid": 5,
        "quarantined": 4,
        "duplicates": 2,
    }
    assert manifest["quarantined_by_reason"] == {"invalid_json": 2, "pattern:sku": 1, "required:quantity": 1}
    assert manifest["duplicates_by_kind"] == {"within_run": 2, "earlier_runs": 0}
    assert (
        manifest["demand_rows_written"],
        manifest["partitions_rewritten"],
        manifest["series_state_rows"],
    ) == (5, 2, 3)
    assert manifest["demand_events_reflected"] == manifest["valid"]

    quarantine = _table(spark, processed, "quarantine").orderBy("source", "line").collect()
    a, b = "events/dt=2024-03-10/a.ndjson.gz", "events/dt=2024-03-10/b.ndjson.gz"
    assert [(r["source"], r["line"], r["reason"]) for r in quarantine] == [
        (a, 3, "invalid_json"),
        (a, 4, "required:quantity"),
        (a, 8, "pattern:sku"),
        (b, 3, "invalid_json"),
    ]
    assert quarantine[0]["raw"] == '{"event_id": "x",' and quarantine[0]["run_id"] == manifest["run_id"]
    assert "quantity is required when event_type is sale|return|receipt" in quarantine[1]["detail"]

    demand = {(r[0], r[1], r[2].isoformat()): r for r in _demand(spark, processed)}
    assert sorted(demand) == [
        ("W1", "S1", "2024-03-01"),
        ("W1", "S1", "2024-03-02"),
        ("W1", "S1", "2024-03-03"),
        ("W1", "S2", "2024-03-02"),
        ("W2", "S9", "2024-02-29"),  # 23:30Z is already the next day in Rome (a leap day)
    ]
    day = dict(zip(DEMAND_COLUMNS, demand[("W1", "S1", "2024-03-01")], strict=True))
    assert (day["units_sold"], day["avg_unit_price"], day["promo"], day["event_count"]) == (3.0, 2.0, True, 2)
    gap = dict(zip(DEMAND_COLUMNS, demand[("W1", "S1", "2024-03-02")], strict=True))
    assert (gap["units_sold"], gap["event_count"], gap["closed"]) == (0.0, 0, False)
    runs = json.loads((processed / "runs" / f"{manifest['run_id']}.json").read_text())
    assert runs == manifest


def test_late_data_rewrites_only_touched_partitions_and_reruns_change_nothing(
    spark, raw_store, run_job, processed
):
    _first_batch(raw_store)
    first = run_job(time_zones={"W2": "Europe/Rome"})
    w2_files = {k: v for k, v in _files(processed, "demand_daily").items() if k.startswith("warehouse_id=W2")}

    raw_store.put(
        "c",
        [
            event("e7", "sale", "2024-02-20T10:00:00Z"),
            E1,
            event("e8", "sale", "2024-03-05T10:00:00Z", quantity=2),
        ],
        arrival="2024-03-11",
    )
    second = run_job(time_zones={"W2": "Europe/Rome"})
    assert [o["key"] for o in second["objects"]] == ["events/dt=2024-03-11/c.ndjson.gz"]
    assert {k: second[k] for k in ("records_in", "valid", "quarantined", "duplicates")} == {
        "records_in": 3,
        "valid": 2,
        "quarantined": 0,
        "duplicates": 1,
    }
    assert second["duplicates_by_kind"] == {"within_run": 0, "earlier_runs": 1}
    # W1 from February (the late sale) on: S1 02-20..03-05 (15 days) + S2 (1 day); W2 untouched.
    assert (second["partitions_rewritten"], second["demand_rows_written"]) == (2, 16)
    assert second["events_in_rewritten_partitions"] == second["demand_events_reflected"] == 6
    assert {
        k: v for k, v in _files(processed, "demand_daily").items() if k.startswith("warehouse_id=W2")
    } == w2_files

    demand_total = _table(spark, processed, "demand_daily").agg(F.sum("event_count")).first()[0]
    assert demand_total == first["valid"] + second["valid"]

    before = (_demand(spark, processed), _files(processed, "demand_daily"), _files(processed, "series_state"))
    third = run_job(time_zones={"W2": "Europe/Rome"})
    assert (third["objects"], third["records_in"], third["demand_rows_written"]) == ([], 0, 0)
    assert (
        _demand(spark, processed),
        _files(processed, "demand_daily"),
        _files(processed, "series_state"),
    ) == before

    rebuilt = run_job(time_zones={"W2": "Europe/Rome"}, reprocess=True)
    assert rebuilt["mode"] == "reprocess" and len(rebuilt["objects"]) == 3
    assert {k: rebuilt[k] for k in ("records_in", "valid", "quarantined", "duplicates")} == {
        "records_in": 14,
        "valid": 7,
        "quarantined": 4,
        "duplicates": 3,
    }
    assert _demand(spark, processed) == before[0]
    assert _table(spark, processed, "quarantine").count() == 4  # rebuilt, not appended


def test_out_of_order_snapshots_across_runs_and_closed_days(spark, raw_store, run_job, processed):
    raw_store.calendar({"W1": ["2024-01-02"]})
    raw_store.put(
        "a",
        [
            event("s3", "inventory_snapshot", "2024-01-03T08:00:00Z", on_hand=10),
            event("q3", "sale", "2024-01-03T10:00:00Z", quantity=2),
            event("q1", "sale", "2024-01-01T10:00:00Z", quantity=1),
        ],
    )
    run_job()
    raw_store.put(
        "b", [event("s1", "inventory_snapshot", "2024-01-01T12:00:00Z", on_hand=0)], arrival="2024-03-11"
    )
    manifest = run_job(closed_days=())
    assert manifest["settings"]["closed_days"] == 1
    days = {r["date"].isoformat(): r for r in _table(spark, processed, "demand_daily").collect()}
    assert {d: (r["on_hand_eod"], r["stockout"], r["closed"]) for d, r in days.items()} == {
        "2024-01-01": (0.0, True, False),  # the late count says the shelf was empty
        "2024-01-02": (0.0, True, True),
        "2024-01-03": (8.0, True, False),  # started empty; the 08:00 count then states 10
    }
    state = _table(spark, processed, "series_state").collect()
    assert [(r["warehouse_id"], r["sku"], r["closed"], r["on_hand"]) for r in state] == [
        ("W1", "S1", [False, True, False], 8.0)
    ]


def test_bad_options_and_calendar_fail_with_clear_errors(raw_store, run_job, processed):
    raw_store.put("a", [E1])
    raw_store.calendar({"W1": ["2024-02-30"]})
    with pytest.raises(ValueError, match=r"closed-days calendar .*W1: '2024-02-30' is not a YYYY-MM-DD date"):
        run_job()
    assert not os.path.exists(processed / "runs")
