"""Empirical calibration of the global model's spread: residual quantiles and an empirical copula for paths.

Residuals come from calibration windows the model did not train on (conformal style). A residual is relative:
``r = (y - mu) / d`` with ``d = max(mu, floor * scale)``, comparable across slow and fast series. They
are pooled in cells of (predicted-mean bin × horizon-step group), because spread depends on the volume (count
noise) and on how far ahead. Marginal quantiles are ``mu + d * Q_cell(level)``. Sample paths draw whole
calibration trajectories of ranks (PIT values) and map each step through its own cell's quantile function:
an empirical copula, so window totals keep the correlation across steps.
"""

from __future__ import annotations

import numpy as np

from model.distribution import tidy_quantiles

__all__ = ["ResidualCalibrator", "MIN_RESIDUALS"]

#: Fewer out-of-sample residuals than this cannot say anything about spread. Cells with fewer than
#: ``min_cell`` use all residuals pooled, so a short history (one series of horizon + 8 periods) still
#: calibrates, coarsely.
MIN_RESIDUALS = 10


class ResidualCalibrator:
    """Fit on calibration windows, then give quantiles and paths for new means."""

    def __init__(self, n_bins: int = 6, step_groups: int = 3, floor: float = 0.2, min_cell: int = 50) -> None:
        self.n_bins, self.step_groups, self.floor, self.min_cell = n_bins, step_groups, floor, min_cell
        self.edges = np.array([])
        self.horizon = 0
        self.cells: dict[tuple[int, int], np.ndarray] = {}
        self.pit = np.zeros((0, 0))
        self.bias: dict[tuple[int, int], float] = {}

    def _denominator(self, mu: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return np.maximum(np.maximum(mu, self.floor * scale), 1e-9)

    def _group(self, steps: np.ndarray) -> np.ndarray:
        g = (np.minimum(steps, self.horizon) - 1) * self.step_groups // max(self.horizon, 1)
        return np.clip(g, 0, self.step_groups - 1)

    def _bin(self, mu: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.edges, mu, side="right")

    def fit(self, mu: np.ndarray, y: np.ndarray, scale: np.ndarray) -> ResidualCalibrator:
        """``mu``, ``y``: (M, H) out-of-sample means and actuals (NaN = unobserved); ``scale``: (M,)."""
        m, horizon = mu.shape
        self.horizon = horizon
        ok = np.isfinite(y) & np.isfinite(mu)
        if ok.sum() < MIN_RESIDUALS:
            raise ValueError(f"calibration needs at least {MIN_RESIDUALS} observed residuals, got {ok.sum()}")
        r = (y - mu) / self._denominator(mu, scale[:, None])
        qs = np.linspace(0, 1, self.n_bins + 1)[1:-1]
        self.edges = np.unique(np.quantile(mu[ok], qs))
        bins = self._bin(mu)
        groups = np.broadcast_to(self._group(np.arange(1, horizon + 1))[None, :], mu.shape)
        pit = np.full(mu.shape, np.nan)
        self.cells, self.bias = {}, {}
        pooled = np.sort(r[ok])
        for b in range(self.edges.size + 1):
            for g in range(self.step_groups):
                cell = ok & (bins == b) & (groups == g)
                values = np.sort(r[cell]) if cell.sum() >= self.min_cell else pooled
                self.cells[(b, g)] = values
                self.bias[(b, g)] = float(values.mean())
                if cell.any():
                    ranks = np.searchsorted(values, r[cell], side="left") + 0.5
                    pit[cell] = ranks / values.size
        # Unobserved steps of a trajectory take a fresh rank, drawn once here so paths stay reproducible.
        fill = np.random.default_rng(0).random(pit.shape)
        self.pit = np.where(np.isfinite(pit), pit, fill)
        steps = np.broadcast_to(np.arange(1, horizon + 1)[None, :], mu.shape)
        self._recalibrate(mu[ok], y[ok], np.broadcast_to(scale[:, None], mu.shape)[ok], steps[ok])
        return self

    def _recalibrate(self, mu: np.ndarray, y: np.ndarray, scale: np.ndarray, steps: np.ndarray) -> None:
        """Level recalibration for what clipping at 0 and discrete demand do to coverage.

        With many zero-demand periods, P10 is often 0 and every zero counts as covered, so nominal intervals
        cover too much. On the calibration points, measure for a grid of levels how often the actual falls
        below (lower levels) or at/below (upper levels) the forecast quantile, and invert that map.
        """
        grid = np.linspace(0.01, 0.99, 99)
        self.grid = grid
        q = self._raw_quantiles(mu, scale, grid, steps)  # (M, G)
        # The rates the inclusive interval [q_lo, q_hi] is judged by: below a lower quantile is a miss, at or
        # below an upper one is covered (docs/model.md lists what the other tie rules measured).
        self.lower_rate = np.maximum.accumulate((y[:, None] < q).mean(axis=0))
        self.upper_rate = np.maximum.accumulate((y[:, None] <= q).mean(axis=0))
        self.recalibrated = True

    def _levels(self, levels: np.ndarray) -> np.ndarray:
        """Nominal levels -> the levels whose empirical rate on the calibration points equals them."""
        if not getattr(self, "recalibrated", False):
            return levels
        low = np.interp(levels, self.lower_rate, self.grid)
        high = np.interp(levels, self.upper_rate, self.grid)
        return np.clip(np.where(levels < 0.5, low, high), self.grid[0], self.grid[-1])

    def _cell_map(self, mu: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._bin(mu), np.broadcast_to(self._group(steps), mu.shape)

    def mean_shift(self, mu: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Mean residual of each point's cell, in units (a bias correction the caller may add)."""
        steps = np.arange(1, mu.shape[1] + 1)[None, :]
        bins, groups = self._cell_map(mu, steps)
        shift = np.zeros_like(mu)
        for (b, g), value in self.bias.items():
            shift[(bins == b) & (groups == g)] = value
        return shift * self._denominator(mu, scale[:, None])

    def quantiles(self, mu: np.ndarray, scale: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """Marginal quantiles (N, H, Q) for means ``mu`` (N, H) of series with ``scale`` (N,)."""
        steps = np.arange(1, mu.shape[1] + 1)[None, :]
        return self._raw_quantiles(mu, np.broadcast_to(scale[:, None], mu.shape), self._levels(levels), steps)

    def _raw_quantiles(
        self, mu: np.ndarray, scale: np.ndarray, levels: np.ndarray, steps: np.ndarray
    ) -> np.ndarray:
        """Quantiles at exactly ``levels``; ``scale`` has the shape of ``mu``, ``steps`` broadcasts to it."""
        bins, groups = self._cell_map(mu, steps)
        rq = np.zeros(mu.shape + (levels.size,))
        for (b, g), values in self.cells.items():
            cell = (bins == b) & (groups == g)
            if cell.any():
                rq[cell] = np.quantile(values, levels)[None, :]
        d = self._denominator(mu, scale)
        return tidy_quantiles(mu[..., None] + d[..., None] * rq)

    def paths(self, mu: np.ndarray, scale: np.ndarray, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Sample paths (N, S, H), float32, non-negative (see the module docstring)."""
        n, horizon = mu.shape
        if n_paths == 0:
            return np.zeros((n, 0, horizon), np.float32)
        rows = rng.integers(0, self.pit.shape[0], size=(n, n_paths))
        cols = np.minimum(np.arange(horizon), self.pit.shape[1] - 1)
        u = self.pit[rows][:, :, cols]  # (N, S, H)
        steps = np.arange(1, horizon + 1)[None, :]
        bins, groups = self._cell_map(mu, steps)
        r = np.zeros(u.shape)
        for (b, g), values in self.cells.items():
            cell = (bins == b) & (groups == g)  # (N, H)
            if cell.any():
                probs = (np.arange(values.size) + 0.5) / values.size
                ii, hh = np.nonzero(cell)
                r[ii, :, hh] = np.interp(u[ii, :, hh], probs, values)
        d = self._denominator(mu, scale[:, None])
        return np.maximum(mu[:, None, :] + d[:, None, :] * r, 0.0).astype(np.float32)
