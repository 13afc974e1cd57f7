"""Rolling-origin backtest of a forecaster against naive, seasonal naive and ETS, all in the same windows.

The origins are the last ``n_origins`` non-overlapping windows of ``horizon`` periods; the first needs
``horizon + MIN_TRAIN_PERIODS`` periods of history before it. The model sees only the panel truncated at an
origin plus ``horizon`` periods of known-ahead covariates (what the endpoint contract would supply). By
default it is fitted once, at the first origin, and then forecasts every later origin from the data available
there (``refit="every"`` refits at each origin). Metrics: model.metrics. The result's ``notes`` say what the
table alone does not: series with less than a year of history, fallback methods, how the model was fitted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from model.artifact import Forecaster
from model.baselines import Baseline, available_baselines
from model.inventory import inventory_backtest
from model.metrics import MetricAccumulator, SeriesAccumulator, scales
from model.panel import MIN_TRAIN_PERIODS, Panel, periods_per_year, season_length
from model.progress import report
from model.replenishment import PolicyInputs
from model.snaive import SeasonalNaiveForecaster

__all__ = ["evaluation_origins", "run_backtest", "relative_to", "LEVELS"]

LEVELS = np.array([0.1, 0.5, 0.9])


def evaluation_origins(n_periods: int, horizon: int, n_origins: int) -> list[int]:
    """History columns ending the last ``n_origins`` non-overlapping windows of ``horizon``, oldest first."""
    if horizon < 1 or n_origins < 1:
        raise ValueError("horizon and origins must be >= 1")
    origins = [n_periods - 1 - k * horizon for k in range(n_origins, 0, -1)]
    need = horizon + MIN_TRAIN_PERIODS
    if origins[0] + 1 < need:
        raise ValueError(
            f"{n_origins} origins of {horizon} periods need more history than {n_periods} periods: "
            f"at least {need} before the first window, plus the {n_origins * horizon} scored"
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


def _short_history(demand: np.ndarray, year: int) -> int:
    """Series observed for less than ``year`` periods (from their first observation): no year-ago lags."""
    observed = np.isfinite(demand)
    first = np.where(observed.any(axis=1), observed.argmax(axis=1), demand.shape[1])
    return int(((demand.shape[1] - first) < year).sum())


def _series_metrics(
    panel: Panel, per_series: dict[str, SeriesAccumulator], series_method: list[str]
) -> dict[str, Any]:
    """Per-series errors, column-wise so 10,000 series stay a few MB: ids[i] is "warehouse/sku" (neither part
    has a slash), ``method[i]`` is how the model forecast it at the last origin (global-gbm, sparse,
    intermittent, cold-start), ``metrics[name][col][i]`` its scores.
    GET /v1/model/series/... serves one row."""
    return {
        "ids": list(panel.ids),
        "method": series_method or None,
        "metrics": {name: a.result() for name, a in per_series.items()},
    }


def _baseline_forecasts(
    stats: list[Baseline], demands: list[np.ndarray], horizon: int, season: int
) -> tuple[list[list[tuple[np.ndarray, int]]], float]:
    """Each baseline's (mean, naive fallbacks) per origin, and the seconds they took."""
    t0 = time.perf_counter()
    out = [base.forecast_all(demands, horizon, season) for base in stats]
    return out, time.perf_counter() - t0


