"""The inventory-policy backtest (model/inventory.py): the simulation on small hand-worked cases, the
weeks-of-cover setting, and the replay of backtest windows end to end on seeded data."""

from __future__ import annotations

import numpy as np
import pytest

from model.backtest import evaluation_origins, run_backtest
from model.inventory import POLICIES, cover_days, inventory_backtest, inventory_text, simulate, summarize
from model.replenishment import PolicyInputs
from model.snaive import SeasonalNaiveForecaster


def levels(n_reviews: int, s: float, up: float, n: int = 1) -> tuple[np.ndarray, np.ndarray]:
    return np.full((n, n_reviews), float(s)), np.full((n, n_reviews), float(up))


def test_receipts_arrive_after_the_lead_time_and_unmet_demand_is_lost():
    # L = 2, R = 2, s = 3, S = 5, two units a day. Day 0: 5 on hand (S), IP 5 > 3, no order, 3 left. Day 1:
    # 1 left. Day 2: IP 1 <= 3, order 4 (arrives day 4); sells 1, loses 1. Day 3: loses 2. Day 4: 4 arrive,
    # IP 4 > 3, sells 2. Day 5: sells 2.
    inputs = PolicyInputs(lead_time_days=2, review_period_days=2)
    sim = simulate(np.full((1, 6), 2.0), *levels(3, 3, 5), inputs)
    assert sim.ordered[0].tolist() == [0, 0, 4, 0, 0, 0]
    assert sim.sold[0].tolist() == [2, 2, 1, 0, 2, 2]
    assert sim.lost[0].tolist() == [0, 0, 1, 2, 0, 0]
    assert sim.on_hand[0].tolist() == [3, 1, 0, 0, 2, 0]
    # Cycles: days 2-3 (review of day 0, lost sales) and 4-5 (review of day 2); the review of day 4 protects
    # days 6-7, past the data. Scores cover days 2..5.
    assert sim.cycle_ok.tolist() == [[False, True]] and sim.scored == slice(2, 6)
    pooled = summarize(sim, ["a"])["pooled"]
    assert pooled["demand"] == 8 and pooled["sold"] == 5 and pooled["lost"] == 3
    assert pooled["fill_rate"] == 0.625 and pooled["cycle_service_level"] == 0.5
    assert pooled["avg_on_hand"] == 0.5 and pooled["units_days"] == 2 and pooled["stockout_days"] == 2
    assert pooled["orders"] == 1 and pooled["units_ordered"] == 4


def test_the_position_counts_stock_on_order():
    # L = 3, R = 1 (a review every day), s = 10, S = 12, four units a day: each review orders only the 4 units
    # the position lacks, because earlier orders are still on their way.
    sim = simulate(np.full((1, 5), 4.0), *levels(5, 10, 12), PolicyInputs(3, 1))
    assert sim.ordered[0].tolist() == [0, 4, 4, 4, 0]
    assert sim.lost[0].tolist() == [0, 0, 0, 4, 0]
    assert sim.on_hand[0].tolist() == [8, 4, 0, 0, 0]


def test_zero_lead_time_receives_before_the_day_s_sales():
    sim = simulate(np.full((1, 2), 3.0), *levels(2, 2, 4), PolicyInputs(0, 1))
    assert sim.ordered[0].tolist() == [0, 3] and sim.lost.sum() == 0
    assert sim.cycle_ok.tolist() == [[True, True]]


def test_zero_demand_neither_orders_nor_stocks_out():
    sim = simulate(np.zeros((2, 14)), np.zeros((2, 2)), np.array([[0.0, 0.0], [5.0, 5.0]]), PolicyInputs())
    out = summarize(sim, ["none", "held"])
    assert sim.ordered.sum() == 0 and sim.lost.sum() == 0
    assert out["series"]["none"]["fill_rate"] is None  # no demand: no rate to report
    assert out["series"]["none"]["cycle_service_level"] == 1.0
    assert out["series"]["held"]["avg_on_hand"] == 5.0
    assert out["pooled"]["avg_on_hand"] == 5.0 and out["pooled"]["stockout_days"] == 0


