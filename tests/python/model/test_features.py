"""Feature names, look-ahead (nothing past the cut-off is read) and invariances of data loading."""

from __future__ import annotations

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
