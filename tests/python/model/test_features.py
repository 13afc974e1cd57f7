"""Feature names, look-ahead (nothing past the cut-off is read) and invariances of data loading."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model.data import to_panel
from model.features import FeatureConfig, arrays_of, build_features


def _panel(long_df):
    df = long_df.rename(columns={"units_sold": "units"}).assign(
        stockout=0.0, closed=0.0, unit_price=np.nan, on_hand=np.nan
    )
    df["promo"] = df["promo"].astype(float)
    return to_panel(df, "D")


def test_feature_names_are_deterministic_and_match_columns(long_df):
    cfg = FeatureConfig.default("D", 7)
    names = cfg.names()
    assert names == FeatureConfig.default("D", 7).names() and len(set(names)) == len(names)
    assert names[:4] == ["step", "dow", "doy", "month"] and "lag_1" in names and "promo_t" in names
    x, scale = build_features(arrays_of(_panel(long_df)), cfg, np.array([100, 200]), 7)
    assert x.shape == (12, 2, 7, len(names)) and scale.shape == (12, 2)
    assert FeatureConfig.default("W", 13).names()[1] == "woy"


def test_no_feature_reads_past_the_cutoff(long_df):
    """Changing demand after the origin, or covariates after origin + horizon, changes no feature."""
    panel = _panel(long_df)
    cfg = FeatureConfig.default("D", 14)
    origin = 300
    base, _ = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    panel.y[:, origin + 1 :] = 999.0
    panel.stockout[:, origin + 1 :] = True
    panel.promo[:, origin + 15 :] = 1.0 - np.nan_to_num(panel.promo[:, origin + 15 :])
    panel.price[:, origin + 15 :] = 5.0
    changed, _ = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    np.testing.assert_array_equal(np.nan_to_num(base, nan=-7), np.nan_to_num(changed, nan=-7))


def test_known_ahead_promo_is_read_within_the_horizon(long_df):
    panel = _panel(long_df)
    cfg = FeatureConfig.default("D", 14)
    col = cfg.names().index("promo_t")
    before, _ = build_features(arrays_of(panel), cfg, np.array([300]), 14)
    panel.promo[:, 301:315] = 1.0
    after, _ = build_features(arrays_of(panel), cfg, np.array([300]), 14)
    assert (after[..., col] == 1.0).all() and not (before[..., col] == 1.0).all()


def test_shuffled_rows_give_the_same_panel(long_df):
    ordered = _panel(long_df)
    shuffled = _panel(long_df.sample(frac=1.0, random_state=3))
    assert ordered.ids == shuffled.ids
    np.testing.assert_array_equal(np.nan_to_num(ordered.y, nan=-1), np.nan_to_num(shuffled.y, nan=-1))
    x1, _ = build_features(arrays_of(ordered), FeatureConfig.default("D", 7), np.array([200]), 7)
    x2, _ = build_features(arrays_of(shuffled), FeatureConfig.default("D", 7), np.array([200]), 7)
    np.testing.assert_array_equal(np.nan_to_num(x1, nan=-1), np.nan_to_num(x2, nan=-1))


def test_stockouts_are_missing_not_zero_in_features(long_df):
    panel = _panel(long_df)
    cfg = FeatureConfig.default("D", 7)
    col = cfg.names().index("lag_1")
    panel.y[:, 250] = 0.0
    panel.stockout[:, 250] = True
    x, _ = build_features(arrays_of(panel), cfg, np.array([250]), 7)
    assert np.isnan(x[..., col]).all()


# The daily default's columns, in order, as trained models record them (feature_names in metrics.json): a
# saved model reads its inputs by position, so this order is part of the artifact contract.
DAILY_NAMES = (
    "step dow doy month log_scale zero_share cv lag_1 lag_2 lag_3 lag_4 lag_5 lag_6 lag_7 mean_7 mean_14 "
    "mean_28 mean_56 target_lag_7 target_lag_14 target_lag_21 target_lag_28 same_season_mean year_ago_level "
    "year_ago_target yoy_candidate yoy2_candidate promo_t promo_prev promo_next promo_run promo_days_week "
    "promo_share promo_level base_level promo_candidate promo_level_recent base_level_recent "
    "days_since_promo promo_left promo_lags last_episode_level season_index_base rel_price"
).split()


def test_feature_order_is_the_one_saved_models_were_trained_on():
    assert FeatureConfig.default("D", 7).names() == DAILY_NAMES
    weekly = FeatureConfig.default("W", 13).names()
    assert weekly[:5] == ["step", "woy", "log_scale", "zero_share", "cv"]
    assert weekly[5:12] == ["lag_1", "lag_2", "lag_3", "lag_4", "mean_4", "mean_13", "mean_26"]
    assert weekly[12:] == ["target_lag_52", "target_lag_104", *DAILY_NAMES[22:]]


def test_each_name_travels_with_its_column(long_df):
    """Switching feature groups off drops exactly their names, and every remaining name keeps its values."""
    ar = arrays_of(_panel(long_df))
    full_cfg = FeatureConfig.default("D", 7)
    full, _ = build_features(ar, full_cfg, np.array([250, 300]), 7)
    by_name = dict(zip(full_cfg.names(), np.moveaxis(full, -1, 0), strict=True))
    for off in ({"promo": False}, {"price": False}, {"calendar": False}, {"promo": False, "price": False}):
        cfg = dataclasses.replace(full_cfg, **off)
        x, _ = build_features(ar, cfg, np.array([250, 300]), 7)
        names = cfg.names()
        assert x.shape[-1] == len(names) and set(names) < set(by_name)
        for i, name in enumerate(names):
            np.testing.assert_array_equal(x[..., i], by_name[name], err_msg=name)


def _runs_panel(long_df):
    """One series whose promotions are known: a 3-period run at 200..202, a 12-period run at 230..241, and a
    4-period run at 290..293 that the origin 291 cuts."""
    panel = _panel(long_df)
    panel.promo[:] = 0.0
    panel.y[0, :] = 2.0
    panel.stockout[0, :] = False
    panel.promo[0, 200:203] = 1.0
    panel.promo[0, 230:242] = 1.0
    panel.y[0, 230:242] = 40.0
    panel.promo[0, 290:294] = 1.0
    return panel


def test_promo_length_switch_reads_the_run_lengths(long_df):
    """``promo_length``: the target's known run length (cut at origin + horizon), that length over the
    promo periods per run of the window, and the length of the latest run up to the origin."""
    panel = _runs_panel(long_df)
    cfg = dataclasses.replace(FeatureConfig.default("D", 14), extra={"promo_length": True})
    names = cfg.names()
    assert names[: len(DAILY_NAMES) - 1] == DAILY_NAMES[:-1]  # the switch only adds columns
    origin = 291
    panel.promo[0, 300:320] = 1.0  # a 20-period run from step 9; the horizon (14) knows its first 6 periods
    x, _ = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    length, rel, last = (
        x[0, 0, :, names.index(n)] for n in ("promo_episode_len", "promo_len_rel", "last_episode_len")
    )
    # steps 1..2: the last two periods of the 290..293 run; 3..8 off promo; 9..14 the known part of 300..
    np.testing.assert_array_equal(length, [4, 4, 0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6])
    # up to the origin: 3 + 12 + 2 promo periods in three runs
    np.testing.assert_allclose(rel[[0, 8]], [4 / (17 / 3), 6 / (17 / 3)], rtol=1e-6)
    assert (last == 2).all()  # the 290.. run, as far as the origin has seen it
    only = dataclasses.replace(cfg, extra={"promo_length": "run"})
    assert only.names() == [*DAILY_NAMES[:-1], "promo_episode_len", "rel_price"]
    x_only, _ = build_features(arrays_of(panel), only, np.array([origin]), 14)
    np.testing.assert_array_equal(x_only[0, 0, :, only.names().index("promo_episode_len")], length)


def test_promo_length_ongoing_reads_only_runs_the_origin_is_inside(long_df):
    """``promo_length`` "ongoing": the known run length where the target's run started at or before the
    origin (and goes on past it); 0 for a run that starts after the origin, as off promo."""
    panel = _runs_panel(long_df)
    cfg = dataclasses.replace(FeatureConfig.default("D", 14), extra={"promo_length": "ongoing"})
    assert cfg.names() == [*DAILY_NAMES[:-1], "promo_episode_len", "rel_price"]
    origin = 291  # inside the 290..293 run
    panel.promo[0, 300:320] = 1.0  # a run that starts at step 9
    x, _ = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    length = x[0, 0, :, cfg.names().index("promo_episode_len")]
    np.testing.assert_array_equal(length, [4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    # At origin 289, the day before the run, the same run starts after the origin: 0 throughout.
    x, _ = build_features(arrays_of(panel), cfg, np.array([289]), 14)
    assert (x[0, 0, :, cfg.names().index("promo_episode_len")] == 0).all()
    # The run known to go on: promo at 292..299 joins the 290.. run to the one at 300 (30 periods, the
    # known part up to origin + horizon = 305).
    panel.promo[0, 290:320] = 1.0
    x, _ = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    assert (x[0, 0, :, cfg.names().index("promo_episode_len")] == 305 - 290 + 1).all()


def test_promo_by_length_switch_separates_short_and_long_runs(long_df):
    """``promo_by_length`` L: promo levels over runs of at most L periods and over longer ones, and the
    target's candidate from the level of its own kind of run (off promo: the base level)."""
    panel = _runs_panel(long_df)
    cfg = dataclasses.replace(FeatureConfig.default("D", 14), extra={"promo_by_length": 9})
    names = cfg.names()
    origin = 280
    panel.promo[0, 284:296] = 1.0  # a 12-period run from step 4 (11 periods known): a long one
    x, scale = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    short, long_, cand = (
        x[0, 0, :, names.index(n)] for n in ("promo_level_short", "promo_level_long", "promo_candidate_len")
    )
    s = scale[0, 0]
    np.testing.assert_allclose(short * s, 2.0, rtol=1e-5)  # the 3-period run at 200
    np.testing.assert_allclose(long_ * s, 40.0, rtol=1e-5)  # the 12-period event at 230
    promo_now = panel.promo[0, origin + 1 : origin + 15] > 0
    np.testing.assert_allclose(cand[promo_now] * s, 40.0, rtol=1e-5)
    base = x[0, 0, :, names.index("base_level")]
    np.testing.assert_array_equal(cand[~promo_now], base[~promo_now])
    # The same run cut to 5 periods is a short one.
    panel.promo[0, 289:] = 0.0
    x, _ = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    cand = x[0, 0, :, names.index("promo_candidate_len")]
    np.testing.assert_allclose(cand[3:8] * s, 2.0, rtol=1e-5)


