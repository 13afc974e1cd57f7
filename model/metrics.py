"""Backtest metrics, as defined in docs/model.md and DESIGN.md.

For every (series, origin) the actuals ``a`` (H,), point forecast ``f`` (the mean) and the in-sample history
before the origin give:

- MASE  = mean|a - f| / mean|y_t - y_{t-m}| over the history (m = 7 daily, 52 weekly);
- RMSSE = sqrt(mean (a - f)^2 / mean (y_t - y_{t-1})^2 over the history), as in M5.
MASE and RMSSE are means over series × origins (pairs whose scale is 0 or undefined are left out and counted).
Pooled over everything: WAPE = Σ|a - f| / Σ|a|; bias = Σ(f - a) / Σ|a| (positive = over-forecast);
pinball = mean over points and levels of ρ_τ(a - q), scaled by mean|a|; coverage = share of actuals inside
[P10, P90]. Unobserved actuals (closed, missing, stockout) are not scored.
"""

from __future__ import annotations

import numpy as np

__all__ = ["scales", "score", "pinball", "MetricAccumulator", "SeriesAccumulator"]


def scales(history: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray]:
    """In-sample MASE scale (mean |seasonal difference|) and RMSSE scale (mean squared one-step difference).

    ``history`` is (N, T) with NaN unobserved; differences with a NaN end are skipped.
    """
    h = np.asarray(history, dtype=np.float64)
    sd = np.abs(h[:, season:] - h[:, :-season]) if h.shape[1] > season else np.full((h.shape[0], 1), np.nan)
    d1 = (h[:, 1:] - h[:, :-1]) ** 2 if h.shape[1] > 1 else np.full((h.shape[0], 1), np.nan)
    return _rowmean(sd), _rowmean(d1)


def _rowmean(x: np.ndarray) -> np.ndarray:
    n = np.isfinite(x).sum(axis=1)
    with np.errstate(all="ignore"):
        return np.where(n > 0, np.nansum(x, axis=1) / np.maximum(n, 1), np.nan)


