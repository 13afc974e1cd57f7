"""Baselines run in the same backtest as the model: naive, seasonal naive and ETS.

All work on a (N, T) array of demand (NaN = unobserved, forward-filled first) and return a (N, H) mean.
The statistical baseline is additive Holt-Winters, ETS(A,N,A): level and seasonal states smoothed with
parameters chosen per series on a grid by in-sample one-step squared error. It runs vectorised over series
and the grid (no per-series optimiser), which keeps it fast enough for thousands of series.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ffill", "naive", "seasonal_naive", "ets", "BASELINES"]

_ALPHAS = np.array([0.02, 0.05, 0.1, 0.2, 0.35, 0.5])
_GAMMAS = np.array([0.0, 0.05, 0.15, 0.3])


def ffill(values: np.ndarray) -> np.ndarray:
    """Forward-fill NaN along the last axis; leading NaN become the first observed value (0 if none)."""
    y = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(y)
    idx = np.where(ok, np.arange(y.shape[-1]), 0)
    np.maximum.accumulate(idx, axis=-1, out=idx)
    out = np.take_along_axis(y, idx, axis=-1)
    first = np.argmax(ok, axis=-1)
    first_val = np.take_along_axis(y, first[..., None], axis=-1)
    first_val = np.where(np.isfinite(first_val), first_val, 0.0)
    return np.where(np.isfinite(out), out, first_val)


def naive(demand: np.ndarray, horizon: int) -> np.ndarray:
    """The last observed value, repeated."""
    return np.repeat(ffill(demand)[:, -1:], horizon, axis=1)


def seasonal_naive(demand: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The value one season before each step (the last observed season, repeated)."""
    y = ffill(demand)
    if y.shape[1] < season:
        return naive(demand, horizon)
    last = y[:, -season:]
    return last[:, np.arange(horizon) % season]


def ets(demand: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """ETS(A,N,A) point forecasts (see the module docstring); falls back to naive below two seasons."""
    y = ffill(demand)
    n, t = y.shape
    if t < 2 * season:
        return naive(demand, horizon)
    # Long histories: the last 8 seasons carry what the smoother remembers.
    y = y[:, -max(8 * season, 2 * season) :]
    t = y.shape[1]
    alpha, gamma = (g.ravel() for g in np.meshgrid(_ALPHAS, _GAMMAS, indexing="ij"))
    g = alpha.size
    first = y[:, :season]
    level = np.repeat(first.mean(axis=1, keepdims=True), g, axis=1)  # (N, G)
    seas = np.repeat((first - first.mean(axis=1, keepdims=True))[:, None, :], g, axis=1)  # (N, G, m)
    sse = np.zeros((n, g))
    a, c = alpha[None, :], gamma[None, :]
    for i in range(season, t):
        k = i % season
        s_k = seas[:, :, k]
        err = y[:, i, None] - (level + s_k)
        sse += err * err
        new_level = level + a * err
        seas[:, :, k] = s_k + c * (1.0 - a) * err
        level = new_level
    best = np.argmin(sse, axis=1)
    rows = np.arange(n)
    lvl = level[rows, best]
    s = seas[rows, best]  # (N, m)
    steps = (t + np.arange(horizon)) % season
    return np.maximum(lvl[:, None] + s[:, steps], 0.0)


#: name -> function(demand, horizon, season) of every baseline in the backtest table.
BASELINES = {
    "naive": lambda d, h, m: naive(d, h),
    "seasonal_naive": seasonal_naive,
    "ets": ets,
}
