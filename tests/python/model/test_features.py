"""Feature names, look-ahead (nothing past the cut-off is read) and invariances of data loading."""

from __future__ import annotations

import dataclasses

import numpy as np

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
