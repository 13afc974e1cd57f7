"""The inventory-policy backtest (model/inventory.py): the simulation on small hand-worked cases, the
weeks-of-cover setting, and the replay of backtest windows end to end on seeded data."""

from __future__ import annotations

import numpy as np
import pytest

from model.backtest import evaluation_origins, run_backtest
from model.inventory import (
    POLICIES,
    cover_days,
    inventory_at,
    inventory_backtest,
    inventory_text,
    matched,
    simulate,
    summarize,
)
from model.replenishment import PolicyInputs
from model.snaive import SeasonalNaiveForecaster


def levels(n_reviews: int, up: float | list[float], n: int = 1) -> np.ndarray:
    return np.broadcast_to(np.asarray(up, dtype=np.float64), (n, n_reviews)).copy()


def test_receipts_arrive_after_the_lead_time_and_unmet_demand_is_lost():
    # L = 2, R = 2, two units a day, S = 5 then 3 then 5. Day 0: 5 on hand (the first S), IP 5 = S, no order,
    # 3 left. Day 1: 1 left. Day 2: IP 1 < S 3, order 2 (arrives day 4); sells 1, loses 1. Day 3: loses 2.
    # Day 4: 2 arrive, IP 2 < S 5, order 3 (arrives day 6, past the data); sells 2. Day 5: loses 2.
    inputs = PolicyInputs(lead_time_days=2, review_period_days=2)
    sim = simulate(np.full((1, 6), 2.0), levels(3, [5, 3, 5]), inputs)
    assert sim.ordered[0].tolist() == [0, 0, 2, 0, 3, 0]
    assert sim.sold[0].tolist() == [2, 2, 1, 0, 2, 0]
    assert sim.lost[0].tolist() == [0, 0, 1, 2, 0, 2]
    assert sim.on_hand[0].tolist() == [3, 1, 0, 0, 0, 0]
    # Cycles: days 2-3 (review of day 0) and 4-5 (review of day 2), both with lost sales; the review of day 4
    # protects days 6-7, past the data. Scores cover days 2..5.
    assert sim.cycle_ok.tolist() == [[False, False]] and sim.scored == slice(2, 6)
    pooled = summarize(sim, ["a"])["pooled"]
    assert pooled["demand"] == 8 and pooled["sold"] == 3 and pooled["lost"] == 5
    assert pooled["fill_rate"] == 0.375 and pooled["cycle_service_level"] == 0.0
    assert pooled["avg_on_hand"] == 0.0 and pooled["units_days"] == 0 and pooled["stockout_days"] == 3
    assert pooled["orders"] == 2 and pooled["units_ordered"] == 5


def test_an_order_up_to_level_that_covers_lead_time_and_review_period_serves_every_cycle():
    # L = 2, R = 2, two units a day: S = 2 × (L + R) = 8 covers demand until the next order arrives, so after
    # the first review every review orders exactly the 4 units sold since the last one and nothing is lost.
    sim = simulate(np.full((1, 8), 2.0), levels(4, 8), PolicyInputs(2, 2))
    assert sim.ordered[0].tolist() == [0, 0, 4, 0, 4, 0, 4, 0]
    assert sim.lost.sum() == 0 and sim.cycle_ok.all()


def test_the_position_counts_stock_on_order():
    # L = 3, R = 1 (a review every day), S = 12, four units a day: each review orders only the 4 units the
    # position lacks, because earlier orders are still on their way. S = 12 covers three days, not L + R = 4:
    # day 3 sells out before the first order arrives on day 4.
    sim = simulate(np.full((1, 5), 4.0), levels(5, 12), PolicyInputs(3, 1))
    assert sim.ordered[0].tolist() == [0, 4, 4, 4, 0]
    assert sim.lost[0].tolist() == [0, 0, 0, 4, 0]
    assert sim.on_hand[0].tolist() == [8, 4, 0, 0, 0]


def test_zero_lead_time_receives_before_the_day_s_sales():
    sim = simulate(np.full((1, 2), 3.0), levels(2, 4), PolicyInputs(0, 1))
    assert sim.ordered[0].tolist() == [0, 3] and sim.lost.sum() == 0
    assert sim.cycle_ok.tolist() == [[True, True]]


def test_zero_demand_neither_orders_nor_stocks_out():
    sim = simulate(np.zeros((2, 14)), np.array([[0.0, 0.0], [5.0, 5.0]]), PolicyInputs())
    out = summarize(sim, ["none", "held"])
    assert sim.ordered.sum() == 0 and sim.lost.sum() == 0
    assert out["series"]["none"]["fill_rate"] is None  # no demand: no rate to report
    assert out["series"]["none"]["cycle_service_level"] == 1.0
    assert out["series"]["held"]["avg_on_hand"] == 5.0
    assert out["pooled"]["avg_on_hand"] == 5.0 and out["pooled"]["stockout_days"] == 0


