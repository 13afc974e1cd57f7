"""Rolling-origin backtest of a forecaster against naive, seasonal naive and ETS, all in the same windows.

The origins are the last ``n_origins`` non-overlapping windows of ``horizon`` periods. The model sees only the
panel truncated at an origin plus ``horizon`` periods of known-ahead covariates (what the endpoint contract
would supply). By default it is fitted once, at the first origin, and then forecasts every later origin from
the data available there (``refit="every"`` refits at each origin). Metrics: model.metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from model.artifact import Forecaster
from model.baselines import BASELINES
from model.metrics import MetricAccumulator, scales
from model.panel import Panel, season_length
from model.progress import report
from model.snaive import SeasonalNaiveForecaster

__all__ = ["evaluation_origins", "run_backtest", "relative_to", "LEVELS"]

LEVELS = np.array([0.1, 0.5, 0.9])


def evaluation_origins(n_periods: int, horizon: int, n_origins: int) -> list[int]:
    """History columns ending the last ``n_origins`` non-overlapping windows of ``horizon``, oldest first."""
    if horizon < 1 or n_origins < 1:
        raise ValueError("horizon and origins must be >= 1")
    origins = [n_periods - 1 - k * horizon for k in range(n_origins, 0, -1)]
    if origins[0] < 2 * horizon:
        raise ValueError(
            f"{n_origins} origins of {horizon} periods need more history than {n_periods} periods"
        )
    return origins


def relative_to(table: dict[str, dict[str, Any]], base: str) -> dict[str, dict[str, float | None]]:
    """Per method: 1 - metric / base metric for rmsse, mase and wape (0.4 = 40% lower than ``base``)."""
    out: dict[str, dict[str, float | None]] = {}
    for name, row in table.items():
        out[name] = {}
        for key in ("rmsse", "mase", "wape"):
            a, b = row.get(key), table[base].get(key)
            out[name][key] = None if a is None or not b else 1.0 - a / b
    return out


def _window(panel: Panel, origin: int, horizon: int) -> dict[str, str]:
    """Dates of one evaluation window: its origin (last history period), first and last scored periods."""
    rel = np.array([origin, origin + 1, origin + horizon]) - (panel.n_periods - 1)
    dates = panel.dates(rel[None, :])[0]
    return {"origin": str(dates[0]), "first": str(dates[1]), "last": str(dates[2])}


def run_backtest(
    panel: Panel,
    horizon: int,
    n_origins: int,
    fit: Callable[[Panel], Forecaster] | None,
    champion: Forecaster | None = None,
    refit: str = "first",
    seed: int = 0,
    baselines: bool = True,
) -> dict[str, Any]:
    """Run the backtest; ``fit`` builds the model from a truncated panel (None = baselines only)."""
    if refit not in ("first", "every"):
        raise ValueError(f"refit must be 'first' or 'every', got {refit!r}")
    m = season_length(panel.freq)
    origins = evaluation_origins(panel.n_periods, horizon, n_origins)
    demand = panel.demand()
    acc: dict[str, MetricAccumulator] = {}
    timings: dict[str, float] = {"fit_s": 0.0, "predict_s": 0.0, "baselines_s": 0.0}
    rng = np.random.default_rng(seed)
    model: Forecaster | None = None
    methods: dict[str, int] = {}
    for i, o in enumerate(origins):
        report("backtest", i, len(origins), "origins", f"origin {_window(panel, o, horizon)['origin']}")
        hist = panel.truncate(o, horizon)
        actual = demand[:, o + 1 : o + 1 + horizon]
        ms, rs = scales(hist.demand(), m)
        runs: list[tuple[str, Forecaster | None]] = []
        if fit is not None:
            if model is None or refit == "every":
                report("backtest", i, len(origins), "origins", "fitting the model")
                t0 = time.perf_counter()
                model = fit(hist)
                timings["fit_s"] += time.perf_counter() - t0
            runs.append(("model", model))
        if champion is not None:
            runs.append(("champion", champion))
        if baselines:
            runs.append(("seasonal_naive_empirical", SeasonalNaiveForecaster()))
        for name, forecaster in runs:
            assert forecaster is not None
            t0 = time.perf_counter()
            fc = forecaster.predict(hist, horizon, LEVELS, 0, rng)
            timings["predict_s" if name == "model" else "baselines_s"] += time.perf_counter() - t0
            acc.setdefault(name, MetricAccumulator(LEVELS)).add(actual, fc.mean, ms, rs, fc.quantiles)
            if name == "model":
                for method in fc.method:
                    methods[method] = methods.get(method, 0) + 1
        if baselines:
            t0 = time.perf_counter()
            for name, func in BASELINES.items():
                acc.setdefault(name, MetricAccumulator()).add(actual, func(hist.demand(), horizon, m), ms, rs)
            timings["baselines_s"] += time.perf_counter() - t0
    report("backtest", len(origins), len(origins), "origins")
    table = {name: a.result() for name, a in acc.items()}
    return {
        "setup": {
            "freq": panel.freq,
            "horizon": horizon,
            "origins": len(origins),
            "series": panel.n_series,
            "refit": refit,
            "season": m,
            "windows": [_window(panel, o, horizon) for o in origins],
        },
        "metrics": table,
        "relative_to_seasonal_naive": relative_to(table, "seasonal_naive") if baselines else {},
        "model_methods": methods,
        "timings": timings,
    }
