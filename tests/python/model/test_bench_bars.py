"""The accuracy benchmark's bars (bench/accuracy/results.py) on hand-made numbers, and its development cut."""

from __future__ import annotations

import pytest

from bench.accuracy.results import bars, leads
from bench.accuracy.run import _feature_config, _overrides, development, year_ago

REFERENCE = {
    "methods": {
        "SNaive": {"rmsse": 1.0, "wape": 0.60, "bias": 0.0, "mase": 1.0},
        "LGBM": {"rmsse": 0.80, "wape": 0.45, "bias": 0.0, "mase": 0.8},
        "LGBM-q50": {"rmsse": 0.82, "wape": 0.40, "bias": -0.1, "mase": 0.8},
    }
}


def _result(rmsse, wape, bias=0.0, cov=0.8):
    return {"metrics": {"model": {"rmsse": rmsse, "wape": wape, "bias": bias, "coverage_80": cov}}}


def test_bars_compare_with_the_reference_best_method_per_metric():
    b = bars(_result(0.76, 0.41, bias=-0.06, cov=0.78), REFERENCE)
    assert b["rmsse"]["pass"] and b["rmsse"]["want"] == "<= 0.8000 (reference LGBM)"
    assert b["rmsse"]["lead"] == pytest.approx(0.05)
    assert not b["wape"]["pass"] and b["wape"]["want"] == "<= 0.4000 (reference LGBM-q50)"
    assert not b["bias"]["pass"] and b["coverage_80"]["pass"]
    assert not bars(_result(0.7, 0.3, cov=0.84), REFERENCE)["coverage_80"]["pass"]


def test_a_lead_needs_five_percent_on_two_sets():
    ahead = bars(_result(0.70, 0.45), REFERENCE)  # 12.5% below on RMSSE
    level = bars(_result(0.79, 0.39), REFERENCE)  # 1.3% and 2.5% below
    assert leads({"a": ahead, "b": level}) == {
        "want": ">= 5% lower on RMSSE or WAPE on 2 sets",
        "sets": ["a"],
        "pass": False,
    }
    assert leads({"a": ahead, "b": ahead})["pass"]


def test_development_windows_end_where_the_evaluation_windows_begin(seeded_panel):
    panel = seeded_panel(3, 60)
    dev = development(panel, 8, 3)
    assert dev.n_periods == 60 - 24 and str(dev.end[0]) == "2018-09-03"  # the first evaluation origin


def test_overrides_apply_to_every_set_or_one_frequency():
    hp = {"refit": "true", "W:loss": "absolute_error", "D:max_iter": "50"}
    assert _overrides(hp, "W") == {"refit": "true", "loss": "absolute_error"}
    assert _overrides(hp, "D") == {"refit": "true", "max_iter": "50"}
    config = _feature_config("W", 8, {"level_window": 13, "lags": [1, 2], "robust_scale": 13})
    assert config.level_window == 13 and config.lags == (1, 2) and config.extra == {"robust_scale": 13}


@pytest.mark.parametrize(
    ("key", "value"), [("calendar", "month"), ("annual_calendar", 1), ("level_window", "13"), ("lags", 3)]
)
def test_a_feature_override_of_the_wrong_type_for_its_field_is_refused(key, value):
    with pytest.raises(ValueError, match=f"feature {key}: FeatureConfig.{key} is a"):
        _feature_config("D", 28, {key: value})


def test_a_feature_override_of_the_field_s_type_is_applied():
    config = _feature_config("D", 28, {"annual_calendar": False, "scale_floor": 1, "calendar_grain": "month"})
    assert config.annual_calendar is False and config.scale_floor == 1
    assert config.extra["calendar_grain"] == "month"


def test_year_ago_windows_are_the_evaluation_windows_a_year_earlier(seeded_panel):
    panel = seeded_panel(3, 120, freq="W")
    cut = year_ago(panel, 8, 3)
    assert cut.n_periods == 120 - 52
    assert (panel.end[0] - cut.end[0]).astype(int) == 364  # the same weekday, a year before the last
    with pytest.raises(ValueError, match="need more history"):
        year_ago(panel, 20, 4)  # 4 windows of 20 weeks do not fit in the 68 weeks left