def test_promo_length_switches_read_nothing_past_the_cutoff(long_df):
    panel = _panel(long_df)
    cfg = dataclasses.replace(
        FeatureConfig.default("D", 14), extra={"promo_length": True, "promo_by_length": 9}
    )
    ongoing = dataclasses.replace(cfg, extra={"promo_length": "ongoing"})
    origin = 300
    base = [build_features(arrays_of(panel), c, np.array([origin]), 14)[0] for c in (cfg, ongoing)]
    panel.y[:, origin + 1 :] = 999.0
    panel.promo[:, origin + 15 :] = 1.0
    changed = [build_features(arrays_of(panel), c, np.array([origin]), 14)[0] for c in (cfg, ongoing)]
    for b, c in zip(base, changed, strict=True):
        np.testing.assert_array_equal(np.nan_to_num(b, nan=-7), np.nan_to_num(c, nan=-7))
    with pytest.raises(ValueError, match="promo_by_length must be 1..horizon"):
        build_features(
            arrays_of(panel), dataclasses.replace(cfg, extra={"promo_by_length": 15}), np.array([origin]), 14
        )


def test_scale_short_runs_leaves_the_long_runs_days_out(long_df):
    """``scale_short_runs``: the scale is the mean |demand| of the level window without the periods of runs
    longer than ``promo_by_length``; ``promo_by_length_window`` sets the span of the short and long levels."""
    panel = _runs_panel(long_df)
    origin = 280  # the level window (112) holds the 3-period run at 200 and the 12-period event at 230
    cfg = dataclasses.replace(FeatureConfig.default("D", 14), extra={"promo_by_length": 9})
    _, plain = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    np.testing.assert_allclose(plain[0, 0], (100 * 2.0 + 12 * 40.0) / 112)
    cfg = dataclasses.replace(cfg, extra={"promo_by_length": 9, "scale_short_runs": True})
    _, scale = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    np.testing.assert_allclose(scale[0, 0], 2.0)
    np.testing.assert_array_equal(scale[1:], plain[1:])  # no long runs in the other series
    with pytest.raises(ValueError, match="scale_short_runs needs promo_by_length"):
        build_features(
            arrays_of(panel),
            dataclasses.replace(cfg, extra={"scale_short_runs": True}),
            np.array([origin]),
            14,
        )
    # Levels over the last 60 periods only: the event (230..241) is in, the short run at 200 is not.
    cfg = dataclasses.replace(
        FeatureConfig.default("D", 14), extra={"promo_by_length": 9, "promo_by_length_window": 60}
    )
    x, _ = build_features(arrays_of(panel), cfg, np.array([origin]), 14)
    names = cfg.names()
    assert np.isnan(x[0, 0, 0, names.index("promo_level_short")])
    np.testing.assert_allclose(x[0, 0, 0, names.index("promo_level_long")] * plain[0, 0], 40.0, rtol=1e-5)


