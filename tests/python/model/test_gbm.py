"""The global model on real data: fitting, probabilistic output, fallbacks, and censoring bias correction."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from bench.accuracy.datasets import pasta
from model import gbm
from model.backtest import evaluation_origins, run_backtest
from model.data import to_panel
from model.features import FeatureConfig
from model.gbm import GlobalModel, Hyperparameters, member_parallelism
from model.panel import MIN_TRAIN_PERIODS

FAST = {"max_iter": 60, "learning_rate": 0.15, "max_train_origins": 25, "loss": "poisson"}


@pytest.fixture(scope="module")
def real_panel():
    """24 real pasta series, the last 600 days (the bundled sample, read as the benchmark reads it)."""
    panel = to_panel(pasta(), "D")
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(panel.n_series, 24, replace=False))
    cut = panel.subset(rows)
    cut.y, cut.stockout = cut.y[:, -600:], cut.stockout[:, -600:]
    cut.promo, cut.price = cut.promo[:, -600:], cut.price[:, -600:]
    return cut


def _fit(panel, **over):
    return GlobalModel(FeatureConfig.default("D", 14), Hyperparameters.from_dict({**FAST, **over})).fit(panel)


def test_forecast_is_non_negative_and_quantiles_never_cross(real_panel):
    model = _fit(real_panel.truncate(real_panel.n_periods - 15, 14))
    levels = np.array([0.05, 0.1, 0.5, 0.9, 0.95])
    fc = model.predict(
        real_panel.truncate(real_panel.n_periods - 15, 14), 14, levels, 50, np.random.default_rng(1)
    )
    assert fc.mean.shape == (24, 14) and fc.quantiles.shape == (24, 14, 5) and fc.paths.shape == (24, 50, 14)
    assert (fc.mean >= 0).all() and (fc.quantiles >= 0).all() and (fc.paths >= 0).all()
    assert (np.diff(fc.quantiles, axis=-1) >= 0).all()
    assert set(fc.method) <= {"global-gbm", "intermittent"}


def test_short_and_sparse_series_fall_back(real_panel):
    model = _fit(real_panel)
    panel = real_panel.subset(np.arange(3))
    panel.y = panel.y.copy()
    panel.y[0, :-10] = np.nan  # 10 days of history: cold start
    panel.y[1, :] = 0.0
    panel.y[1, -20] = 5.0  # one sale in the last 28 days: intermittent
    panel.y[2, -364:][np.arange(364) % 3 > 0] = np.nan  # recorded one day in three: sparse
    fc = model.predict(panel, 14, np.array([0.1, 0.5, 0.9]), 20, np.random.default_rng(0))
    assert fc.method == ["cold-start", "intermittent", "sparse"]
    assert fc.mean[0, 0] == pytest.approx(np.nanmean(panel.y[0]))
    assert 0 < fc.mean[1, 0] < 1 and fc.quantiles[1, 0, 0] == 0.0
    recorded = panel.y[2][np.isfinite(panel.y[2])][-28:]
    assert recorded.min() <= fc.mean[2, 0] <= recorded.max()
    assert np.isfinite(fc.quantiles).all()


def test_censoring_bias_is_corrected(real_panel):
    """Stockouts cut sales short. Flagged as censored, they must not pull the forecast down.

    Real series get artificial stockout episodes (3-7 days, about a fifth of the history before the first
    evaluation window) during which only 0-30% of the real sales happen. The windows scored stay uncensored.
    Flagged stockout days carry no information, so the corrected forecast cannot equal the clean one exactly
    (a fifth of the history is gone); it must undo most of the downward bias that reading them as demand
    causes.
    """
    horizon = 14
    first = evaluation_origins(real_panel.n_periods, horizon, 3)[0]
    rng = np.random.default_rng(42)
    out = np.zeros(real_panel.y.shape, bool)
    for i in range(real_panel.n_series):
        j = 0
        while j < first:
            j += int(rng.integers(5, 25))
            out[i, j : min(j + int(rng.integers(3, 8)), first + 1)] = True
            j += 8
    sold = np.floor(np.nan_to_num(real_panel.y) * rng.uniform(0.0, 0.3, out.shape))
    y_cut = np.where(out & np.isfinite(real_panel.y), sold, real_panel.y)
    ignored = dataclasses.replace(real_panel, y=y_cut, stockout=np.zeros_like(out))
    flagged = dataclasses.replace(real_panel, y=y_cut, stockout=out)

    def bias(panel):
        result = run_backtest(panel, horizon, 3, _fit, baselines=False)
        return result["metrics"]["model"]["bias"]

    clean, naive, corrected = bias(real_panel), bias(ignored), bias(flagged)
    assert 0.15 < out[:, :first].mean() < 0.3
    assert naive < clean - 0.05  # stockout days read as demand: forecasts too low
    assert corrected - naive > 0.08
    assert abs(corrected - clean) < 0.6 * abs(naive - clean)


def test_hyperparameters_reject_unknown_names():
    with pytest.raises(ValueError, match="unknown hyperparameters"):
        Hyperparameters.from_dict({"learning_rat": 0.1})
    assert Hyperparameters.from_dict({"refit": "false", "max_iter": "50"}).max_iter == 50


def test_median_weight_blends_the_mean_model_with_a_median_model(real_panel):
    """The point forecast is (1 - w) × the mean model + w × a model fitted with quantile 0.5 loss."""
    panel = real_panel.truncate(real_panel.n_periods - 15, 14)
    levels, rng = np.array([0.5]), np.random.default_rng(0)
    blended = _fit(panel, median_weight=0.4)
    assert blended.median is not None and len(blended.median) == 1
    assert blended.median[0].loss == "quantile" and blended.median[0].quantile == 0.5
    mean_only = _fit(panel)
    assert mean_only.median is None
    median_only = _fit(panel, loss="quantile")
    # The same seeds and rows: the blend is exactly the weighted sum of the two models' forecasts.
    fc = blended.predict(panel, 14, levels, 5, rng)
    mean = mean_only.predict(panel, 14, levels, 5, rng).mean
    median = median_only.predict(panel, 14, levels, 5, rng).mean
    # Where neither forecast was clipped at zero and the series is on the global model.
    ok = (np.array(fc.method) == "global-gbm")[:, None] & (median > 0)
    assert ok.sum() > 100
    np.testing.assert_allclose(fc.mean[ok], (0.6 * mean + 0.4 * median)[ok], rtol=1e-6)
    assert not np.allclose(fc.mean[ok], mean[ok])


def test_median_quantile_sets_the_level_of_the_blended_members(real_panel):
    """`median_quantile` moves the blended members off 0.5; above it their forecasts, and the blend, rise."""
    panel = real_panel.truncate(real_panel.n_periods - 15, 14)
    levels, rng = np.array([0.5]), np.random.default_rng(0)
    low = _fit(panel, median_weight=1.0)
    high = _fit(panel, median_weight=1.0, median_quantile=0.7)
    assert low.median is not None and high.median is not None
    assert [m.quantile for m in low.median] == [0.5] and [m.quantile for m in high.median] == [0.7]
    ok = np.array(low.predict(panel, 14, levels, 0, rng).method) == "global-gbm"
    lo, hi = (m.predict(panel, 14, levels, 0, rng).mean[ok] for m in (low, high))
    assert hi.sum() > 1.05 * lo.sum()


def test_tweedie_loss_fits_the_mean_members_at_its_power(real_panel):
    """``loss`` "tweedie": the mean members minimise the Tweedie deviance at ``tweedie_power`` (log link, as
    Poisson); near power 1 it is the Poisson fit, at 1.5 another one, and the median members stay quantile."""
    panel = real_panel.truncate(real_panel.n_periods - 15, 14)
    levels, rng = np.array([0.5]), np.random.default_rng(0)
    near_poisson = _fit(panel, loss="tweedie", tweedie_power=1.0001)
    poisson = _fit(panel)
    tweedie = _fit(panel, loss="tweedie", tweedie_power=1.5, median_weight=0.3)
    assert tweedie.estimator is not None and tweedie.median is not None
    assert [m.loss.closs.power for m in tweedie.estimator] == [1.5]
    assert [m.loss for m in tweedie.median] == ["quantile"]
    ok = np.array(poisson.predict(panel, 14, levels, 0, rng).method) == "global-gbm"
    near, pois = (m.predict(panel, 14, levels, 0, rng).mean[ok] for m in (near_poisson, poisson))
    assert near.sum() == pytest.approx(pois.sum(), rel=0.01)
    assert np.corrcoef(near.ravel(), pois.ravel())[0, 1] > 0.99
    tw = GlobalModel(tweedie.config, dataclasses.replace(tweedie.params, median_weight=0.0))
    tw.estimator, tw.calibrator = tweedie.estimator, tweedie.calibrator
    assert not np.allclose(tw.predict(panel, 14, levels, 0, rng).mean[ok], pois, rtol=0.01)
    with pytest.raises(ValueError, match="tweedie_power must be in"):
        _fit(panel, loss="tweedie", tweedie_power=2.0)


def test_debias_moves_the_point_and_with_debias_intervals_false_not_the_quantiles(real_panel):
    """`debias` adds the calibrator's mean residual to the point forecast. The quantiles and paths are built
    around the unshifted point, so they already contain that residual: `debias_intervals` false leaves them
    exactly where they are without `debias`; true (the old behaviour) moves them with the point."""
    panel = real_panel.truncate(real_panel.n_periods - 15, 14)
    levels = np.array([0.1, 0.5, 0.9])
    plain = _fit(panel)

    def with_hp(**over):  # the same fitted members and calibrator, other prediction settings
        return dataclasses.replace(plain, params=dataclasses.replace(plain.params, **over))

    models = (plain, with_hp(debias=True), with_hp(debias=True, debias_intervals=False))
    a, b, c = (m.predict(panel, 14, levels, 20, np.random.default_rng(3)) for m in models)
    ok = (np.array(a.method) == "global-gbm")[:, None] & (a.mean > 0)
    assert not np.allclose(b.mean[ok], a.mean[ok])
    np.testing.assert_array_equal(c.mean, b.mean)
    np.testing.assert_array_equal(c.quantiles, a.quantiles)
    np.testing.assert_array_equal(c.paths, a.paths)
    assert not np.allclose(b.quantiles[ok], a.quantiles[ok])


@pytest.mark.parametrize(
    "bagging,threads,cores,expected",
    [
        (1, 1, 2, (1, 1)),  # the shared machine's default: one core
        (2, 1, 2, (1, 1)),  # one core: the members one after the other
        (2, 2, 2, (2, 1)),  # two cores: the members side by side, one OpenMP thread each
        (1, 2, 2, (1, 2)),  # one member: two OpenMP threads, as before members ran in parallel
        (2, 0, 8, (2, 4)),  # all cores of a dedicated instance: members first, the rest as OpenMP threads
        (3, 0, 2, (2, 1)),
        (2, 3, 64, (2, 1)),  # an explicit count is not raised to the cores there are
    ],
)
def test_threads_go_to_members_first_then_to_openmp(monkeypatch, bagging, threads, cores, expected):
    monkeypatch.setattr(gbm.os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert member_parallelism(Hyperparameters(bagging=bagging, threads=threads)) == expected


def test_all_cores_without_an_affinity_call_are_the_machines(monkeypatch):
    # macOS has no sched_getaffinity: a local `warecast train` with threads 0 counts the machine's cores.
    monkeypatch.delattr(gbm.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(gbm.os, "cpu_count", lambda: 6)
    assert member_parallelism(Hyperparameters(bagging=2, threads=0)) == (2, 3)


def _members_predict(model, panel):
    """Each member's own prediction on the same feature rows (not their mean, which hides the order)."""
    x, _ = gbm.build_features(gbm.arrays_of(panel), model.config, np.arange(300, panel.n_periods, 50), 14)
    flat = x.reshape(-1, x.shape[-1])
    return [est.predict(flat) for est in model.estimator]


