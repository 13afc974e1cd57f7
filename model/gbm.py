"""The global model: one gradient-boosted tree ensemble over all series, direct multi-step, with calibration.

Rows are (series, origin, step) triples from many training origins; the target is demand at ``origin + step``
divided by the series scale (model.features). Fitting, for a forecast made after history column ``end``:

1. train on targets up to ``end - calibration_span`` (with ``calibration_models`` > 1, also on targets up to
   later points inside the span);
2. forecast from calibration origins inside the last ``calibration_span`` periods, each by the latest of those
   models trained before it, and fit the residual calibrator (model.calibration) on those out-of-sample
   errors;
3. optionally refit on all targets up to ``end`` (the calibration then is conservative: the refitted model is
   better than the ones calibrated, by more the larger the span's share of the history).

Stockout periods are censored demand: they are never targets, never residuals, and read as missing (not zero)
in every feature, so a stockout does not pull the forecast down. Series that are too short or mostly zero
use the fallbacks of model.fallback.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from sklearn._loss.loss import HalfTweedieLoss
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from model.calibration import ResidualCalibrator
from model.distribution import Forecast
from model.fallback import COLD_START, SPARSE, classify, cold_start, intermittent, sparse
from model.features import Arrays, FeatureConfig, arrays_of, build_features
from model.panel import MIN_TRAIN_PERIODS, Panel, default_horizon, season_length

__all__ = ["Hyperparameters", "GlobalModel", "METHOD", "calibration_model_ends", "member_parallelism"]

METHOD = "global-gbm"

#: Weekly calibration windows span at least this many weeks: one 8-week horizon gave too few residuals and
#: intervals covering 72–79% on the 80-week development windows; 16 weeks brought both into 77–83% without
#: moving a point forecast (bench/accuracy/EXPERIMENTS.md, seventh session, B8).
WEEKLY_CALIBRATION_SPAN = 16


@dataclass
class Hyperparameters:
    """Everything tunable, with the defaults `warecast tune` starts from (docs/model.md)."""

    learning_rate: float = 0.08
    max_iter: int = 200
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 100
    l2_regularization: float = 1.0
    max_features: float = 1.0
    loss: str = "squared_error"
    quantile: float = 0.5  # the level fitted when loss is "quantile"
    # The variance power when loss is "tweedie" (log link; 1 < power < 2: a compound Poisson-gamma, a point
    # mass at zero plus a continuous part), the mean members' loss in a trial against Poisson on pasta
    # (bench/accuracy/EXPERIMENTS.md, fourteenth session).
    tweedie_power: float = 1.5
    median_weight: float = 0.0  # > 0: blend the point forecast with a median (quantile 0.5) model this much
    median_quantile: float = 0.5  # the level of the blended "median" members (above 0.5: nearer the mean)
    weight_power: float = 0.5
    rmsse_weight: float = 0.0  # power of (scale² / in-sample one-step squared difference) in the row weight
    origin_stride: int = 0  # 0 = auto: about 150 training origins
    max_train_origins: int = 150
    first_origin: int = 0  # 0 = auto: the later of level_window and one season, earlier on short histories
    min_train_origins: int = 30  # a short history moves the first training origin back to keep this many
    calibration_span: int = 0  # 0 = auto: 2 horizons daily, max(16, horizon) weekly; less on short histories
    calibration_stride: int = 0  # 0 = auto: horizon // 4
    # Models the calibration span's residuals come from, each trained up to the start of its share of the span
    # (calibration_model_ends): more of them train closer to the refitted model that serves the forecast.
    calibration_models: int = 1
    # Where the last calibration model's training ends, as a share of the span (0 = auto: (models - 1) /
    # models, even steps); the others go evenly between the span's start and it. 0.75 with 2 models: the
    # second one trains on 3/4 of the span and forecasts only its last quarter, the origins most like the
    # served model's.
    calibration_last_end: float = 0.0
    # Times each residual of the last calibration model counts in the calibrator (1 = once, as every other):
    # more weight on the residuals of the model closest to the served one (trial; weekly coverage, issue 15).
    calibration_last_weight: int = 1
    refit: bool = False
    bagging: int = 1  # ensemble members, each on a different phase of training origins
    debias: bool = False  # add the calibrator's mean residual to the point forecast
    # With `debias`: whether the intervals and paths move with the shifted point too. Their residual quantiles
    # are measured around the unshifted point and so already contain the mean residual; moving them counts it
    # twice (bench/accuracy/EXPERIMENTS.md, thirteenth session).
    debias_intervals: bool = True
    floor: float = 0.2
    n_bins: int = 6
    step_groups: int = 3
    min_history: int = 0  # 0 = auto: 4 seasons daily (28 days), 8 weeks weekly
    intermittent_adi: float = 4.0
    sparse_share: float = 0.5  # recorded in less than this share of the last year: the sparse fallback
    sparse_obs: int = 0  # 0 = auto: the default horizon (28 days, 13 weeks) of last observed values
    target_clip: float = 30.0
    seed: int = 0
    # Cores a fit may use: bagged members side by side first, OpenMP threads within each member with what is
    # left (member_parallelism); 0 = all cores this process may run on (a dedicated training instance).
    threads: int = 1

    @classmethod
    def for_freq(cls, freq: str, **overrides: Any) -> Hyperparameters:
        """The defaults chosen on the benchmark (bench/accuracy) for daily or weekly data."""
        base: dict[str, Any] = dict(_DEFAULTS.get(freq, {}))
        base.update(overrides)
        return cls.from_dict(base)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Hyperparameters:
        known = {f: values[f] for f in cls.__dataclass_fields__ if f in values}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown hyperparameters {sorted(unknown)}")
        out = cls()
        for key, value in known.items():
            default = getattr(out, key)
            if isinstance(default, bool):
                value = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            setattr(out, key, type(default)(value))
        return out

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Per-frequency defaults over the dataclass defaults (docs/model.md explains how they were chosen).
_DEFAULTS: dict[str, dict[str, Any]] = {
    "D": {
        "loss": "poisson",
        "refit": True,
        "calibration_span": 182,
        "max_train_origins": 60,
        # Two members of 60 origins each, half a stride apart: better RMSSE and WAPE on pasta's development
        # and year-ago windows (bench/accuracy/EXPERIMENTS.md, ninth and tenth sessions, D13 / Y13), fitted
        # side by side on two cores so that `warecast backtest` on pasta stays within 2 minutes (eleventh).
        "bagging": 2,
        "threads": 2,
        # 0.7 × the Poisson mean + 0.3 × a median model (two quantile-0.5 members): all four of the daily
        # rule's numbers better on pasta's development and year-ago windows (X8), and within 2 minutes once
        # the AutoETS baseline runs beside the fit (bench/accuracy/EXPERIMENTS.md, eleventh and twelfth
        # sessions).
        "median_weight": 0.3,
    },
    "W": {
        # The median: it beat Poisson and every blend of the two on both metrics of the development windows
        # (bench/accuracy/EXPERIMENTS.md, sixth session).
        "loss": "quantile",
        "refit": True,
        "max_train_origins": 60,
        # At least 60 weekly training origins: below 112 weeks of history the first one moves back from week
        # 53 (down to the second week); those rows, with the lags the history lacks missing, beat 30 origins
        # on the development windows (bench/accuracy/EXPERIMENTS.md, eighth session, C3).
        "min_train_origins": 60,
        "max_leaf_nodes": 127,
        "min_samples_leaf": 50,
        # Four calibration models (M4): each residual from a model at most a quarter of the span out of
        # date (calibration_model_ends), so the intervals sit nearer the refitted model that serves. Of the
        # candidates it passed the coverage rule on the weekly development windows best: coverage nearest 80%
        # on both 80-week sets, Walmart (full) inside the band, the best pinball rank over the three sets; two
        # models (M2) left walmart80's evaluation coverage over the band. Each weekly fit costs about 2.4x the
        # one-model fit (bench/accuracy/EXPERIMENTS.md, thirteenth to fifteenth sessions).
        "calibration_models": 4,
    },
}


@dataclass
class GlobalModel:
    """Fitted global GBM + residual calibrator; implements the Forecaster protocol."""

    config: FeatureConfig
    params: Hyperparameters
    version: str = "untrained"
    kind: str = METHOD
    estimator: list[HistGradientBoostingRegressor] | None = None
    #: The median members blended into the point forecast when ``median_weight`` > 0.
    median: list[HistGradientBoostingRegressor] | None = None
    calibrator: ResidualCalibrator | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: What the last fit used: first training origin, last target column, calibration span (backtest notes).
    fit_info: dict[str, int] = field(default_factory=dict)

    @property
    def min_history(self) -> int:
        return self.params.min_history or (28 if self.config.freq == "D" else 8)

    def _estimator(
        self, loss: str | None = None, quantile: float | None = None
    ) -> HistGradientBoostingRegressor:
        p = self.params
        loss = loss or p.loss
        kwargs: dict[str, Any] = {}
        if p.max_features < 1.0:
            kwargs["max_features"] = p.max_features  # scikit-learn >= 1.4
        if loss == "quantile":
            kwargs["quantile"] = p.quantile if quantile is None else quantile
        return HistGradientBoostingRegressor(
            loss=_loss_object(loss, p.tweedie_power),
            learning_rate=p.learning_rate,
            max_iter=p.max_iter,
            max_leaf_nodes=p.max_leaf_nodes,
            min_samples_leaf=p.min_samples_leaf,
            l2_regularization=p.l2_regularization,
            early_stopping=False,
            random_state=p.seed,
            **kwargs,
        )

    def _rows(self, ar: Arrays, origins: np.ndarray, last_target: int) -> tuple[np.ndarray, ...]:
        h = self.config.horizon
        x, scale = build_features(ar, self.config, origins, h)
        t = origins[:, None] + np.arange(1, h + 1)[None, :]
        y = np.where((t <= last_target)[None], _target(ar, t), np.nan)
        # Clipped ratios: one freak period of a tiny series must not dominate a squared loss.
        y = (
            np.clip(y / scale[:, :, None], -self.params.target_clip, self.params.target_clip)
            * scale[:, :, None]
        )
        ok = np.isfinite(y)
        w = scale**self.params.weight_power
        if self.params.rmsse_weight:
            w = w * _signal_to_noise(ar, origins, scale) ** self.params.rmsse_weight
        w = np.broadcast_to(w[:, :, None], y.shape)
        return x[ok], (y / scale[:, :, None])[ok], w[ok]

    def _preferred_first_origin(self) -> int:
        return self.params.first_origin or max(self.config.level_window, season_length(self.config.freq))

    def first_origin(self, stop: int) -> int:
        """The first training origin when the last one is ``stop``.

        By default the later of the level window and one season, so that most training rows have their
        seasonal lags. A short history moves it back (to column 1 at the earliest) until ``min_train_origins``
        origins fit: rows whose lags do not exist yet carry them as missing, which the trees handle, and
        learning from them beats refusing to train.
        """
        if self.params.first_origin:
            return self.params.first_origin
        return max(1, min(self._preferred_first_origin(), stop - self.params.min_train_origins))

    @property
    def fit_notes(self) -> list[str]:
        """What the last fit changed for a short history, in words (the backtest prints them)."""
        info, out = self.fit_info, []
        preferred = self._preferred_first_origin()
        if info.get("first_origin", preferred) < preferred:
            out.append(
                f"short history: training origins from period {info['first_origin'] + 1} of the "
                f"{info['periods']} (default {preferred + 1})"
            )
        if info.get("calibration_span", 0) < info.get("default_span", 0):
            out.append(
                f"short history: calibrated on the last {info['calibration_span']} periods "
                f"(default {info['default_span']})"
            )
        if info.get("annual_calendar") == 0:
            out.append(
                f"short history: no {'week' if self.config.freq == 'W' else 'day'} of year "
                f"({info['periods']} periods, under a year plus a horizon)"
            )
        return out

    def _fit_estimator(
        self, ar: Arrays, last_target: int, loss: str | None = None, quantile: float | None = None
    ) -> list[HistGradientBoostingRegressor]:
        """``bagging`` ensembles, each on its own phase of training origins and its own seed.

        Members are fitted side by side (``member_parallelism``): the tree learner does its heavy loops
        without the interpreter lock, so two members on one OpenMP thread each fitted 1.9× faster than one
        after the other, where two OpenMP threads gained about 1.2× (bench/accuracy/EXPERIMENTS.md, ninth and
        eleventh sessions). Each member depends only on its index (phase and seed), so the result is the
        serial fit's, bit for bit.
        """
        p = self.params
        stop = last_target - 1
        first = self.first_origin(stop)
        if stop - first < 2:
            raise ValueError(f"not enough history to train: targets end at column {last_target}")
        self.fit_info.update(first_origin=first, last_target=last_target)
        stride = p.origin_stride or max(1, (stop - first) // p.max_train_origins)
        n_members = max(p.bagging, 1)
        workers, omp_threads = member_parallelism(p)

        def member(b: int) -> HistGradientBoostingRegressor:
            phase = (b * stride) // n_members
            origins = np.arange(stop - phase, first - 1, -stride)[::-1]
            x, y, w = self._rows(ar, origins, last_target)
            if (loss or p.loss) in ("poisson", "tweedie"):
                y = np.maximum(y, 0.0)
            est = self._estimator(loss, quantile)
            est.set_params(random_state=p.seed + b)
            # OpenMP's thread count is per calling thread, so each worker sets its own.
            with threadpool_limits(limits=omp_threads, user_api="openmp"):
                est.fit(x, y, sample_weight=w)
            return est

        if workers == 1:
            return [member(b) for b in range(n_members)]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gbm-member") as pool:
            return list(pool.map(member, range(n_members)))  # in member order, whatever finishes first

    def _default_span(self) -> int:
        h = self.config.horizon
        if self.params.calibration_span:
            return self.params.calibration_span
        return 2 * h if self.config.freq == "D" else max(WEEKLY_CALIBRATION_SPAN, h)

    def calibration_span(self, end: int) -> int:
        """Periods held out for calibration: the configured span, shortened so that at least
        ``MIN_TRAIN_PERIODS`` periods remain to train on (a history of horizon + 8 periods still fits)."""
        return max(1, min(self._default_span(), end + 1 - MIN_TRAIN_PERIODS))

    def fit(self, panel: Panel, end: int | None = None) -> GlobalModel:
        """Fit on history columns ``<= end`` (default: all of ``panel``), calibrating on the last span."""
        p = self.params
        end = panel.n_periods - 1 if end is None else end
        h = self.config.horizon
        span = self.calibration_span(end)
        self.fit_info = {"calibration_span": span, "default_span": self._default_span(), "periods": end + 1}
        if self.config.annual_needs_year:
            annual = end + 1 >= self.config.year + h
            self.config = replace(self.config, annual_calendar=annual)
            self.fit_info["annual_calendar"] = int(annual)
        cstride = p.calibration_stride or max(1, h // 4)
        ar = arrays_of(panel)
        t0 = time.perf_counter()
        origins = np.arange(end - span, end, cstride)
        x, scale = build_features(ar, self.config, origins, h)
        mu = np.zeros(x.shape[:3])
        fit_s = 0.0
        starts = calibration_model_ends(end, span, p.calibration_models, p.calibration_last_end)
        for last, stop in zip(starts, [*starts[1:], end], strict=True):
            cols = (origins >= last) & (origins < stop)
            if not cols.any():
                continue
            t1 = time.perf_counter()
            self._fit_members(ar, last)
            fit_s += time.perf_counter() - t1
            mu[:, cols] = self._mean(x[:, cols], scale[:, cols])
        t = origins[:, None] + np.arange(1, h + 1)[None, :]
        y = np.where((t <= end)[None], _target(ar, t), np.nan)
        # Origins forecast by the last calibration model repeated calibration_last_weight times (a weighted
        # empirical distribution in the calibrator's own terms); with one model nothing is weighted.
        times = np.where((origins >= starts[-1]) & (len(starts) > 1), max(p.calibration_last_weight, 1), 1)
        mu, y, scale = (np.repeat(a, times, axis=1) for a in (mu, y, scale))
        n, k = scale.shape
        self.calibrator = ResidualCalibrator(p.n_bins, p.step_groups, p.floor).fit(
            mu.reshape(n * k, h), y.reshape(n * k, h), scale.reshape(n * k)
        )
        t2 = time.perf_counter()
        if p.refit:
            self._fit_members(ar, end)
        self.timings = {"fit_s": fit_s, "calibrate_s": t2 - t0 - fit_s, "refit_s": time.perf_counter() - t2}
        return self

    def _fit_members(self, ar: Arrays, last_target: int) -> None:
        """The mean members and, with a median blend, the median members, on targets up to ``last_target``."""
        p = self.params
        self.estimator = self._fit_estimator(ar, last_target)
        self.median = None
        if p.median_weight > 0:
            self.median = self._fit_estimator(ar, last_target, "quantile", p.median_quantile)

    def _mean(self, x: np.ndarray, scale: np.ndarray) -> np.ndarray:
        assert self.estimator is not None
        shape = x.shape[:3]
        with threadpool_limits(limits=member_parallelism(self.params)[1], user_api="openmp"):
            flat = x.reshape(-1, x.shape[-1])
            pred = np.mean([est.predict(flat) for est in self.estimator], axis=0).reshape(shape)
            if self.median and self.params.median_weight > 0:
                w = self.params.median_weight
                med = np.mean([est.predict(flat) for est in self.median], axis=0).reshape(shape)
                pred = (1.0 - w) * pred + w * med
        return np.maximum(pred * scale[:, :, None], 0.0)

    def predict(
        self, panel: Panel, horizon: int, levels: np.ndarray, n_paths: int, rng: np.random.Generator
    ) -> Forecast:
        """Forecast ``horizon`` steps after the panel's last history column."""
        if self.estimator is None or self.calibrator is None:
            raise RuntimeError("the model is not fitted")
        ar = arrays_of(_extend(panel, horizon))
        o = np.array([panel.n_periods - 1])
        x, scale = build_features(ar, self.config, o, horizon)
        mu = self._mean(x, scale)[:, 0, :]
        s = scale[:, 0]
        centre = mu  # what the calibrated quantiles and paths are built around
        if self.params.debias:
            mu = np.maximum(mu + self.calibrator.mean_shift(mu, s), 0.0)
            if self.params.debias_intervals:
                centre = mu
        q = self.calibrator.quantiles(centre, s, levels)
        paths = self.calibrator.paths(centre, s, n_paths, rng)
        methods: list[str] = [METHOD] * panel.n_series
        demand = panel.demand()
        m = season_length(panel.freq)
        p = self.params
        year = self.config.year
        kinds = classify(demand, self.min_history, p.intermittent_adi, 4 * m, year, p.sparse_share)
        recent = p.sparse_obs or default_horizon(panel.freq)
        for i, kind in enumerate(kinds):
            if kind is None:
                continue
            if kind == COLD_START:
                out = cold_start(demand[i], horizon, levels, n_paths, rng)
            elif kind == SPARSE:
                out = sparse(demand[i], horizon, levels, n_paths, rng, recent)
            else:
                out = intermittent(demand[i], horizon, levels, n_paths, rng, 4 * m)
            mu[i], q[i], paths[i] = out
            methods[i] = kind
        return Forecast(mu, levels, q, paths, methods)


