"""Seasonal naive with empirical intervals: the bootstrap-baseline model and an interval baseline.

The mean of step h is the value one season earlier (the last observed season, repeated). Its spread is the
series' own history of seasonal differences at the same lag (k seasons for steps in the k-th season ahead), so
intervals are empirical, not Gaussian. Sample paths take a block of consecutive residuals, which keeps their
correlation across steps, so window totals are not too narrow. Short histories fall back (model.fallback).
"""

from __future__ import annotations

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
        """Forecast every series of ``panel`` for ``horizon`` steps (see the module docstring)."""
        m = season_length(panel.freq)
        demand = panel.demand()
        n = panel.n_series
        window = 4 * m
        kinds = classify(demand, min_obs=m + self.min_residuals, adi=self.adi, window=window)
        mean = np.zeros((n, horizon))
        quant = np.zeros((n, horizon, levels.size))
        paths = np.zeros((n, n_paths, horizon), np.float32)
        methods: list[str] = []
        for i in range(n):
            row = demand[i]
            if kinds[i] == COLD_START:
                out = cold_start(row, horizon, levels, n_paths, rng)
            elif kinds[i] == INTERMITTENT:
                out = intermittent(row, horizon, levels, n_paths, rng, window)
            else:
                out = self._one(row, horizon, levels, n_paths, rng, m)
            if out is None:
                out = cold_start(row, horizon, levels, n_paths, rng)
                kinds[i] = COLD_START
            mean[i], quant[i], paths[i] = out
            methods.append(kinds[i] or METHOD)
        return Forecast(mean, levels, quant, paths, methods)

    def _one(
        self,
        row: np.ndarray,
        horizon: int,
        levels: np.ndarray,
        n_paths: int,
        rng: np.random.Generator,
        m: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        first = int(np.argmax(np.isfinite(row)))
        y = ffill(row[first:])
        observed = np.isfinite(row[first:])
        t = y.size
        steps = np.arange(horizon)
        k = steps // m + 1  # seasons back that step h is copied from
        point = y[t - m + steps % m]
        mean = np.maximum(point, 0.0)
        quant = np.empty((horizon, levels.size))
        resid: dict[int, np.ndarray] = {}
        for lag_seasons in np.unique(k):
            lag = int(lag_seasons) * m
            if t - lag < self.min_residuals:
                return None
            r = y[lag:] - y[:-lag]
            r[~(observed[lag:] & observed[:-lag])] = np.nan
            if np.isfinite(r).sum() < self.min_residuals:
                return None
            resid[int(lag_seasons)] = r
            cols = k == lag_seasons
            quant[cols] = point[cols, None] + np.nanquantile(r, levels)[None, :]
        paths = np.empty((n_paths, horizon), np.float32)
        if n_paths:
            # Aligned blocks of consecutive residuals (each step at its own lag) keep steps correlated.
            filled = {key: np.where(np.isfinite(r), r, np.nanmedian(r)) for key, r in resid.items()}
            shortest = min(r.size for r in filled.values())
            starts = rng.integers(0, max(shortest - horizon, 1), n_paths)
            for h in range(horizon):
                r = filled[int(k[h])]
                pos = np.minimum(r.size - shortest + starts + h, r.size - 1)
                paths[:, h] = np.maximum(point[h] + r[pos], 0.0)
        return mean, tidy_quantiles(quant), paths