def test_pooled_scores_add_up_the_series():
    demand = np.array([[1.0, 2, 0, 3, 1, 0, 2, 2], [5, 5, 5, 5, 5, 5, 5, 5]])
    reorder, up = np.array([[3.0, 3, 3, 3], [4, 4, 4, 4]]), np.array([[6.0, 6, 6, 6], [9, 9, 9, 9]])
    out = summarize(simulate(demand, reorder, up, PolicyInputs(1, 2)), ["a", "b"])
    a, b, pooled = out["series"]["a"], out["series"]["b"], out["pooled"]
    for key in ("demand", "sold", "lost", "units_days", "stockout_days", "cycles", "orders"):
        assert pooled[key] == a[key] + b[key]
    assert pooled["fill_rate"] == pytest.approx(pooled["sold"] / pooled["demand"], abs=1e-4)


def test_simulation_rejects_bad_shapes_and_demand():
    with pytest.raises(ValueError, match="one column per review"):
        simulate(np.ones((1, 14)), *levels(1, 1, 2), PolicyInputs())
    with pytest.raises(ValueError, match="without NaN"):
        simulate(np.array([[np.nan, 1.0]]), *levels(1, 1, 2), PolicyInputs(1, 7))


def test_cover_days_is_the_target_quantile_of_demand_over_its_trailing_mean():
    # Constant demand: the next P days are exactly P days of the trailing mean.
    assert cover_days(np.full((3, 80), 2.0), 10, 0.95) == pytest.approx(10.0)
    # Alternating weeks of 1 and 3 a day: the 28-day mean is 2 and 7 days ahead hold 7 or 21 units, half each.
    weeks = np.repeat(np.tile([1.0, 3.0], 10), 7)[None, :]
    assert cover_days(weeks, 7, 0.95) == pytest.approx(10.5)


@pytest.fixture(scope="module")
def replay(seeded_panel):
    panel = seeded_panel(6, 200, "D")
    origins = evaluation_origins(panel.n_periods, 14, 2)
    model = SeasonalNaiveForecaster()  # stands in for a fitted model: the replay needs only its forecasts
    return panel, inventory_backtest(panel, origins, 14, lambda o: model, PolicyInputs(3, 4, 0.9), seed=1)


def test_replay_scores_every_policy_per_series_and_pooled(replay):
    panel, result = replay
    s = result["settings"]
    assert (s["days"], s["reviews"], s["series"], s["lead_time_days"]) == (28, 7, 6, 3)
    assert set(result["policies"]) == set(POLICIES)
    actual = np.nan_to_num(panel.y[:, -28:])
    for p in result["policies"].values():
        assert set(p["series"]) == set(panel.ids)
        pooled = p["pooled"]
        assert pooled["sold"] + pooled["lost"] == pytest.approx(pooled["demand"])
        assert pooled["demand"] <= actual.sum() and 0 <= pooled["cycle_service_level"] <= 1
        assert pooled["cycles"] == 6 * 6  # the last review's cycle runs past the data
    assert result["goal"]["checks"]["csl_within_3_points"]["target"] == 0.9
    text = inventory_text(result)
    assert (
        "target cycle service level 90.0%" in text and "weeks_of_cover" in text and "goal (issue 18)" in text
    )


def test_replay_needs_daily_data_and_a_long_enough_horizon(seeded_panel):
    weekly = seeded_panel(3, 60, "W")
    with pytest.raises(ValueError, match="daily data"):
        inventory_backtest(weekly, [40, 50], 10, None, PolicyInputs())
    daily = seeded_panel(3, 120, "D")
    with pytest.raises(ValueError, match="must not exceed the horizon"):
        inventory_backtest(daily, [90, 97], 7, None, PolicyInputs())


def test_run_backtest_carries_the_replay(seeded_panel):
    panel = seeded_panel(4, 150, "D")
    result = run_backtest(panel, 7, 2, None, inventory=PolicyInputs(2, 3), baselines=False)
    assert set(result["inventory"]["policies"]) == {"seasonal_naive", "weeks_of_cover"}  # no model fitted
    assert result["inventory"]["goal"]["met"] is None
    assert "inventory_s" in result["timings"]
