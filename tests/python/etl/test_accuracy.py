"""Accuracy against actuals (etl/accuracy.py) on a small fixture whose answers are worked out by hand.

Fixture (day 1 = 2024-01-02, day 2 = 2024-01-03), error e = mean - actual:

| request | model | series | day | mean | actual | status                                   |
|---------|-------|--------|-----|------|--------|------------------------------------------|
| r1      | v1    | W1/A   | 1   | 10   | 8      | e = +2                                   |
| r1      | v1    | W1/A   | 1   | 10   | 8      | duplicate delivery: dropped              |
| r1      | v1    | W1/B   | 1   | 5    | 10     | e = -5                                   |
| r2      | v2    | W2/A   | 1   | 4    | 4      | e = 0                                    |
| r3      | v2    | W1/C   | 1   | 3    | 0      | closed day: excluded                     |
| r3      | v2    | W1/D   | 1   | 7    | 1      | stockout: excluded                       |
| r3      | v2    | W2/Z   | 1   | 2    | -      | no demand row: no_actual                 |
| r4      | v1    | W1/A   | 2   | 6    | 0      | e = +6, Σ actual = 0: WAPE undefined     |
| bad ×3  |       |        |     |      |        | missing request_id, bad date, mean < 0   |

Day 1 by hand:
- W1 (v1 only): n 2, |e| 2+5 = 7, actual 8+10 = 18, e 2-5 = -3, WAPE 7/18, bias -3/18.
- W2 (v2 only): n 1, |e| 0, actual 4, e 0, WAPE 0, bias 0.
- all groups, all versions: n 3, |e| 7, actual 22, e -3, WAPE 7/22, bias -3/22.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from etl import accuracy as acc

pytestmark = pytest.mark.spark

D1, D2 = date(2024, 1, 2), date(2024, 1, 3)
ALL = acc.ALL


def served_row(request, model, wh, sku, target, mean, step=1):
    return {
        "served_at": "2024-01-01T09:00:00Z",
        "request_id": request,
        "model_version": model,
        "warehouse_id": wh,
        "sku": sku,
        "target_date": target,
        "step": step,
        "mean": mean,
        "quantiles": {"0.5": mean},
    }


SERVED = [
    served_row("r1", "v1", "W1", "A", "2024-01-02", 10.0),
    served_row("r1", "v1", "W1", "A", "2024-01-02", 10.0),
    served_row("r1", "v1", "W1", "B", "2024-01-02", 5.0),
    served_row("r2", "v2", "W2", "A", "2024-01-02", 4.0),
    served_row("r3", "v2", "W1", "C", "2024-01-02", 3.0),
    served_row("r3", "v2", "W1", "D", "2024-01-02", 7.0),
    served_row("r3", "v2", "W2", "Z", "2024-01-02", 2.0),
    served_row("r4", "v1", "W1", "A", "2024-01-03", 6.0, step=2),
    served_row(None, "v1", "W1", "A", "2024-01-02", 1.0),
    served_row("r5", "v1", "W1", "A", "2024-13-01", 1.0),
    served_row("r6", "v1", "W1", "A", "2024-01-02", -1.0),
]

DEMAND_COLUMNS = "warehouse_id sku date units_sold closed stockout".split()
DEMAND = [
    ("W1", "A", D1, 8, False, False),
    ("W1", "B", D1, 10, False, False),
    ("W2", "A", D1, 4, False, False),
    ("W1", "C", D1, 0, True, False),
    ("W1", "D", D1, 1, False, True),
    ("W1", "A", D2, 0, False, False),
]


@pytest.fixture(scope="module")
def frames(spark):
    served = spark.createDataFrame(SERVED, schema=acc.SERVED_FORECAST_SCHEMA)
    demand = spark.createDataFrame(DEMAND, DEMAND_COLUMNS)
    return served, demand


def table(frame) -> dict[tuple, dict]:
    return {(r["date"], r["group"], r["model_version"]): r.asDict() for r in frame.collect()}


def test_prepare_served_rejects_with_reasons_and_counts_duplicates(frames):
    served, _ = frames
    prepared = acc.prepare_served(served)
    assert acc.served_counts(prepared) == {
        "records_in": 11,
        "valid": 7,
        "duplicates": 1,
        "rejected": {"bad_mean": 1, "bad_target_date": 1, "missing_request_id": 1},
    }
    assert dict(prepared.valid.dtypes)["target_date"] == "date"


def test_join_actuals_statuses(frames):
    served, demand = frames
    joined = acc.join_actuals(acc.prepare_served(served).valid, demand)
    assert acc.status_counts(joined) == {"evaluated": 4, "closed": 1, "stockout": 1, "no_actual": 1}
    by_series = {(r["warehouse_id"], r["sku"], r["target_date"]): r for r in joined.collect()}
    assert by_series[("W1", "C", D1)]["actual"] is None  # excluded rows carry no actual
    assert by_series[("W1", "B", D1)]["actual"] == 10.0


def test_accuracy_table_matches_hand_computed_answers(frames):
    served, demand = frames
    result = acc.accuracy_table(acc.join_actuals(acc.prepare_served(served).valid, demand))
    assert tuple(result.columns) == acc.ACCURACY_COLUMNS
    rows = table(result)
    assert set(rows) == {
        (D1, "W1", "v1"),
        (D1, "W2", "v2"),
        (D1, "W1", ALL),
        (D1, "W2", ALL),
        (D1, ALL, "v1"),
        (D1, ALL, "v2"),
        (D1, ALL, ALL),
        (D2, "W1", "v1"),
        (D2, "W1", ALL),
        (D2, ALL, "v1"),
        (D2, ALL, ALL),
    }
    w1 = rows[(D1, "W1", ALL)]
    assert (w1["n"], w1["abs_error"], w1["actual"], w1["error"]) == (2, 7.0, 18.0, -3.0)
    assert w1["wape"] == pytest.approx(7 / 18) and w1["bias"] == pytest.approx(-3 / 18)
    w2 = rows[(D1, "W2", "v2")]
    assert (w2["n"], w2["abs_error"], w2["actual"], w2["wape"], w2["bias"]) == (1, 0.0, 4.0, 0.0, 0.0)
    overall = rows[(D1, ALL, ALL)]
    assert (overall["n"], overall["abs_error"], overall["actual"], overall["error"]) == (3, 7.0, 22.0, -3.0)
    assert overall["wape"] == pytest.approx(7 / 22) and overall["bias"] == pytest.approx(-3 / 22)
    assert rows[(D1, ALL, "v2")]["n"] == 1
    day2 = rows[(D2, ALL, ALL)]
    assert (day2["n"], day2["abs_error"], day2["actual"], day2["error"]) == (1, 6.0, 0.0, 6.0)
    assert day2["wape"] is None and day2["bias"] is None  # undefined, not zero


def test_dates_restrict_the_evaluation_and_stockouts_can_be_included(frames):
    served, demand = frames
    joined = acc.join_actuals(acc.prepare_served(served).valid, demand, [D2])
    assert acc.status_counts(joined) == {"evaluated": 1, "closed": 0, "stockout": 0, "no_actual": 0}
    with_stockouts = acc.join_actuals(acc.prepare_served(served).valid, demand, [D1], exclude_stockouts=False)
    overall = table(acc.accuracy_table(with_stockouts))[(D1, ALL, ALL)]
    # W1/D joins: mean 7, actual 1, e = +6 → n 4, |e| 13, actual 23, e 3.
    assert (overall["n"], overall["abs_error"], overall["actual"], overall["error"]) == (4, 13.0, 23.0, 3.0)
    with pytest.raises(ValueError, match="dates"):
        acc.join_actuals(served, demand, [])


def test_bad_arguments_name_what_is_wrong(frames):
    served, demand = frames
    with pytest.raises(ValueError, match="served: missing columns"):
        acc.prepare_served(served.drop("mean"))
    with pytest.raises(ValueError, match="demand: missing column 'stockout'"):
        acc.join_actuals(acc.prepare_served(served).valid, demand.drop("stockout"))
    with pytest.raises(ValueError, match="group_col"):
        acc.accuracy_table(acc.join_actuals(acc.prepare_served(served).valid, demand), group_col="region")


def test_summary_and_metric_data(frames):
    served, demand = frames
    summary = acc.summarize(acc.accuracy_table(acc.join_actuals(acc.prepare_served(served).valid, demand)))
    assert [(r["date"], r["group"]) for r in summary] == [
        ("2024-01-03", "W1"),
        ("2024-01-03", ALL),
        ("2024-01-02", "W1"),
        ("2024-01-02", "W2"),
        ("2024-01-02", ALL),
    ]
    when = datetime(2024, 1, 4, 6, 30, tzinfo=UTC)
    data = acc.metric_data(summary, timestamp=when, dimensions={"service": "etl"})
    # Day 2's WAPE and bias are undefined: only its count is published.
    assert len(data) == 3 + 3 + 3 + 1 + 1
    first = data[0]
    assert first["Dimensions"] == [{"Name": "service", "Value": "etl"}, {"Name": "Group", "Value": ALL}]
    assert first["Timestamp"] == "2024-01-04T06:30:00Z"
    overall_wape = [
        d["Value"] for d in data if d["MetricName"] == "ForecastWAPE" and d["Dimensions"][1]["Value"] == ALL
    ]
    assert overall_wape == [pytest.approx(7 / 22)]
    # Overall rows come first (newest day first), then per group: the cap keeps what the alarm watches.
    capped = acc.metric_data(summary, timestamp=when, max_entries=4)
    assert [d["MetricName"] for d in capped] == [
        "ForecastsEvaluated",
        "ForecastWAPE",
        "ForecastBias",
        "ForecastsEvaluated",
    ]
    assert {d["Dimensions"][0]["Value"] for d in capped} == {ALL}
    with pytest.raises(ValueError, match="max_entries"):
        acc.metric_data(summary, timestamp=when, max_entries=2)


def test_matches_a_plain_python_reference_and_ignores_row_order(spark):
    """Seeded random log against a direct computation; shuffled input gives the same table."""
    rng = random.Random(7)
    served, demand, expected = [], [], {}
    for i in range(300):
        wh, sku, day = f"W{rng.randint(1, 3)}", f"S{rng.randint(1, 20)}", date(2024, 2, rng.randint(1, 5))
        mean = round(rng.uniform(0, 20), 2)
        served.append(served_row(f"q{i}", "v1", wh, sku, day.isoformat(), mean))
    seen = {(r["warehouse_id"], r["sku"], r["target_date"]) for r in served}
    actual_of = {key: rng.randint(0, 15) for key in seen}
    for (wh, sku, day), units in actual_of.items():
        demand.append((wh, sku, date.fromisoformat(day), units, False, False))
    for r in served:
        units = actual_of[(r["warehouse_id"], r["sku"], r["target_date"])]
        for group in (r["warehouse_id"], ALL):
            agg = expected.setdefault((date.fromisoformat(r["target_date"]), group), [0, 0.0, 0.0, 0.0])
            agg[0] += 1
            agg[1] += abs(r["mean"] - units)
            agg[2] += units
            agg[3] += r["mean"] - units
    rng.shuffle(served)
    served_df = spark.createDataFrame(served, schema=acc.SERVED_FORECAST_SCHEMA).repartition(3)
    demand_df = spark.createDataFrame(demand, DEMAND_COLUMNS)
    rows = table(acc.accuracy_table(acc.join_actuals(acc.prepare_served(served_df).valid, demand_df)))
    for (day, group), (n, abs_e, actual, err) in expected.items():
        row = rows[(day, group, ALL)]
        assert row["n"] == n
        assert row["abs_error"] == pytest.approx(abs_e)
        assert row["actual"] == pytest.approx(actual)
        assert row["wape"] == pytest.approx(abs_e / actual)
        assert row["bias"] == pytest.approx(err / actual)
