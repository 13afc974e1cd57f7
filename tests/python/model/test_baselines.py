"""The backtest's baselines: statsforecast AutoETS where installed, the built-in grid ETS where not."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from model import baselines
from model.baselines import auto_ets, auto_ets_many, available_baselines, ets_grid, naive, seasonal_naive


def _weekly_pattern(n_weeks: int, seed: int = 0) -> np.ndarray:
    """Three daily series with a strong weekday pattern and noise, ``n_weeks`` long."""
    rng = np.random.default_rng(seed)
    pattern = np.array([5.0, 6.0, 7.0, 7.0, 9.0, 14.0, 3.0])
    base = np.tile(pattern, n_weeks)[None, :] * np.array([[1.0], [2.0], [4.0]])
    return base + rng.normal(0.0, 0.5, base.shape)


def test_auto_ets_follows_the_weekly_pattern_better_than_naive():
    y = _weekly_pattern(30)
    history, actual = y[:, :-14], y[:, -14:]
    mean, failed = auto_ets(history, 14, 7)
    assert failed == 0 and mean.shape == (3, 14)
    err_ets = np.abs(mean - actual).mean()
    assert err_ets < 0.5 * np.abs(naive(history, 14) - actual).mean()
    assert err_ets < 1.5 * np.abs(seasonal_naive(history, 14, 7) - actual).mean()


def test_auto_ets_reads_a_series_from_its_first_observation_and_falls_back_when_too_short():
    y = _weekly_pattern(20)
    y[1, :-5] = np.nan  # five observations: no ETS form can be estimated
    y[2, :70] = np.nan  # a young series, forecast from what it has
    mean, failed = auto_ets(y, 7, 7)
    assert failed == 1
    assert mean[1] == pytest.approx(np.full(7, y[1, -1]))  # the naive forecast
    assert np.isfinite(mean).all() and (mean >= 0).all()


def test_auto_ets_on_worker_processes_gives_the_same_forecasts(monkeypatch):
    """statsforecast's optimiser holds the interpreter lock, so the fits go to processes: the same forecasts,
    history by history, as one process fitting every series in turn."""
    y = _weekly_pattern(12, seed=3)
    y = np.repeat(y, 4, axis=0) * np.linspace(0.5, 2.0, 12)[:, None]
    y[5, :-5] = np.nan  # too short: the naive forecast, counted
    histories = [y[:, :60], y[:, :70], y]
    serial = [auto_ets(h, 7, 7, jobs=1) for h in histories]
    monkeypatch.setattr(baselines, "FITS_PER_PROCESS", 1)  # 36 fits: processes only when asked this way
    pooled = auto_ets_many(histories, 7, 7, jobs=2)
    assert len(pooled) == 3
    for (mean, failed), (mean_p, failed_p) in zip(serial, pooled, strict=True):
        np.testing.assert_array_equal(mean_p, mean)
        assert failed == failed_p == 1


def test_small_ets_jobs_stay_in_process(monkeypatch):
    """A worker process costs about 50 fits' time to start: under FITS_PER_PROCESS fits none is started."""

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started")

    monkeypatch.setattr(baselines, "ProcessPoolExecutor", no_pool)
    mean, failed = auto_ets(_weekly_pattern(12), 7, 7, jobs=2)
    assert failed == 0 and mean.shape == (3, 7)


def test_weekly_seasons_use_the_non_seasonal_ets_forms():
    """statsforecast's ETS holds at most 24 seasonal states; season 52 must still give a forecast."""
    rng = np.random.default_rng(1)
    y = 100 + rng.normal(0, 5, (2, 120))
    mean, failed = auto_ets(y, 13, 52)
    assert failed == 0 and np.allclose(mean, mean[:, :1], atol=1e-6)  # level (and trend) only


def test_without_statsforecast_the_grid_ets_is_the_baseline(monkeypatch):
    """The SageMaker scikit-learn container has no statsforecast: the backtest uses the built-in ETS."""
    real_import = builtins.__import__

    def no_statsforecast(name, *args, **kwargs):
        if name.startswith("statsforecast"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_statsforecast)
    assert not baselines.has_auto_ets()
    rows = {b.name: b for b in available_baselines(jobs=1)}
    assert set(rows) == {"naive", "seasonal_naive", "ets"}
    assert "statsforecast is not installed" in rows["ets"].description
    y = _weekly_pattern(20)
    mean, fell_back = rows["ets"].forecast(y, 7, 7)
    np.testing.assert_allclose(mean, ets_grid(y, 7, 7))
    assert fell_back == 0
    _, fell_back = rows["ets"].forecast(y[:, :10], 7, 7)  # under two seasons: naive
    assert fell_back == 3


def test_with_statsforecast_the_baseline_is_auto_ets():
    rows = {b.name: b for b in available_baselines(jobs=1)}
    assert set(rows) == {"naive", "seasonal_naive", "auto_ets"}
    assert rows["auto_ets"].description.startswith("statsforecast 2.")
    y = _weekly_pattern(20)
    both = rows["auto_ets"].forecast_all([y[:, :-7], y], 7, 7)  # every origin's history in one call
    for got, history in zip(both, [y[:, :-7], y], strict=True):
        np.testing.assert_array_equal(got[0], auto_ets(history, 7, 7)[0])