def test_pooled_scores_add_up_the_series():
    demand = np.array([[1.0, 2, 0, 3, 1, 0, 2, 2], [5, 5, 5, 5, 5, 5, 5, 5]])
    up = np.array([[4.0, 4, 4, 4], [9, 9, 9, 9]])
    out = summarize(simulate(demand, up, PolicyInputs(1, 2)), ["a", "b"])
    a, b, pooled = out["series"]["a"], out["series"]["b"], out["pooled"]
    for key in ("demand", "sold", "lost", "units_days", "stockout_days", "cycles", "orders"):
        assert pooled[key] == a[key] + b[key]
    assert pooled["fill_rate"] == pytest.approx(pooled["sold"] / pooled["demand"], abs=1e-4)


def test_simulation_rejects_bad_shapes_and_demand():
    with pytest.raises(ValueError, match="one column per review"):
        simulate(np.ones((1, 14)), levels(1, 2), PolicyInputs())
    with pytest.raises(ValueError, match="without NaN"):
        simulate(np.array([[np.nan, 1.0]]), levels(1, 2), PolicyInputs(1, 7))


def test_cover_days_is_the_target_quantile_of_demand_over_its_trailing_mean():
    # Constant demand: the next P days are exactly P days of the trailing mean.
    assert cover_days(np.full((3, 80), 2.0), 10, np.array([0.95])) == pytest.approx([10.0])
    # Alternating weeks of 1 and 3 a day: the 28-day mean is 2 and 7 days ahead hold 7 or 21 units, half each
    # (plus the weeks straddling a change): a low level covers 3.5 days, a high one 10.5.
    weeks = np.repeat(np.tile([1.0, 3.0], 10), 7)[None, :]
    assert cover_days(weeks, 7, np.array([0.01, 0.95])) == pytest.approx([3.5, 10.5])


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
        "target cycle service level 90.0%" in text
        and "weeks_of_cover" in text
        and "goal (issue 18, at the same target)" in text
    )


def point(level: float, csl: float | None, fill: float, stock: float) -> dict:
    return {"service_level": level, "cycle_service_level": csl, "fill_rate": fill, "avg_on_hand": stock}


def test_inventory_at_reads_the_trade_off_curve_at_equal_service():
    curve = [point(0.8, 0.85, 0.9, 100), point(0.9, 0.93, 0.95, 140), point(0.95, 0.97, 0.98, 200)]
    assert inventory_at(curve, "cycle_service_level", 0.95) == pytest.approx(170.0)
    assert inventory_at(curve, "fill_rate", 0.9) == pytest.approx(100.0)
    # Outside what the sweep achieved there is nothing to read.
    assert inventory_at(curve, "cycle_service_level", 0.99) is None
    assert inventory_at(curve, "cycle_service_level", 0.80) is None
    # A point with more stock and no more service (noise) is skipped, so the curve stays increasing.
    noisy = [*curve[:2], point(0.93, 0.93, 0.96, 160), curve[2]]
    assert inventory_at(noisy, "cycle_service_level", 0.95) == pytest.approx(170.0)


def test_matched_compares_stock_at_the_same_achieved_service():
    # The model reaches 95% with 150 units; the alternative overshoots its target (97% at α = 0.95) with 200
    # units but would need only 120 for 95%: at matched service the alternative is cheaper.
    model = [point(0.9, 0.9, 0.9, 100), point(0.95, 0.95, 0.95, 150), point(0.99, 0.99, 0.99, 300)]
    other = [point(0.8, 0.93, 0.93, 40), point(0.95, 0.97, 0.97, 200)]
    pooled = {"cycle_service_level": 0.95, "fill_rate": 0.95}
    policies = {"model": {"pooled": pooled, "curve": model}, "alt": {"pooled": {}, "curve": other}}
    out = matched(policies, 0.95)
    assert out["cycle_service_level"] == [{"service": 0.95, "avg_on_hand": {"model": 150.0, "alt": 120.0}}]
    check = out["goal"]["checks"]["cycle_service_level_vs_alt"]
    assert check == {"met": False, "avg_on_hand": [150.0, 120.0]} and out["goal"]["met"] is False
    # Where the alternative's curve never reaches the service, the check cannot be decided.
    policies["alt"]["curve"] = [point(0.5, 0.6, 0.6, 10), point(0.9, 0.9, 0.9, 90)]
    out = matched(policies, 0.95)
    assert out["goal"]["checks"]["cycle_service_level_vs_alt"]["met"] is None and out["goal"]["met"] is None


def test_replay_sweeps_every_policy_over_the_target_levels(replay):
    _, result = replay
    levels = result["settings"]["sweep_levels"]
    assert 0.9 in levels and levels == sorted(levels)
    for p in result["policies"].values():
        curve = p["curve"]
        assert [c["service_level"] for c in curve] == levels
        # The row at the target is the policy's headline result.
        at = curve[levels.index(0.9)]
        assert at["cycle_service_level"] == p["pooled"]["cycle_service_level"]
        assert at["avg_on_hand"] == p["pooled"]["avg_on_hand"]
        # Higher S at every review: the top of the sweep holds more stock than the bottom.
        assert curve[-1]["avg_on_hand"] > curve[0]["avg_on_hand"]
    assert set(result["matched"]) == {"cycle_service_level", "fill_rate", "goal"}
    assert "avg on hand needed for the same achieved service" in inventory_text(result)


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