def test_year_ago_switch_drops_only_the_named_year_ago_columns(long_df):
    """``year_ago`` "shape": the two columns that carry last year's level over this year's scale go, the
    two shapes stay; "none": all four go. Every other column keeps its order and its values."""
    ar = arrays_of(_panel(long_df))
    origins = np.array([380, 400])  # a year of history behind every target: the year-ago columns are defined
    base_cfg = FeatureConfig.default("D", 14)
    base, _ = build_features(ar, base_cfg, origins, 14)
    by_name = dict(zip(base_cfg.names(), np.moveaxis(base, -1, 0), strict=True))
    assert np.isfinite(by_name["year_ago_target"]).all() and np.isfinite(by_name["yoy_candidate"]).all()
    level = ["year_ago_level", "year_ago_target"]
    for switch, dropped in (("shape", level), ("none", [*level, "yoy_candidate", "yoy2_candidate"])):
        cfg = dataclasses.replace(base_cfg, extra={"year_ago": switch})
        assert cfg.names() == [n for n in DAILY_NAMES if n not in dropped]
        x, _ = build_features(ar, cfg, origins, 14)
        for i, name in enumerate(cfg.names()):
            kept = np.nan_to_num(by_name[name], nan=-7)
            np.testing.assert_array_equal(np.nan_to_num(x[..., i], nan=-7), kept)
    with pytest.raises(ValueError, match="year_ago must be"):
        dataclasses.replace(base_cfg, extra={"year_ago": "level"}).names()


