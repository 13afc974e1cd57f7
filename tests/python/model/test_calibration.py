"""The residual calibrator: calibrated coverage, monotone non-negative quantiles, correlated sample paths."""

from __future__ import annotations

import numpy as np

from model.calibration import ResidualCalibrator


def _poisson_windows(rng, m=400, h=8):
    mu = rng.uniform(0.3, 20.0, size=(m, 1)) * np.ones((1, h))
    shock = rng.gamma(4.0, 0.25, size=(m, 1))  # a level error shared by all steps of a window
    y = rng.poisson(mu * shock).astype(float)
    return mu, y, np.maximum(mu[:, 0], 1.0)


def test_quantiles_cover_as_promised_out_of_sample():
    rng = np.random.default_rng(0)
    cal = ResidualCalibrator().fit(*_poisson_windows(rng))
    mu, y, scale = _poisson_windows(rng)
    q = cal.quantiles(mu, scale, np.array([0.1, 0.5, 0.9]))
    inside = ((y >= q[..., 0]) & (y <= q[..., 2])).mean()
    assert 0.75 < inside < 0.85
    assert (q >= 0).all() and (np.diff(q, axis=-1) >= 0).all()


def test_paths_keep_the_correlation_across_steps():
    rng = np.random.default_rng(1)
    cal = ResidualCalibrator().fit(*_poisson_windows(rng))
    mu = np.full((1, 8), 10.0)
    paths = cal.paths(mu, np.array([10.0]), 4000, np.random.default_rng(2))[0]
    assert paths.shape == (4000, 8) and (paths >= 0).all()
    corr = np.corrcoef(paths[:, 0], paths[:, 7])[0, 1]
    assert corr > 0.2  # the shared shock survives; independent draws would give ~0
    total = paths.sum(axis=1)
    independent = np.stack([rng.permutation(paths[:, k]) for k in range(8)], axis=1).sum(axis=1)
    assert np.quantile(total, 0.9) - np.quantile(total, 0.1) > np.quantile(independent, 0.9) - np.quantile(
        independent, 0.1
    )


def test_mid_distribution_recalibration_handles_zero_heavy_demand():
    rng = np.random.default_rng(3)
    mu = np.full((3000, 4), 0.4)
    y = rng.poisson(mu).astype(float)  # two thirds zeros
    cal = ResidualCalibrator(n_bins=1, step_groups=1).fit(mu, y, np.ones(3000))
    levels = np.array([0.1, 0.9])
    assert (cal._levels(levels) != levels).any()
    q = cal.quantiles(mu[:1], np.ones(1), np.array([0.1, 0.5, 0.9]))
    assert (q >= 0).all() and (np.diff(q, axis=-1) >= 0).all()
