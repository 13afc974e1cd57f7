"""Seasonal naive with empirical intervals: the bootstrap-baseline model and an interval baseline.

The mean of step h is the value one season earlier (the last observed season, repeated). Its spread is the
series' own history of seasonal differences at the same lag (k seasons for steps in the k-th season ahead), so
intervals are empirical, not Gaussian. Sample paths take a block of consecutive residuals, which keeps their
correlation across steps, so window totals are not too narrow. Short histories fall back (model.fallback).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.baselines import ffill
from model.distribution import Forecast, tidy_quantiles
from model.fallback import COLD_START, INTERMITTENT, classify, cold_start, intermittent
from model.panel import Panel, season_length

__all__ = ["SeasonalNaiveForecaster", "METHOD"]

METHOD = "seasonal-naive"


class SeasonalNaiveForecaster:
    """Seasonal naive + empirical residual quantiles (stateless: everything comes from the request)."""

    kind = "bootstrap-baseline"

    def __init__(self, version: str = "bootstrap", min_residuals: int = 8, adi: float = 4.0) -> None:
        self.version = version
        self.min_residuals = min_residuals
        self.adi = adi

    def predict(
        self, panel: Panel, horizon: int, levels: np.ndarray, n_paths: int, rng: np.random.Generator
    ) -> Forecast:
        """Forecast every series of ``panel`` for ``horizon`` steps (see the module docstring).

        The seasonal-naive series are computed together (:func:`_seasonal_batch`); only sample paths and
        fallbacks go series by series, in panel order, so ``rng`` is drawn from in the same order as a
        series-by-series loop and the result does not depend on how the series are batched.
        """
        m = season_length(panel.freq)
        demand = panel.demand()
        n = panel.n_series
        window = 4 * m
        kinds = classify(demand, min_obs=m + self.min_residuals, adi=self.adi, window=window)
        mean = np.zeros((n, horizon))
        quant = np.zeros((n, horizon, levels.size))
        paths = np.zeros((n, n_paths, horizon), np.float32)
        regular = np.array([k is None for k in kinds], dtype=bool)
        batch = _seasonal_batch(demand[regular], horizon, levels, m, self.min_residuals)
        rows = np.flatnonzero(regular)
        mean[rows[batch.ok]] = batch.mean[batch.ok]
        quant[rows[batch.ok]] = batch.quantiles[batch.ok]
        position = {int(r): j for j, r in enumerate(rows)}
        methods: list[str] = []
        for i in range(n):
            j = position.get(i)
            if j is not None and batch.ok[j]:
                if n_paths:
                    paths[i] = batch.paths(j, n_paths, rng)
                methods.append(METHOD)
                continue
            row = demand[i]
            if kinds[i] == INTERMITTENT:
                out = intermittent(row, horizon, levels, n_paths, rng, window)
            else:  # a cold start, or too few seasonal differences for empirical intervals
                out = cold_start(row, horizon, levels, n_paths, rng)
                kinds[i] = COLD_START
            mean[i], quant[i], paths[i] = out
            methods.append(kinds[i] or METHOD)
        return Forecast(mean, levels, quant, paths, methods)


@dataclass
class _SeasonalBatch:
    """Seasonal naive for B series: point forecasts, tidy quantiles and what sample paths are drawn from.

    ``ok[j]`` is False where series ``j`` has fewer than ``min_residuals`` seasonal differences at some lag it
    needs (it falls back to cold start); its other fields are then meaningless.
    """

    ok: np.ndarray  # (B,) bool
    mean: np.ndarray  # (B, H)
    quantiles: np.ndarray  # (B, H, Q)
    point: np.ndarray  # (B, H)
    seasons_back: np.ndarray  # (H,) k: step h is copied from k seasons back
    residuals: dict[int, list[np.ndarray]]  # k -> per series, its seasonal differences at lag k seasons

    def paths(self, j: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """(S, H) float32 paths of series ``j``: aligned blocks of consecutive residuals (each step at its own
        lag), which keep the steps correlated. One draw from ``rng`` (the block starts)."""
        filled = {}
        for key, per_series in self.residuals.items():
            r = per_series[j]
            filled[key] = np.where(np.isfinite(r), r, np.nanmedian(r))
        shortest = min(r.size for r in filled.values())
        horizon = self.point.shape[1]
        starts = rng.integers(0, max(shortest - horizon, 1), n_paths)
        out = np.empty((n_paths, horizon), np.float32)
        for key, r in filled.items():
            cols = np.flatnonzero(self.seasons_back == key)
            pos = np.minimum(r.size - shortest + starts[:, None] + cols[None, :], r.size - 1)
            out[:, cols] = np.maximum(self.point[j, cols][None, :] + r[pos], 0.0)
        return out


def _seasonal_batch(
    demand: np.ndarray, horizon: int, levels: np.ndarray, m: int, min_residuals: int
) -> _SeasonalBatch:
    """Seasonal naive with empirical quantiles for every row of ``demand`` (B, T) at once.

    Each series starts at its first observation (earlier periods are not history); series with the same start
    are computed as one matrix. The quantiles of each series' seasonal differences are taken over its observed
    differences only: rows with the same number of them are one ``np.quantile`` call, which gives each row
    exactly what ``np.nanquantile`` gives it alone.
    """
    b, width = demand.shape
    steps = np.arange(horizon)
    k = steps // m + 1
    lags = [int(x) for x in np.unique(k)]
    ok = np.ones(b, dtype=bool)
    point = np.zeros((b, horizon))
    quant = np.zeros((b, horizon, levels.size))
    residuals: dict[int, list[np.ndarray]] = {lag: [np.empty(0)] * b for lag in lags}
    observed_at = np.isfinite(demand)
    first = np.argmax(observed_at, axis=1)
    for start in np.unique(first):
        rows = np.flatnonzero(first == start)
        y = ffill(demand[rows, start:])
        observed = observed_at[rows, start:]
        t = y.shape[1]
        pt = y[:, t - m + steps % m]
        point[rows] = pt
        for lag_seasons in lags:
            lag = lag_seasons * m
            if t - lag < min_residuals:
                ok[rows] = False
                continue
            r = y[:, lag:] - y[:, :-lag]
            r[~(observed[:, lag:] & observed[:, :-lag])] = np.nan
            finite = np.isfinite(r)
            counts = finite.sum(axis=1)
            ok[rows[counts < min_residuals]] = False
            cols = k == lag_seasons
            for count in np.unique(counts[counts >= min_residuals]):
                same = counts == count
                values = r[same][finite[same]].reshape(-1, count)
                q = np.quantile(values, levels, axis=1).T  # (rows, Q)
                at = (rows[same][:, None], np.flatnonzero(cols)[None, :])
                quant[at] = pt[same][:, cols, None] + q[:, None, :]
            for j, row in zip(rows, r, strict=True):
                residuals[lag_seasons][j] = row
    return _SeasonalBatch(
        ok=ok,
        mean=np.maximum(point, 0.0),
        quantiles=tidy_quantiles(quant),
        point=point,
        seasons_back=k,
        residuals=residuals,
    )
