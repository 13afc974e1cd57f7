"""Metric definitions on hand-checked numbers."""

from __future__ import annotations

import numpy as np
import pytest

from model.backtest import run_backtest
from model.metrics import MetricAccumulator, SeriesAccumulator, pinball, scales, score
from model.panel import Panel


def test_scales_by_hand():
    history = np.array([[1.0, 3.0, 2.0, 4.0, 6.0]])
    mase_scale, rmsse_scale = scales(history, season=2)
    # seasonal differences (m=2): 1, 1, 4 -> mean 2; one-step: 2, -1, 2, 2 -> squares 4, 1, 4, 4 -> 3.25
    assert mase_scale[0] == pytest.approx(2.0)
    assert rmsse_scale[0] == pytest.approx(3.25)


def test_scales_skip_unobserved():
    history = np.array([[1.0, np.nan, 2.0, 4.0]])
    _, rmsse_scale = scales(history, season=1)
    assert rmsse_scale[0] == pytest.approx(4.0)  # only 2 -> 4 is a full pair


def test_score_by_hand():
    history = np.array([[1.0, 3.0, 2.0, 4.0, 6.0]])
    actual = np.array([[4.0, 2.0]])
    mean = np.array([[3.0, 4.0]])
    levels = np.array([0.1, 0.5, 0.9])
    q = np.array([[[2.0, 3.0, 5.0], [3.0, 4.0, 6.0]]])
    r = score(actual, mean, history, 2, q, levels)
    # errors: -1, +2 -> MAE 1.5, MSE 2.5
    assert r["mase"] == pytest.approx(1.5 / 2.0)
    assert r["rmsse"] == pytest.approx(np.sqrt(2.5 / 3.25))
    assert r["wape"] == pytest.approx(3.0 / 6.0)
    assert r["bias"] == pytest.approx(1.0 / 6.0)
    assert r["coverage_80"] == pytest.approx(0.5)  # 4 in [2, 5]; 2 not in [3, 6]
    # pinball: point 1 (a=4): .1*2, .5*1, .1*1 -> .2+.5+.1 ; point 2 (a=2): .9*1, .5*2, .1*4 -> .9+1+.4
    expected = (0.8 + 2.3) / 6 / 3.0
    assert r["pinball"] == pytest.approx(expected)


def test_pinball_elementwise():
    assert pinball(np.array(10.0), np.array([8.0, 12.0]), np.array([0.9, 0.9])).tolist() == pytest.approx(
        [1.8, 0.2]
    )


def test_mase_rmsse_average_over_series_and_origins():
    acc = MetricAccumulator()
    ones = np.ones(2)
    acc.add(np.array([[1.0], [1.0]]), np.array([[2.0], [4.0]]), ones, ones)  # scaled errors 1, 3
    acc.add(np.array([[1.0], [1.0]]), np.array([[1.0], [3.0]]), ones, ones)  # 0, 2
    r = acc.result()
    assert r["mase"] == pytest.approx(1.5) and r["rmsse"] == pytest.approx(1.5)
    assert r["wape"] == pytest.approx(6.0 / 4.0)  # pooled, not averaged


def test_unobserved_actuals_and_zero_scales_are_left_out():
    acc = MetricAccumulator()
    acc.add(
        np.array([[np.nan, 2.0], [1.0, 1.0]]),
        np.array([[9.0, 3.0], [2.0, 2.0]]),
        np.array([1.0, 0.0]),
        np.array([1.0, 0.0]),
    )
    r = acc.result()
    assert r["points"] == 3 and r["pairs_scored"] == 1 and r["pairs_unscaled"] == 1
    assert r["mase"] == pytest.approx(1.0)


