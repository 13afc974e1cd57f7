"""Fallbacks for series a global model should not forecast: cold starts, sparse and intermittent demand.

- ``cold-start``: fewer than ``min_obs`` observed periods. The mean is the observed mean and the spread a
  negative binomial (Poisson when not over-dispersed) fitted by moments. No history at all gives zeros.
- ``sparse``: recorded in less than ``sparse_share`` of the last year's periods since its first record
  (periods with no record at all, not recorded zeros). The global model's lags and windows are then mostly
  missing and its scale comes from older, often larger, values: on Walmart's store × department series it
  forecast several times what such series sell when they do sell. The forecast is the interquartile mean of
  the last ``sparse_obs`` observed values (robust to the odd large return or refund) with their empirical
  spread.
- ``intermittent``: mostly zero demand (average inter-demand interval above ``adi``). Demand occurs with the
  recent non-zero share and its size is drawn from the recent non-zero sizes (a Croston-style split of
  occurrence and size); quantiles come from that mixture exactly, windows from paths.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from model.distribution import tidy_quantiles

__all__ = ["classify", "cold_start", "sparse", "intermittent", "COLD_START", "SPARSE", "INTERMITTENT"]

COLD_START = "cold-start"
SPARSE = "sparse"
INTERMITTENT = "intermittent"


def classify(
    demand: np.ndarray,
    min_obs: int,
    adi: float,
    window: int,
    year: int = 0,
    sparse_share: float = 0.0,
) -> list[str | None]:
    """Per series: ``cold-start``, ``sparse``, ``intermittent`` or None (the model's own method).

    Args:
        demand: (N, T) demand with unobserved periods NaN.
        min_obs: fewer observed periods than this is a cold start.
        adi: average inter-demand interval (observed periods per non-zero) above which demand is intermittent.
        window: how many recent periods the intermittency test reads.
        year: periods per year, the window of the sparseness test.
        sparse_share: recorded in less than this share of the last ``year`` periods (from the series' first
            record) is sparse (0 = never).
    """
    if min_obs < 1 or adi <= 1 or window < 1:
        raise ValueError("min_obs must be >= 1, adi > 1 and window >= 1")
    observed = np.isfinite(demand).sum(axis=1)
    seen = _recorded_share(demand, year) if year > 0 else np.ones(demand.shape[0])
    recent = demand[:, -window:]
    n_obs = np.isfinite(recent).sum(axis=1)
    nonzero = (np.nan_to_num(recent, nan=0.0) > 0).sum(axis=1)
    out: list[str | None] = []
    for total, share, n, k in zip(observed, seen, n_obs, nonzero, strict=True):
        if total < min_obs:
            out.append(COLD_START)
        elif share < sparse_share:
            out.append(SPARSE)
        elif k == 0 or n / k > adi:
            out.append(INTERMITTENT)
        else:
            out.append(None)
    return out


def _recorded_share(demand: np.ndarray, year: int) -> np.ndarray:
    """Share of recorded periods over the last ``year``, counted from each series' first record: a young
    series' periods before its first sale are not gaps."""
    recent = np.isfinite(demand[:, -year:])
    first = np.where(recent.any(axis=1), recent.argmax(axis=1), recent.shape[1] - 1)
    span = recent.shape[1] - first
    return recent.sum(axis=1) / span


def _zero(horizon: int, levels: np.ndarray, n_paths: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, quantiles and paths of a series with nothing to forecast from: zeros, never garbage."""
    return np.zeros(horizon), np.zeros((horizon, levels.size)), np.zeros((n_paths, horizon), np.float32)


def _nb(mean: float, var: float) -> stats.rv_discrete:
    if var <= mean * 1.0001:
        return stats.poisson(mean)
    size = mean * mean / (var - mean)
    return stats.nbinom(size, size / (size + mean))


def cold_start(
    row: np.ndarray, horizon: int, levels: np.ndarray, n_paths: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean (H,), quantiles (H, Q) and paths (S, H) for one short series ``row`` (NaN = unobserved)."""
    obs = row[np.isfinite(row)]
    mean = float(max(obs.mean(), 0.0)) if obs.size else 0.0
    if mean == 0.0:
        return _zero(horizon, levels, n_paths)
    var = float(obs.var(ddof=1)) if obs.size > 1 else mean
    dist = _nb(mean, var)
    q = np.tile(dist.ppf(levels), (horizon, 1))
    paths = dist.rvs(size=(n_paths, horizon), random_state=rng).astype(np.float32)
    return np.full(horizon, mean), tidy_quantiles(q), paths


def sparse(
    row: np.ndarray, horizon: int, levels: np.ndarray, n_paths: int, rng: np.random.Generator, n_obs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forecast for one rarely observed series from its last ``n_obs`` observed values (module docstring)."""
    values = np.maximum(row[np.isfinite(row)][-n_obs:], 0.0)
    if values.size == 0:
        return _zero(horizon, levels, n_paths)
    mean = float(stats.trim_mean(values, 0.25))
    q = np.tile(np.quantile(values, levels), (horizon, 1))
    paths = rng.choice(values, size=(n_paths, horizon)).astype(np.float32)
    return np.full(horizon, mean), tidy_quantiles(q), paths


def intermittent(
    row: np.ndarray, horizon: int, levels: np.ndarray, n_paths: int, rng: np.random.Generator, window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Occurrence × size forecast for one mostly-zero series (see the module docstring)."""
    recent = row[-window:]
    recent = recent[np.isfinite(recent)]
    sizes = recent[recent > 0]
    if sizes.size == 0:
        return _zero(horizon, levels, n_paths)
    share = sizes.size / recent.size
    mean = share * float(sizes.mean())
    # P(Y <= 0) = 1 - share; above that, the empirical size distribution.
    inner = np.clip((levels - (1.0 - share)) / share, 0.0, 1.0)
    q = np.where(levels <= 1.0 - share, 0.0, np.quantile(sizes, inner))
    occurs = rng.random((n_paths, horizon)) < share
    drawn = rng.choice(sizes, size=(n_paths, horizon))
    paths = np.where(occurs, drawn, 0.0).astype(np.float32)
    return np.full(horizon, mean), tidy_quantiles(np.tile(q, (horizon, 1))), paths