def test_members_fitted_side_by_side_are_the_serial_fit_bit_for_bit(real_panel):
    """Two cores fit the two bagged members in parallel; every member, the calibrator and the forecast equal
    the one-core serial fit's exactly, member by member, so a mix-up of members (or seeds, phases) fails."""
    panel = real_panel.truncate(real_panel.n_periods - 15, 14)
    serial = _fit(panel, bagging=2, threads=1)
    parallel = _fit(panel, bagging=2, threads=2)
    one, two = _members_predict(serial, panel), _members_predict(parallel, panel)
    assert len(one) == len(two) == 2
    assert not np.array_equal(one[0], one[1])  # the members differ, so their order is checked
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(serial.estimator, parallel.estimator, strict=True):
        assert a.get_params()["random_state"] == b.get_params()["random_state"]
    assert serial.fit_info == parallel.fit_info
    levels = np.array([0.1, 0.5, 0.9])
    fa = serial.predict(panel, 14, levels, 20, np.random.default_rng(3))
    fb = parallel.predict(panel, 14, levels, 20, np.random.default_rng(3))
    np.testing.assert_array_equal(fa.mean, fb.mean)
    np.testing.assert_array_equal(fa.quantiles, fb.quantiles)
    np.testing.assert_array_equal(fa.paths, fb.paths)


