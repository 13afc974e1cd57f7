"""The accuracy step (etl/accuracy_run.py) on a local store laid out as the ETL and predict function write it.

Same numbers as test_accuracy.py's fixture, worked out by hand: on 2024-01-02, W1 (A: 10 vs 8, B: 5 vs 10) and
W2 (A: 4 vs 4) → n 3, |e| 7, actual 22, e -3; on 2024-01-03, W1/A: 6 vs 0 → WAPE undefined.
"""

from __future__ import annotations

import gzip
import json
from datetime import date

import pytest

from etl.accuracy import ALL
from etl.accuracy_run import run_accuracy, served_log_keys
from etl.storage import Storage
from tests.python.etl.conftest import event
from tests.python.etl.test_accuracy import served_row

pytestmark = pytest.mark.spark


def test_served_log_keys_keeps_partitions_from_the_lead_window_on():
    keys = [
        "forecasts/dt=2023-12-01/a.ndjson.gz",
        "forecasts/dt=2023-12-03/b.ndjson.gz",
        "forecasts/dt=2024-01-05/c.ndjson.gz",
        "forecasts/misc/d.ndjson.gz",
    ]
    assert served_log_keys(keys, date(2024, 1, 2), lead_days=30) == [
        "forecasts/dt=2023-12-03/b.ndjson.gz",
        "forecasts/dt=2024-01-05/c.ndjson.gz",
        "forecasts/misc/d.ndjson.gz",
    ]
    with pytest.raises(ValueError, match="lead_days"):
        served_log_keys(keys, date(2024, 1, 2), lead_days=-1)


def _write_log(root, dt, name, records):
    path = root / "forecasts" / f"dt={dt}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps(r) + "\n")


@pytest.fixture
def dynamic_overwrite(spark):
    previous = spark.conf.get("spark.sql.sources.partitionOverwriteMode")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    yield
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", previous)


def test_run_accuracy_writes_the_rewritten_dates_and_reports_measured_rows(
    spark, tmp_path, dynamic_overwrite
):
    raw_dir, processed_dir = tmp_path / "raw", tmp_path / "processed"
    demand_rows = [
        ("W1", "A", date(2024, 1, 2), 8, False, False, "2024-01"),
        ("W1", "B", date(2024, 1, 2), 10, False, False, "2024-01"),
        ("W2", "A", date(2024, 1, 2), 4, False, False, "2024-01"),
        ("W1", "A", date(2024, 1, 3), 0, False, False, "2024-01"),
        ("W1", "A", date(2023, 12, 31), 5, False, False, "2023-12"),
    ]
    columns = "warehouse_id sku date units_sold closed stockout month".split()
    spark.createDataFrame(demand_rows, columns).write.partitionBy("warehouse_id", "month").parquet(
        str(processed_dir / "demand_daily")
    )
    # An earlier run's accuracy for a date this run does not touch must survive.
    earlier = spark.createDataFrame(
        [(date(2023, 12, 31), ALL, ALL, 1, 1.0, 5.0, 1.0, 0.2, 0.2)],
        "date date, group string, model_version string, n long, abs_error double, actual double, "
        "error double, wape double, bias double",
    )
    earlier.write.partitionBy("date").parquet(str(processed_dir / "accuracy"))

    _write_log(
        raw_dir,
        "2024-01-01",
        "a.ndjson.gz",
        [
            served_row("r1", "v1", "W1", "A", "2024-01-02", 10.0),
            served_row("r1", "v1", "W1", "A", "2024-01-02", 10.0),  # delivered twice
            served_row("r1", "v1", "W1", "B", "2024-01-02", 5.0),
            served_row("r2", "v2", "W2", "A", "2024-01-02", 4.0),
            served_row("r4", "v1", "W1", "A", "2024-01-03", 6.0),
            served_row("r5", "v1", "W1", "A", "not-a-date", 1.0),
        ],
    )
    # Outside the lead window: if it were read, W1/A's error on 2024-01-02 would change.
    _write_log(
        raw_dir, "2023-06-01", "old.ndjson.gz", [served_row("old", "v1", "W1", "A", "2024-01-02", 100.0)]
    )

    raw, processed = Storage(spark, str(raw_dir)), Storage(spark, str(processed_dir))
    touched = spark.createDataFrame([("W1", "2024-01")], "warehouse_id string, from_month string")
    demand = spark.read.parquet(str(processed_dir / "demand_daily"))
    section = run_accuracy(spark, raw, demand, touched, processed.uri("accuracy"), lead_days=30)

    assert section["dates"] == ["2024-01-02", "2024-01-03"]
    assert section["served"] == {
        "records_in": 6,
        "valid": 4,
        "duplicates": 1,
        "rejected": {"bad_target_date": 1},
    }
    assert section["status"] == {"evaluated": 4, "closed": 0, "stockout": 0, "no_actual": 0}
    rows = {(r["date"], r["group"]): r for r in section["rows"]}
    assert set(rows) == {
        ("2024-01-02", "W1"),
        ("2024-01-02", "W2"),
        ("2024-01-02", ALL),
        ("2024-01-03", "W1"),
        ("2024-01-03", ALL),
    }
    overall = rows[("2024-01-02", ALL)]
    assert (overall["n"], overall["abs_error"], overall["actual"], overall["error"]) == (3, 7.0, 22.0, -3.0)
    assert overall["wape"] == pytest.approx(7 / 22)
    assert rows[("2024-01-03", ALL)]["wape"] is None

    table = spark.read.parquet(str(processed_dir / "accuracy"))
    by_date = {
        r["date"]: r["count"]
        for r in table.groupBy(table["date"].cast("string").alias("date")).count().collect()
    }
    assert by_date == {"2023-12-31": 1, "2024-01-02": 7, "2024-01-03": 4}