def _loss_object(loss: str, power: float) -> str | HalfTweedieLoss:
    """The estimator's ``loss`` argument. scikit-learn's histogram GBM has no "tweedie" name, but it accepts
    a loss object (its ``_parameter_constraints`` allow ``BaseLoss``), and its private loss module has the
    half Tweedie deviance with a log link that its GLMs use; scikit-learn is pinned (requirements.lock), so
    the private import is stable for this build."""
    if loss != "tweedie":
        return loss
    if not 1.0 < power < 2.0:
        # Outside (1, 2) the deviance either needs y > 0 (power >= 2) or is no distribution of counts.
        raise ValueError(f"tweedie_power must be in (1, 2) for demand with zeros, got {power}")
    return HalfTweedieLoss(power=power)


def calibration_model_ends(end: int, span: int, models: int, last_end: float = 0.0) -> list[int]:
    """Last target column of each calibration model, oldest first: the span's start, then ``models - 1`` even
    steps into it. Calibration origins from one end up to the next are forecast by that end's model, so each
    residual comes from a model at most ``span / models`` periods out of date (one model: the whole span).
    ``last_end`` in (0, 1) puts the last model's end that share of the span in, instead of (models - 1) /
    models, and the others evenly between the span's start and it."""
    if models < 1:
        raise ValueError(f"calibration_models must be >= 1, got {models}")
    if not 0.0 <= last_end < 1.0:
        raise ValueError(f"calibration_last_end must be in [0, 1), got {last_end}")
    start = end - span
    if not last_end or models == 1:
        return sorted({start + (span * i) // models for i in range(models)})
    last = round(span * last_end)
    return sorted({start + (last * i) // (models - 1) for i in range(models)})


def member_parallelism(params: Hyperparameters) -> tuple[int, int]:
    """(members fitted at once, OpenMP threads per member) for ``params.threads`` cores.

    Members first: single-threaded members side by side scale with the cores, OpenMP threads within one
    member much less, and an oversubscribed OpenMP team on a busy machine is many times slower. Prediction
    runs the members one after the other on the per-member thread count.
    """
    cores = params.threads or _usable_cores()
    workers = max(1, min(max(params.bagging, 1), cores))
    return workers, max(1, cores // workers)


def _usable_cores() -> int:
    # The cores this process may run on (a container's CPU set), not the machine's; macOS lacks the call.
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _signal_to_noise(ar: Arrays, origins: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """scale² / mean squared one-step difference up to each origin, (N, K): with it as the weight, a squared
    error on scaled targets is the squared error RMSSE divides by its in-sample scale."""
    diff = np.diff(ar.d, axis=1) ** 2
    ok = np.isfinite(diff)
    total = np.concatenate([np.zeros((diff.shape[0], 1)), np.cumsum(np.where(ok, diff, 0.0), axis=1)], axis=1)
    count = np.concatenate([np.zeros((diff.shape[0], 1)), np.cumsum(ok, axis=1)], axis=1)
    o = np.clip(origins, 0, diff.shape[1])
    with np.errstate(all="ignore"):
        snr = scale**2 / (total[:, o] / count[:, o])
    median = np.nanmedian(snr)
    return np.where(np.isfinite(snr), np.clip(snr / median, 0.02, 50.0), 1.0)


def _target(ar: Arrays, t: np.ndarray) -> np.ndarray:
    """Demand at target columns t (K, H) -> (N, K, H); NaN past the data or where unobserved/censored."""
    idx = np.clip(t, 0, ar.z.shape[1] - 1)
    out = ar.d[:, idx]
    return np.where((t < ar.z.shape[1])[None], out, np.nan)


def _extend(panel: Panel, horizon: int) -> Panel:
    """Pad covariates to ``horizon`` future columns (unknown = NaN) so features can index them."""
    need = panel.n_periods + horizon - panel.promo.shape[1]
    if need <= 0:
        return panel
    pad = np.full((panel.n_series, need), np.nan)
    return replace(panel, promo=np.hstack([panel.promo, pad]), price=np.hstack([panel.price, pad]))