def test_two_cores_fit_the_members_at_the_same_time(real_panel, monkeypatch):
    """Both members are inside their fit at once (a two-party barrier), on two threads other than the caller;
    on one core the same barrier breaks, so the check can fail."""
    seen: list[int] = []

    def recording(barrier):
        class Recording(gbm.HistGradientBoostingRegressor):
            def fit(self, *args, **kwargs):
                seen.append(threading.get_ident())
                barrier.wait()
                return super().fit(*args, **kwargs)

        return Recording

    panel = real_panel.truncate(real_panel.n_periods - 15, 14)
    monkeypatch.setattr(gbm, "HistGradientBoostingRegressor", recording(threading.Barrier(2, timeout=60)))
    _fit(panel, bagging=2, threads=2, refit=False)
    assert len(seen) == 2 and len(set(seen)) == 2 and threading.get_ident() not in seen
    seen.clear()
    monkeypatch.setattr(gbm, "HistGradientBoostingRegressor", recording(threading.Barrier(2, timeout=1)))
    with pytest.raises(threading.BrokenBarrierError):
        _fit(panel, bagging=2, threads=1, refit=False)
    assert seen == [threading.get_ident()]


def test_weekly_defaults_fit_the_median(seeded_panel):
    """Weekly data: quantile 0.5 loss (chosen by mean rank on the development windows, EXPERIMENTS.md)."""
    params = Hyperparameters.for_freq("W")
    assert (params.loss, params.quantile) == ("quantile", 0.5)
    assert Hyperparameters.for_freq("D").loss == "poisson"


