"""Metric definitions on hand-checked numbers."""

from __future__ import annotations

import numpy as np
import pytest

from model.metrics import MetricAccumulator, pinball, scales, score


def test_scales_by_hand():
    history = np.array([[1.0, 3.0, 2.0, 4.0, 6.0]])
    mase_scale, rmsse_scale = scales(history, season=2)
    # seasonal differences (m=2): 1, 1, 4 -> mean 2; one-step: 2, -1, 2, 2 -> squares 4, 1, 4, 4 -> 3.25
    assert mase_scale[0] == pytest.approx(2.0)
    assert rmsse_scale[0] == pytest.approx(3.25)


def test_scales_skip_unobserved():
    history = np.array([[1.0, np.nan, 2.0, 4.0]])
    _, rmsse_scale = scales(history, season=1)
    assert rmsse_scale[0] == pytest.approx(4.0)  # only 2 -> 4 is a full pair


def test_score_by_hand():
    history = np.array([[1.0, 3.0, 2.0, 4.0, 6.0]])
    actual = np.array([[4.0, 2.0]])
    mean = np.array([[3.0, 4.0]])
    levels = np.array([0.1, 0.5, 0.9])
    q = np.array([[[2.0, 3.0, 5.0], [3.0, 4.0, 6.0]]])
    r = score(actual, mean, history, 2, q, levels)
    # errors: -1, +2 -> MAE 1.5, MSE 2.5
    assert r["mase"] == pytest.approx(1.5 / 2.0)
    assert r["rmsse"] == pytest.approx(np.sqrt(2.5 / 3.25))
    assert r["wape"] == pytest.approx(3.0 / 6.0)
    assert r["bias"] == pytest.approx(1.0 / 6.0)
    assert r["coverage_80"] == pytest.approx(0.5)  # 4 in [2, 5]; 2 not in [3, 6]
    # pinball: point 1 (a=4): .1*2, .5*1, .1*1 -> .2+.5+.1 ; point 2 (a=2): .9*1, .5*2, .1*4 -> .9+1+.4
    expected = (0.8 + 2.3) / 6 / 3.0
    assert r["pinball"] == pytest.approx(expected)


def test_pinball_elementwise():
    assert pinball(np.array(10.0), np.array([8.0, 12.0]), np.array([0.9, 0.9])).tolist() == pytest.approx(
        [1.8, 0.2]
    )


def test_mase_rmsse_average_over_series_and_origins():
    acc = MetricAccumulator()
    ones = np.ones(2)
    acc.add(np.array([[1.0], [1.0]]), np.array([[2.0], [4.0]]), ones, ones)  # scaled errors 1, 3
    acc.add(np.array([[1.0], [1.0]]), np.array([[1.0], [3.0]]), ones, ones)  # 0, 2
    r = acc.result()
    assert r["mase"] == pytest.approx(1.5) and r["rmsse"] == pytest.approx(1.5)
    assert r["wape"] == pytest.approx(6.0 / 4.0)  # pooled, not averaged


def test_unobserved_actuals_and_zero_scales_are_left_out():
    acc = MetricAccumulator()
    acc.add(
        np.array([[np.nan, 2.0], [1.0, 1.0]]),
        np.array([[9.0, 3.0], [2.0, 2.0]]),
        np.array([1.0, 0.0]),
        np.array([1.0, 0.0]),
    )
    r = acc.result()
    assert r["points"] == 3 and r["pairs_scored"] == 1 and r["pairs_unscaled"] == 1
    assert r["mase"] == pytest.approx(1.0)