def run_backtest(
    panel: Panel,
    horizon: int,
    n_origins: int,
    fit: Callable[[Panel], Forecaster] | None,
    champion: Forecaster | None = None,
    refit: str = "first",
    seed: int = 0,
    baselines: bool = True,
    jobs: int | None = None,
    inventory: PolicyInputs | None = None,
) -> dict[str, Any]:
    """Run the backtest; ``fit`` builds the model from a truncated panel (None = baselines only).

    ``jobs``: processes for the baselines that can use them (AutoETS; default: every CPU available).
    The statistical baselines of every origin start at once on a background thread, while the model fits:
    AutoETS takes about as long as the model's fit on pasta, and most of it runs in its own processes.
    ``timings``: ``baselines_s`` is the time the baselines took (the statistical ones overlapping the
    model), ``baselines_wait_s`` how long the backtest waited for them after the model's last forecast.
    ``inventory``: also replay the windows under the replenishment advice and its alternatives
    (model.inventory); the result's ``inventory`` holds it.
    """
    if refit not in ("first", "every"):
        raise ValueError(f"refit must be 'first' or 'every', got {refit!r}")
    m = season_length(panel.freq)
    year = periods_per_year(panel.freq)
    origins = evaluation_origins(panel.n_periods, horizon, n_origins)
    demand = panel.demand()
    stats: list[Baseline] = available_baselines(jobs) if baselines else []
    acc: dict[str, MetricAccumulator] = {}
    per_series: dict[str, SeriesAccumulator] = {}
    timings: dict[str, float] = {"fit_s": 0.0, "predict_s": 0.0, "baselines_s": 0.0, "baselines_wait_s": 0.0}
    rng = np.random.default_rng(seed)
    model: Forecaster | None = None
    methods: dict[str, int] = {}
    notes: list[str] = []
    fallbacks: dict[str, int] = {}
    fitted: list[tuple[int, Forecaster]] = []  # (origin, the model as fitted for that window)
    series_method: list[str] = []
    windows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # per origin: actuals, the scales
    background = ThreadPoolExecutor(1, thread_name_prefix="baselines")
    # The history an origin sees is the demand up to it: views of one array.
    pending = background.submit(_baseline_forecasts, stats, [demand[:, : o + 1] for o in origins], horizon, m)
    background.shutdown(wait=False)
    for i, o in enumerate(origins):
        when = _window(panel, o, horizon)["origin"]
        report("backtest", i, len(origins), "origins", f"origin {when}")
        hist = panel.truncate(o, horizon)
        actual = demand[:, o + 1 : o + 1 + horizon]
        ms, rs = scales(hist.demand(), m)
        windows.append((actual, ms, rs))
        short = _short_history(hist.demand(), year)
        if short:
            notes.append(
                f"{when}: {short} of {panel.n_series} series have less than a year ({year} periods) of "
                "history: their year-ago features are missing and the model uses what exists"
            )
        runs: list[tuple[str, Forecaster | None]] = []
        if fit is not None:
            if model is None or refit == "every":
                report("backtest", i, len(origins), "origins", "fitting the model")
                t0 = time.perf_counter()
                model = fit(hist)
                timings["fit_s"] += time.perf_counter() - t0
                notes += [f"{when}: {n}" for n in getattr(model, "fit_notes", [])]
            runs.append(("model", model))
            fitted.append((o, model))
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
            per_series.setdefault(name, SeriesAccumulator(panel.n_series)).add(actual, fc.mean, ms, rs)
            if name == "model":
                series_method = list(fc.method)
                for method in fc.method:
                    methods[method] = methods.get(method, 0) + 1
    t0 = time.perf_counter()
    stat_forecasts, stats_s = pending.result()
    timings["baselines_wait_s"] = time.perf_counter() - t0
    timings["baselines_s"] += stats_s
    for base, per_origin in zip(stats, stat_forecasts, strict=True):
        for (actual, ms, rs), (mean, fell_back) in zip(windows, per_origin, strict=True):
            acc.setdefault(base.name, MetricAccumulator()).add(actual, mean, ms, rs)
            per_series.setdefault(base.name, SeriesAccumulator(panel.n_series)).add(actual, mean, ms, rs)
            fallbacks[base.name] = fallbacks.get(base.name, 0) + fell_back
    if methods:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(methods.items(), key=lambda kv: -kv[1]))
        notes.append(f"model series x origins by method: {counts}")
    for name, count in fallbacks.items():
        if count:
            notes.append(f"{name}: naive forecast for {count} series x origins (too little history)")
    report("backtest", len(origins), len(origins), "origins")
    table = {name: a.result() for name, a in acc.items()}
    extra: dict[str, Any] = {}
    if inventory is not None:
        t0 = time.perf_counter()

        def model_at(origin: int) -> Forecaster:
            return [f for fitted_at, f in fitted if fitted_at <= origin][-1]

        extra["inventory"] = inventory_backtest(
            panel, origins, horizon, model_at if fitted else None, inventory, seed
        )
        timings["inventory_s"] = time.perf_counter() - t0
    return {
        "setup": {
            "freq": panel.freq,
            "horizon": horizon,
            "origins": len(origins),
            "series": panel.n_series,
            "refit": refit,
            "season": m,
            "windows": [_window(panel, o, horizon) for o in origins],
            "baselines": {b.name: b.description for b in stats},
        },
        "metrics": table,
        "relative_to_seasonal_naive": relative_to(table, "seasonal_naive") if baselines else {},
        "model_methods": methods,
        "notes": notes,
        "series_metrics": _series_metrics(panel, per_series, series_method),
        "timings": timings,
        **extra,
    }