def test_daily_defaults_fit_two_members_side_by_side():
    """Two bagged members (chosen by the pre-registered daily rule, EXPERIMENTS.md) on two cores, one each."""
    params = Hyperparameters.for_freq("D")
    assert (params.bagging, params.threads) == (2, 2)
    assert member_parallelism(params) == (2, 1)
    assert params.median_weight == 0.3  # X8: the point forecast blends in two median members
    assert Hyperparameters.for_freq("W").bagging == 1
    assert Hyperparameters.for_freq("W").median_weight == 0.0


def test_weekly_defaults_calibrate_on_four_models_daily_on_one():
    """Weekly intervals come from four calibration models (M4, chosen by the coverage rule on the weekly
    development windows, EXPERIMENTS.md); daily ones from one, so daily forecasts do not pay for it."""
    assert Hyperparameters.for_freq("W").calibration_models == 4
    assert Hyperparameters.for_freq("D").calibration_models == 1


@pytest.mark.parametrize("horizon,span", [(8, 16), (13, 16), (26, 26)])
def test_weekly_calibration_spans_16_weeks_or_a_horizon(horizon, span):
    """Weekly calibration holds out at least 16 weeks (EXPERIMENTS.md, B8), never less than a horizon, and
    shrinks on a short history so that 8 periods remain to train on."""
    model = GlobalModel(FeatureConfig.default("W", horizon), Hyperparameters.for_freq("W"))
    assert model.calibration_span(199) == span
    assert model.calibration_span(MIN_TRAIN_PERIODS + 9) == 10


@pytest.mark.parametrize("freq,horizon,n_series", [("W", 8, 1), ("W", 8, 6), ("D", 28, 2)])
def test_a_history_of_horizon_plus_8_periods_trains_and_forecasts(seeded_panel, freq, horizon, n_series):
    """The shortest history the model accepts: it learns from what exists and says what it shortened."""
    panel = seeded_panel(n_series, horizon + MIN_TRAIN_PERIODS, freq)
    model = _short_model(freq, horizon).fit(panel)
    assert any(note.startswith("short history: training origins from period") for note in model.fit_notes)
    if freq == "D":  # the 182-day calibration span shrinks to what leaves 8 days to train on
        assert model.fit_info["calibration_span"] == horizon
        assert "short history: calibrated on the last 28 periods (default 182)" in model.fit_notes
    fc = model.predict(panel, horizon, np.array([0.1, 0.5, 0.9]), 10, np.random.default_rng(0))
    assert fc.mean.shape == (n_series, horizon) and np.isfinite(fc.quantiles).all()
    assert set(fc.method) == {"global-gbm"}
    with pytest.raises(ValueError, match="not enough history"):
        _short_model(freq, horizon).fit(panel.truncate(MIN_TRAIN_PERIODS - 4, 0))


def test_a_backtest_on_a_short_weekly_history_notes_it(seeded_panel):
    """60 weeks, three 8-week windows: 36, 44 and 52 weeks of history at the origins. Every fit starts its
    training origins early, and the first two origins have less than a year of history."""
    result = run_backtest(
        seeded_panel(8, 60), 8, 3, lambda p: _short_model("W", 8).fit(p), refit="every", baselines=False
    )
    notes = result["notes"]
    assert sum("short history: training origins" in n for n in notes) == 3
    # Under a year plus a horizon, week of year is off: a tree would stretch the last one it saw forward.
    assert sum("short history: no week of year" in n for n in notes) == 3
    assert [n[:10] for n in notes if "less than a year (52 periods) of history" in n] == [
        "2018-09-03",
        "2018-10-29",
    ]
    assert result["model_methods"] == {"global-gbm": 24}
    assert "model series x origins by method: global-gbm 24" in notes


