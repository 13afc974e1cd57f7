"""Fallbacks for cold starts, sparse and intermittent demand, and the seasonal-naive bootstrap model."""

from __future__ import annotations

import numpy as np
import pytest

from model.fallback import classify, cold_start, intermittent, sparse
from model.panel import Panel
from model.snaive import SeasonalNaiveForecaster

LEVELS = np.array([0.1, 0.5, 0.9])


def test_classify():
    nan = np.nan
    demand = np.array(
        [
            [nan] * 95 + [1, 2, 3, 1, 2],  # 5 observations: cold start
            [0.0] * 99 + [3.0],  # one sale in 100: intermittent
            np.arange(100.0) % 5 + 1,  # regular
        ]
    )
    assert classify(demand, min_obs=20, adi=4.0, window=28) == ["cold-start", "intermittent", None]
    with pytest.raises(ValueError):
        classify(demand, min_obs=0, adi=4.0, window=28)


def test_classify_sparse_by_the_share_of_recorded_periods_in_the_last_year():
    nan = np.nan
    gappy = np.tile([5.0, nan, nan], 40)  # recorded in a third of the periods: sparse
    closed = np.tile([5.0, 6.0, nan, 4.0, 7.0, 5.0, 6.0], 18)[:120]  # one closed day a week: not sparse
    young = np.r_[np.full(90, nan), np.arange(30.0) % 4 + 1]  # first sale 30 periods ago, every period since
    demand = np.vstack([gappy, closed, young])
    assert classify(demand, 20, 4.0, 28, year=52, sparse_share=0.5) == ["sparse", None, None]
    assert classify(demand, 20, 4.0, 28) == [None, None, None]  # off unless asked for


def test_sparse_is_a_robust_mean_of_the_last_recorded_values_never_negative():
    row = np.array([500.0] + [np.nan, 10.0] * 5 + [np.nan, -300.0, 14.0, 12.0, np.nan])
    mean, q, paths = sparse(row, 3, LEVELS, 1000, np.random.default_rng(0), n_obs=8)
    # Last 8 recorded: 10 10 10 10 10 -300 14 12; the refund counts as 0, the interquartile mean ignores it.
    assert mean == pytest.approx([10.0, 10.0, 10.0])
    assert (q >= 0).all() and (np.diff(q, axis=1) >= 0).all() and q[0, 1] == pytest.approx(10.0)
    assert paths.shape == (1000, 3) and (paths >= 0).all()
    assert set(np.unique(paths)) <= {0.0, 10.0, 12.0, 14.0}
    none, _, _ = sparse(np.full(5, np.nan), 2, LEVELS, 4, np.random.default_rng(0), n_obs=8)
    assert (none == 0).all()


def test_cold_start_with_no_history_is_zero_not_garbage():
    mean, q, paths = cold_start(np.array([np.nan, np.nan]), 5, LEVELS, 10, np.random.default_rng(0))
    assert (mean == 0).all() and (q == 0).all() and (paths == 0).all()


def test_cold_start_uses_the_observed_mean_and_spread():
    mean, q, paths = cold_start(np.array([2.0, 8.0, 0.0, 6.0]), 3, LEVELS, 2000, np.random.default_rng(0))
    assert mean[0] == pytest.approx(4.0)
    assert q[0, 0] < 4.0 < q[0, 2] and (np.diff(q, axis=1) >= 0).all()
    assert paths.mean() == pytest.approx(4.0, rel=0.1)


def test_intermittent_quantiles_are_the_occurrence_size_mixture():
    row = np.array([0.0] * 18 + [4.0, 6.0])  # 10% of periods have demand, of size 4 or 6
    mean, q, paths = intermittent(row, 4, np.array([0.5, 0.95]), 5000, np.random.default_rng(0), window=20)
    assert mean[0] == pytest.approx(0.5)
    assert q[0, 0] == 0.0 and 4.0 <= q[0, 1] <= 6.0
    assert (paths > 0).mean() == pytest.approx(0.1, abs=0.02)


def test_seasonal_naive_repeats_the_last_season_with_empirical_intervals():
    rng = np.random.default_rng(0)
    y = np.tile([5.0, 1, 1, 1, 1, 1, 9], 20) + rng.integers(0, 2, 140)
    panel = Panel(
        ["a"],
        "D",
        np.array(["2018-05-20"], dtype="datetime64[D]"),
        y[None, :],
        np.zeros((1, 140), bool),
        np.full((1, 140), np.nan),
        np.full((1, 140), np.nan),
    )
    fc = SeasonalNaiveForecaster().predict(panel, 10, LEVELS, 100, rng)
    np.testing.assert_array_equal(fc.mean[0, :7], y[-7:])
    np.testing.assert_array_equal(fc.mean[0, 7:], y[-7:-4])
    assert fc.method == ["seasonal-naive"] and (np.diff(fc.quantiles, axis=-1) >= 0).all()
    assert (fc.quantiles[0, :, 2] - fc.quantiles[0, :, 0] <= 2.0 + 1e-9).all()  # noise is 0/1 per day