def test_calendar_month_switch_leaves_only_day_of_year_missing(long_df):
    """``calendar_grain`` "month": day of year reads as missing, the month column and every other column keep
    their names, order and values (a coarser annual calendar, not a smaller model); a bad value fails at
    names(). The key is no FeatureConfig field, so ``--feature`` sends it to ``extra``."""
    assert "calendar_grain" not in FeatureConfig.__dataclass_fields__
    ar = arrays_of(_panel(long_df))
    origins = np.array([380, 400])
    base_cfg = FeatureConfig.default("D", 14)
    base, _ = build_features(ar, base_cfg, origins, 14)
    cfg = dataclasses.replace(base_cfg, extra={"calendar_grain": "month"})
    assert cfg.names() == base_cfg.names() == DAILY_NAMES
    x, _ = build_features(ar, cfg, origins, 14)
    doy = DAILY_NAMES.index("doy")
    assert np.isfinite(base[..., doy]).all() and np.isnan(x[..., doy]).all()
    month = DAILY_NAMES.index("month")
    assert len(np.unique(base[..., month])) > 1  # the targets span more than one month: the check can fail
    for i, name in enumerate(DAILY_NAMES):
        if name != "doy":
            kept = np.nan_to_num(base[..., i], nan=-7)
            np.testing.assert_array_equal(np.nan_to_num(x[..., i], nan=-7), kept)
    with pytest.raises(ValueError, match="calendar_grain must be"):
        dataclasses.replace(base_cfg, extra={"calendar_grain": "week"}).names()