def _short_model(freq: str, horizon: int) -> GlobalModel:
    return GlobalModel(FeatureConfig.default(freq, horizon), Hyperparameters.for_freq(freq, **FAST))


def test_week_of_year_needs_a_year_plus_a_horizon_of_history(seeded_panel):
    panel = seeded_panel(4, 52 + 8)
    short = _short_model("W", 8).fit(panel.truncate(panel.n_periods - 2, 0))  # 59 periods
    full = _short_model("W", 8).fit(panel)
    assert (short.config.annual_calendar, full.config.annual_calendar) == (False, True)
    assert "short history: no week of year (59 periods, under a year plus a horizon)" in short.fit_notes
    assert not any("week of year" in n for n in full.fit_notes)


def test_calibration_model_ends_split_the_span_evenly():
    assert gbm.calibration_model_ends(55, 16, 1) == [39]
    assert gbm.calibration_model_ends(55, 16, 2) == [39, 47]
    assert gbm.calibration_model_ends(20, 5, 2) == [15, 17]
    with pytest.raises(ValueError, match="calibration_models"):
        gbm.calibration_model_ends(55, 16, 0)


def test_calibration_last_end_moves_the_last_model_into_the_span():
    # 0.75 of 16 weeks: the second model trains on the span's first 12 weeks and forecasts its last quarter.
    assert gbm.calibration_model_ends(55, 16, 2, 0.75) == [39, 51]
    assert gbm.calibration_model_ends(55, 16, 3, 0.75) == [39, 45, 51]
    assert gbm.calibration_model_ends(55, 16, 2, 0.0) == gbm.calibration_model_ends(55, 16, 2)
    # One model: the span's start, whatever the share.
    assert gbm.calibration_model_ends(55, 16, 1, 0.75) == [39]
    with pytest.raises(ValueError, match="calibration_last_end"):
        gbm.calibration_model_ends(55, 16, 2, 1.0)


def test_two_calibration_models_move_the_intervals_not_the_point_forecast(real_panel):
    """The second half of the calibration span is forecast by a model trained half a span later; with refit
    the served point forecast is the same, only the residuals (so the quantiles) change."""
    panel = real_panel.truncate(real_panel.n_periods - 15, 14)
    levels = np.array([0.1, 0.5, 0.9])

    def forecast(span=28, **over):
        model = _fit(panel, calibration_span=span, **over)
        return model.predict(panel, 14, levels, 0, np.random.default_rng(0))

    one, two = forecast(refit=True), forecast(refit=True, calibration_models=2)
    np.testing.assert_array_equal(one.mean, two.mean)
    assert not np.array_equal(one.quantiles, two.quantiles)
    # Without refit the model left serving is the last calibration model: trained 14 days before the end,
    # as the single model of a 14-day span is.
    later, last = forecast(refit=False, calibration_models=2), forecast(14, refit=False)
    np.testing.assert_array_equal(later.mean, last.mean)


def test_last_end_and_last_weight_move_the_intervals_not_the_point_forecast(real_panel):
    """Both switches only change which residuals the calibrator sees (and how often): with refit the served
    point forecast is the defaults'; weight 1 is M2 exactly, and a weight with one model changes nothing."""
    panel = real_panel.truncate(real_panel.n_periods - 15, 14)
    levels = np.array([0.1, 0.5, 0.9])

    def forecast(**over):
        model = _fit(panel, calibration_span=28, refit=True, **over)
        return model.predict(panel, 14, levels, 0, np.random.default_rng(0))

    one, two = forecast(), forecast(calibration_models=2)
    late = forecast(calibration_models=2, calibration_last_end=0.75)
    heavy = forecast(calibration_models=2, calibration_last_weight=3)
    for other in (late, heavy):
        np.testing.assert_array_equal(one.mean, other.mean)
        assert not np.array_equal(two.quantiles, other.quantiles)
        assert not np.array_equal(one.quantiles, other.quantiles)
    once = forecast(calibration_models=2, calibration_last_weight=1)
    np.testing.assert_array_equal(once.quantiles, two.quantiles)
    np.testing.assert_array_equal(forecast(calibration_last_weight=3).quantiles, one.quantiles)
