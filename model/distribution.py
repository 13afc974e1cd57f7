"""Forecast distributions: the :class:`Forecast` every model returns; quantiles and windows from it.

Marginal quantiles are per step; quantiles of cumulative demand over a window come from sample paths (whole
trajectories), never from sums of per-step quantiles. Everything returned is non-negative and non-crossing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Forecast", "tidy_quantiles", "window_quantiles", "empirical_quantiles"]


@dataclass
class Forecast:
    """A probabilistic forecast for N series and H steps.

    Attributes:
        mean: expected demand, shape (N, H).
        levels: quantile levels, increasing, shape (Q,).
        quantiles: marginal quantiles, shape (N, H, Q).
        paths: sample paths, shape (N, S, H) (float32); S may be 0 when no paths were asked for.
        method: how each series was forecast (model kind or fallback name), length N.
    """

    mean: np.ndarray
    levels: np.ndarray
    quantiles: np.ndarray
    paths: np.ndarray
    method: list[str]

    def subset_levels(self, wanted: list[float]) -> np.ndarray:
        """Quantiles at ``wanted`` levels (each must be in ``levels``), shape (N, H, len(wanted))."""
        idx = [int(np.flatnonzero(np.isclose(self.levels, q))[0]) for q in wanted]
        return self.quantiles[:, :, idx]


def tidy_quantiles(q: np.ndarray) -> np.ndarray:
    """Clip at zero and sort along the last axis (levels increasing) so quantiles never cross."""
    return np.sort(np.maximum(np.nan_to_num(q, nan=0.0), 0.0), axis=-1)


def empirical_quantiles(values: np.ndarray, levels: np.ndarray, axis: int) -> np.ndarray:
    """Quantiles along ``axis`` moved to the last axis (linear interpolation, NaN ignored)."""
    q = np.nanquantile(values, levels, axis=axis)
    return np.moveaxis(q, 0, -1)


def window_quantiles(paths: np.ndarray, start: int, end: int, levels: np.ndarray) -> np.ndarray:
    """Quantiles of demand summed over steps ``start..end`` (1-based, inclusive), shape (N, Q)."""
    if paths.shape[1] == 0:
        raise ValueError("window quantiles need sample paths (S > 0)")
    totals = paths[:, :, start - 1 : end].astype(np.float64).sum(axis=2)
    return tidy_quantiles(empirical_quantiles(totals, levels, axis=1))
