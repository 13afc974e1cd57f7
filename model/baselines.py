"""Baselines run in the same backtest as the model: naive, seasonal naive and a statistical ETS.

All work on a (N, T) array of demand (NaN = unobserved) and return a (N, H) mean plus the number of series
that fell back to the naive forecast (too little history for the method).

The statistical baseline is statsforecast's ``AutoETS`` where that package is installed (local backtests and
bench/accuracy: requirements/baselines.in): per series, the error, trend (none, additive, damped) and season
forms are chosen by AICc and the parameters by maximum likelihood, as in R's ``forecast::ets``. Its state
space model takes seasons of at most 24 periods, so weekly data (season 52) gets the non-seasonal forms; the
seasonal naive row carries the yearly pattern there. Its fits run in compiled code that holds the interpreter
lock, so they use several cores through worker processes, not threads. The SageMaker scikit-learn container
does not carry statsforecast, so training there uses :func:`ets_grid`, additive Holt-Winters ETS(A,N,A) with
smoothing parameters chosen per series on a grid by one-step squared error (vectorised, no optimiser). The row
is named after what ran (``auto_ets`` or ``ets``), and the result's ``setup.baselines`` says it in words.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata

import numpy as np

__all__ = [
    "ffill",
    "naive",
    "seasonal_naive",
    "ets_grid",
    "auto_ets",
    "auto_ets_many",
    "Baseline",
    "available_baselines",
    "has_auto_ets",
]

_ALPHAS = np.array([0.02, 0.05, 0.1, 0.2, 0.35, 0.5])
_GAMMAS = np.array([0.0, 0.05, 0.15, 0.3])
#: statsforecast's ETS state space model holds at most this many seasonal states.
_MAX_ETS_SEASON = 24
#: AutoETS reads this many seasons of the most recent history at most (daily: a year; weekly: 3 years). A
#: year of days is 52 weekly seasons, plenty for ETS, and halves the time of two years.
_ETS_SEASONS = {7: 52, 52: 3}
#: A worker process pays about 5 s to start and import statsforecast, the time of about 50 daily AutoETS fits
#: (0.09 s each on pasta), so each process gets at least this many fits and small backtests stay in-process.
FITS_PER_PROCESS = 100


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
    """The value one season before each step (the last observed season, repeated); naive below one season."""
    y = ffill(demand)
    if y.shape[1] < season:
        return naive(demand, horizon)
    last = y[:, -season:]
    return last[:, np.arange(horizon) % season]


def ets_grid(demand: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """ETS(A,N,A) point forecasts on a grid of smoothing parameters; naive below two seasons."""
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


def has_auto_ets() -> bool:
    """Whether statsforecast is importable here (it is not in the SageMaker container)."""
    try:
        import statsforecast.models  # noqa: F401
    except ImportError:
        return False
    return True


def _auto_ets_one(y: np.ndarray, horizon: int, season: int) -> np.ndarray | None:
    """AutoETS forecast of one gap-filled series; None where no ETS form could be fitted."""
    from statsforecast.models import AutoETS

    model = "ZZZ" if season <= _MAX_ETS_SEASON else "ZZN"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            f = AutoETS(season_length=season, model=model).forecast(y, h=horizon)["mean"]
        except Exception:  # a plain Exception when no form fits, NotImplementedError when too short
            return None
    return np.asarray(f, dtype=float) if np.isfinite(f).all() else None


def _auto_ets_rows(rows: list[np.ndarray], horizon: int, season: int) -> list[np.ndarray | None]:
    """AutoETS forecasts of several series (one worker process's task)."""
    return [_auto_ets_one(row, horizon, season) for row in rows]


def _ets_rows(demand: np.ndarray, season: int) -> list[np.ndarray]:
    """Each series from its first observation, gaps forward-filled, over its most recent seasons."""
    y = ffill(demand)
    keep = _ETS_SEASONS.get(season, 3) * season
    observed = np.isfinite(demand)
    rows = []
    for i in range(y.shape[0]):
        first = int(np.argmax(observed[i])) if observed[i].any() else y.shape[1]
        rows.append(y[i, max(first, y.shape[1] - keep) :])
    return rows


def auto_ets(demand: np.ndarray, horizon: int, season: int, jobs: int = 1) -> tuple[np.ndarray, int]:
    """statsforecast AutoETS per series of one history (:func:`auto_ets_many`)."""
    return auto_ets_many([demand], horizon, season, jobs)[0]


def auto_ets_many(
    demands: Sequence[np.ndarray], horizon: int, season: int, jobs: int = 1
) -> list[tuple[np.ndarray, int]]:
    """statsforecast AutoETS per series of each history in ``demands`` (e.g. one per backtest origin), on up
    to ``jobs`` worker processes shared by all of them.

    Each series is read from its first observation, gaps forward-filled, over its most recent seasons
    (``_ETS_SEASONS``). Series with no ETS fit (too short, or no form converges) get the naive forecast;
    their count is returned. Forecasts are clipped at 0 for series that never went negative. statsforecast's
    optimiser holds the interpreter lock, so threads would take turns on one core: the fits go to processes
    (started fresh, "spawn": forking a process whose tree learners hold OpenMP threads is unsafe), at most
    one per ``FITS_PER_PROCESS`` fits. Every fit depends on its series alone, so the forecasts are the same
    on any number of processes. A spawned process imports the caller's main module, so a script calling this
    needs the ``if __name__ == "__main__":`` guard.
    """
    rows = [_ets_rows(d, season) for d in demands]
    fits_total = sum(len(r) for r in rows)
    procs = max(1, min(jobs, fits_total // FITS_PER_PROCESS))
    if procs == 1:
        fits = [_auto_ets_rows(r, horizon, season) for r in rows]
    else:
        # Several tasks per process and history, so that the processes finish together.
        size = max(1, -(-fits_total // (8 * procs)))
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(procs, mp_context=context) as pool:
            tasks = [
                [
                    pool.submit(_auto_ets_rows, r[i : i + size], horizon, season)
                    for i in range(0, len(r), size)
                ]
                for r in rows
            ]
            fits = [[f for task in history for f in task.result()] for history in tasks]
    return [_with_fallback(d, f, horizon) for d, f in zip(demands, fits, strict=True)]


def _with_fallback(demand: np.ndarray, fits: list[np.ndarray | None], horizon: int) -> tuple[np.ndarray, int]:
    fallback = naive(demand, horizon)
    out = np.empty((demand.shape[0], horizon))
    failed = 0
    for i, f in enumerate(fits):
        if f is None:
            out[i] = fallback[i]
            failed += 1
        else:
            out[i] = f
    nonneg = ~(np.nan_to_num(demand) < 0).any(axis=1)
    out[nonneg] = np.maximum(out[nonneg], 0.0)
    return out, failed


@dataclass(frozen=True)
class Baseline:
    """One row of the backtest table: ``forecast_all(demands, horizon, season)`` -> (mean, naive fallbacks)
    per history. All of a backtest's origins go in one call, so that AutoETS starts its processes once."""

    name: str
    description: str
    forecast_all: Callable[[Sequence[np.ndarray], int, int], list[tuple[np.ndarray, int]]]

    def forecast(self, demand: np.ndarray, horizon: int, season: int) -> tuple[np.ndarray, int]:
        """(mean, naive fallbacks) of one history."""
        return self.forecast_all([demand], horizon, season)[0]


def _each(
    one: Callable[[np.ndarray, int, int], tuple[np.ndarray, int]],
) -> Callable[[Sequence[np.ndarray], int, int], list[tuple[np.ndarray, int]]]:
    return lambda demands, h, m: [one(d, h, m) for d in demands]


def _naive_fallbacks(demand: np.ndarray, season: int) -> int:
    """Series seasonal naive forecasts naively: the panel holds less than one season."""
    return demand.shape[0] if demand.shape[1] < season else 0


def available_baselines(jobs: int | None = None) -> list[Baseline]:
    """The baselines of this environment: AutoETS where statsforecast is installed, else the grid ETS.

    ``jobs``: worker processes for AutoETS (default: the CPUs this process may use).
    """
    jobs = jobs or len(os.sched_getaffinity(0))
    out = [
        Baseline("naive", "last observed value", _each(lambda d, h, m: (naive(d, h), 0))),
        Baseline(
            "seasonal_naive",
            "value one season earlier (7 days, 52 weeks)",
            _each(lambda d, h, m: (seasonal_naive(d, h, m), _naive_fallbacks(d, m))),
        ),
    ]
    if has_auto_ets():
        version = metadata.version("statsforecast")
        out.append(
            Baseline(
                "auto_ets",
                f"statsforecast {version} AutoETS (AICc over ETS forms; non-seasonal forms for seasons over "
                f"{_MAX_ETS_SEASON} periods)",
                lambda ds, h, m: auto_ets_many(ds, h, m, jobs),
            )
        )
    else:
        out.append(
            Baseline(
                "ets",
                "built-in ETS(A,N,A), smoothing on a grid (statsforecast is not installed here)",
                _each(lambda d, h, m: (ets_grid(d, h, m), d.shape[0] if d.shape[1] < 2 * m else 0)),
            )
        )
    return out