def test_run_accuracy_without_a_served_log_reports_the_dates_and_writes_nothing(spark, tmp_path):
    processed_dir = tmp_path / "processed"
    spark.createDataFrame(
        [("W1", "A", date(2024, 1, 2), 8, False, False, "2024-01")],
        "warehouse_id string, sku string, date date, units_sold long, closed boolean, stockout boolean, "
        "month string",
    ).write.partitionBy("warehouse_id", "month").parquet(str(processed_dir / "demand_daily"))
    raw, processed = Storage(spark, str(tmp_path / "raw")), Storage(spark, str(processed_dir))
    touched = spark.createDataFrame([("W1", "2024-01")], "warehouse_id string, from_month string")
    demand = spark.read.parquet(str(processed_dir / "demand_daily"))
    section = run_accuracy(spark, raw, demand, touched, processed.uri("accuracy"))
    assert section["dates"] == ["2024-01-02", "2024-01-02"]
    assert section["rows"] == [] and section["status"]["evaluated"] == 0
    assert not processed.exists("accuracy")


def test_run_metrics_carry_the_accuracy_rows_in_the_same_call(run_manifest):
    from etl.metrics import metric_data

    manifest = run_manifest
    data = metric_data(manifest, "warecast-dev-etl")
    assert [d["MetricName"] for d in data[:7]] == [
        "RecordsIn",
        "ValidEvents",
        "QuarantinedRecords",
        "DuplicateEvents",
        "DemandRowsWritten",
        "PartitionsRewritten",
        "DurationSeconds",
    ]
    accuracy = data[7:]
    assert [(d["MetricName"], d["Dimensions"][1]["Value"]) for d in accuracy] == [
        ("ForecastWAPE", ALL),
        ("ForecastBias", ALL),
        ("ForecastsEvaluated", ALL),
        ("ForecastWAPE", "W1"),
        ("ForecastBias", "W1"),
        ("ForecastsEvaluated", "W1"),
    ]
    assert accuracy[0]["Dimensions"][0] == {"Name": "JobName", "Value": "warecast-dev-etl"}
    assert accuracy[0]["Timestamp"] == "2024-01-04T06:30:00Z"
    assert accuracy[0]["Value"] == pytest.approx(7 / 22)
    # Without an accuracy section (no valid events, or no served log) the run metrics stand alone.
    assert len(metric_data({k: v for k, v in manifest.items() if k != "accuracy"}, "j")) == 7


def test_an_etl_run_scores_the_forecasts_served_for_the_days_it_writes(
    raw_store, run_job, processed, tmp_path
):
    """etl/job.py calls the step. By hand: 03-01 forecast 4 vs 2 sold, 03-02 forecast 3 vs 3 sold."""
    raw_store.put(
        "a",
        [
            event("e1", "sale", "2024-03-01T10:00:00Z", quantity=2),
            event("e2", "sale", "2024-03-02T10:00:00Z", quantity=3),
        ],
    )
    _write_log(
        tmp_path / "raw",
        "2024-02-29",
        "f.ndjson.gz",
        [
            served_row("r1", "v1", "W1", "S1", "2024-03-01", 4.0),
            served_row("r1", "v1", "W1", "S1", "2024-03-02", 3.0),
            served_row("r1", "v1", "W1", "S1", "2024-03-03", 9.0),  # no actual yet
        ],
    )
    manifest = run_job()
    section = manifest["accuracy"]
    assert section["dates"] == ["2024-03-01", "2024-03-02"]
    assert section["status"] == {"evaluated": 2, "closed": 0, "stockout": 0, "no_actual": 0}
    overall = {r["date"]: r for r in section["rows"] if r["group"] == ALL}
    assert (overall["2024-03-01"]["wape"], overall["2024-03-01"]["bias"]) == (1.0, 1.0)
    assert (overall["2024-03-02"]["wape"], overall["2024-03-02"]["bias"]) == (0.0, 0.0)
    runs = list((processed / "runs").glob("*.json"))
    assert json.loads(runs[0].read_text())["accuracy"] == section