def test_series_accumulator_is_the_pooled_metric_of_each_series():
    rng = np.random.default_rng(3)
    history = rng.poisson(5.0, size=(3, 40)).astype(float)
    ms, rs = scales(history, 7)
    per, pooled = SeriesAccumulator(3), [MetricAccumulator() for _ in range(3)]
    for _ in range(2):  # two origins
        actual = rng.poisson(5.0, size=(3, 7)).astype(float)
        actual[1, 2] = np.nan  # an unobserved day is not scored
        mean = rng.uniform(3, 7, size=(3, 7))
        per.add(actual, mean, ms, rs)
        for i in range(3):
            pooled[i].add(actual[i : i + 1], mean[i : i + 1], ms[i : i + 1], rs[i : i + 1])
    got = per.result()
    for i in range(3):
        want = pooled[i].result()
        for key in ("mase", "rmsse", "wape", "bias"):
            assert got[key][i] == pytest.approx(want[key], abs=1e-4)
        assert got["points"][i] == want["points"]
    assert got["points"] == [14, 12, 14]  # one unobserved day per origin


def test_series_accumulator_leaves_undefined_scores_out():
    per = SeriesAccumulator(2)
    per.add(
        np.array([[0.0, 0.0], [np.nan, np.nan]]),
        np.array([[1.0, 1.0], [1.0, 1.0]]),
        np.array([0.0, 1.0]),
        np.array([0.0, 1.0]),
    )
    got = per.result()
    assert got["mase"] == [None, None] and got["rmsse"] == [None, None]
    assert got["wape"] == [None, None]  # no actual volume: WAPE undefined
    assert got["points"] == [2, 0]


def test_backtest_writes_each_series_errors_and_method():
    rng = np.random.default_rng(4)
    n, t = 3, 120
    y = rng.poisson([[2.0], [6.0], [10.0]], size=(n, t)).astype(float)
    panel = Panel(
        ids=["W1/A", "W1/B", "W2/A"],
        freq="D",
        end=np.full(n, np.datetime64("2020-06-30", "D")),
        y=y,
        stockout=np.zeros((n, t), bool),
        promo=np.zeros((n, t)),
        price=np.full((n, t), np.nan),
    )
    out = run_backtest(panel, 14, 2, None)
    per = out["series_metrics"]
    assert per["ids"] == ["W1/A", "W1/B", "W2/A"]
    assert per["method"] is None  # no model fitted: no model method
    assert set(per["metrics"]) == set(out["metrics"])
    sn = per["metrics"]["seasonal_naive"]
    assert sum(sn["points"]) == out["metrics"]["seasonal_naive"]["points"]
    # The series' MASE values average to the pooled one (every pair here is scaled).
    assert np.mean(sn["mase"]) == pytest.approx(out["metrics"]["seasonal_naive"]["mase"], abs=1e-3)


def test_backtest_baselines_score_each_origin_from_its_own_history():
    """The baselines of every origin run on a background thread from the start: each must still forecast from
    the history up to its origin (stockouts masked, as the truncated panel gives it) and be scored alike."""
    from model.backtest import evaluation_origins
    from model.baselines import available_baselines

    rng = np.random.default_rng(7)
    n, t = 4, 150
    y = rng.poisson([[2.0], [5.0], [9.0], [1.0]], size=(n, t)).astype(float)
    stockout = rng.random((n, t)) < 0.05
    panel = Panel(
        ids=[f"W1/S{i}" for i in range(n)],
        freq="D",
        end=np.full(n, np.datetime64("2020-06-30", "D")),
        y=y,
        stockout=stockout,
        promo=np.zeros((n, t)),
        price=np.full((n, t), np.nan),
    )
    out = run_backtest(panel, 14, 3, None, jobs=1)
    assert out["timings"]["baselines_wait_s"] >= 0.0
    for base in available_baselines(jobs=1):
        acc = MetricAccumulator()
        for o in evaluation_origins(t, 14, 3):
            hist = panel.truncate(o, 14).demand()
            ms, rs = scales(hist, 7)
            acc.add(panel.demand()[:, o + 1 : o + 15], base.forecast(hist, 14, 7)[0], ms, rs)
        assert out["metrics"][base.name] == acc.result(), base.name