def pinball(actual: np.ndarray, quantiles: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """ρ_τ(a - q) for every point and level: ``actual`` (...,), ``quantiles`` (..., Q) -> (..., Q)."""
    diff = actual[..., None] - quantiles
    return np.maximum(levels * diff, (levels - 1.0) * diff)


class MetricAccumulator:
    """Collects one method's forecasts over origins and reduces them to the metrics table row."""

    def __init__(self, levels: np.ndarray | None = None) -> None:
        self.levels = None if levels is None else np.asarray(levels, dtype=float)
        self._mase: list[np.ndarray] = []
        self._rmsse: list[np.ndarray] = []
        self._abs = self._err = self._act = self._pin = 0.0
        self._n = self._pin_n = self._cov_in = self._cov_n = 0

    def add(
        self,
        actual: np.ndarray,
        mean: np.ndarray,
        mase_scale: np.ndarray,
        rmsse_scale: np.ndarray,
        quantiles: np.ndarray | None = None,
    ) -> None:
        """One origin: actual and mean (N, H), scales (N,), optional quantiles (N, H, Q) at ``levels``."""
        ok = np.isfinite(actual)
        e = np.where(ok, mean - actual, 0.0)
        cnt = ok.sum(axis=1)
        with np.errstate(all="ignore"):
            mae = np.abs(e).sum(axis=1) / cnt
            mse = (e * e).sum(axis=1) / cnt
            self._mase.append(np.where((mase_scale > 0) & (cnt > 0), mae / mase_scale, np.nan))
            self._rmsse.append(np.where((rmsse_scale > 0) & (cnt > 0), np.sqrt(mse / rmsse_scale), np.nan))
        a = np.where(ok, actual, 0.0)
        self._abs += float(np.abs(e).sum())
        self._err += float(e.sum())
        self._act += float(np.abs(a).sum())
        self._n += int(ok.sum())
        if quantiles is not None and self.levels is not None:
            loss = pinball(a, quantiles, self.levels)
            self._pin += float(loss[ok].sum())
            self._pin_n += int(ok.sum()) * self.levels.size
            lo = int(np.flatnonzero(np.isclose(self.levels, 0.1))[0])
            hi = int(np.flatnonzero(np.isclose(self.levels, 0.9))[0])
            inside = (actual >= quantiles[..., lo]) & (actual <= quantiles[..., hi])
            self._cov_in += int((inside & ok).sum())
            self._cov_n += int(ok.sum())

    def result(self) -> dict[str, float | int | None]:
        """The table row: mase, rmsse, wape, bias, pinball, coverage_80, points, pairs scored and skipped."""
        mase = np.concatenate(self._mase) if self._mase else np.array([])
        rmsse = np.concatenate(self._rmsse) if self._rmsse else np.array([])
        mean_abs = self._act / self._n if self._n else float("nan")

        def avg(x: np.ndarray) -> float | None:
            x = x[np.isfinite(x)]
            return float(x.mean()) if x.size else None

        return {
            "mase": avg(mase),
            "rmsse": avg(rmsse),
            "wape": self._abs / self._act if self._act else None,
            "bias": self._err / self._act if self._act else None,
            "pinball": (self._pin / self._pin_n) / mean_abs if self._pin_n and mean_abs else None,
            "coverage_80": self._cov_in / self._cov_n if self._cov_n else None,
            "points": self._n,
            "pairs_scored": int(np.isfinite(rmsse).sum()),
            "pairs_unscaled": int((~np.isfinite(rmsse)).sum()),
        }


class SeriesAccumulator:
    """One method's errors per series over origins: the pooled definitions above, restricted to one series.

    MASE and RMSSE are the series' mean over its scaled origins; WAPE and bias pool its points over origins.
    """

    def __init__(self, n_series: int) -> None:
        self._mase = np.zeros(n_series)
        self._mase_n = np.zeros(n_series, dtype=int)
        self._rmsse = np.zeros(n_series)
        self._rmsse_n = np.zeros(n_series, dtype=int)
        self._abs = np.zeros(n_series)
        self._err = np.zeros(n_series)
        self._act = np.zeros(n_series)
        self._points = np.zeros(n_series, dtype=int)

    def add(
        self, actual: np.ndarray, mean: np.ndarray, mase_scale: np.ndarray, rmsse_scale: np.ndarray
    ) -> None:
        """One origin: actual and mean (N, H), scales (N,)."""
        ok = np.isfinite(actual)
        e = np.where(ok, mean - actual, 0.0)
        cnt = ok.sum(axis=1)
        with np.errstate(all="ignore"):
            mase = np.where((mase_scale > 0) & (cnt > 0), np.abs(e).sum(axis=1) / cnt / mase_scale, np.nan)
            rmsse = np.where(
                (rmsse_scale > 0) & (cnt > 0), np.sqrt((e * e).sum(axis=1) / cnt / rmsse_scale), np.nan
            )
        for total, n, x in ((self._mase, self._mase_n, mase), (self._rmsse, self._rmsse_n, rmsse)):
            good = np.isfinite(x)
            total[good] += x[good]
            n[good] += 1
        self._abs += np.abs(e).sum(axis=1)
        self._err += e.sum(axis=1)
        self._act += np.where(ok, np.abs(actual), 0.0).sum(axis=1)
        self._points += cnt

    def result(self) -> dict[str, list[float | None] | list[int]]:
        """Columns (one entry per series, None where undefined): mase, rmsse, wape, bias, points."""

        def col(num: np.ndarray, den: np.ndarray) -> list[float | None]:
            with np.errstate(all="ignore"):
                v = num / den
            return [
                round(float(x), 4) if d > 0 and np.isfinite(x) else None for x, d in zip(v, den, strict=True)
            ]

        return {
            "mase": col(self._mase, self._mase_n),
            "rmsse": col(self._rmsse, self._rmsse_n),
            "wape": col(self._abs, self._act),
            "bias": col(self._err, self._act),
            "points": [int(x) for x in self._points],
        }


def score(actual, mean, history, season, quantiles=None, levels=None) -> dict[str, float | int | None]:
    """Metrics of one origin (convenience for tests and single windows)."""
    acc = MetricAccumulator(levels)
    ms, rs = scales(history, season)
    acc.add(np.atleast_2d(actual), np.atleast_2d(mean), ms, rs, quantiles)
    return acc.result()
