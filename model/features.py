"""Features of the global model, computed for many (series, origin, step) at once with cumulative sums.

Everything is relative to a forecast origin ``o`` (the last history column) and a step ``h`` (target column
``t = o + h``). A feature may read demand only at columns ``<= o`` and known-ahead covariates (promo, price)
only at columns ``<= o + horizon``, exactly what the endpoint contract supplies; tests check that changing
anything beyond that changes nothing. Demand-based features are divided by the series scale ``s`` (mean
absolute demand over the last ``level_window`` periods) so one model serves slow and fast series; the model's
target is ``y_t / s``. Trees cannot multiply, so ratio features carry the seasonal-naive-style candidates
(e.g. last year's value at ``t`` times this year's level over last year's level).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from model.feature_columns import FeatureContext, cumulative, feature_columns
from model.panel import Panel

__all__ = ["FeatureConfig", "Arrays", "arrays_of", "build_features"]


@dataclass(frozen=True)
class FeatureConfig:
    """Which features to build. Names are deterministic: see :meth:`names`."""

    freq: str
    horizon: int
    level_window: int
    lags: tuple[int, ...]
    windows: tuple[int, ...]
    season_lags: tuple[int, ...]
    year: int
    promo_window: int = 182
    scale_floor: float = 0.3
    calendar: bool = True
    #: Day/week of year and month (set per fit when ``annual_needs_year``).
    annual_calendar: bool = True
    #: The model turns the annual calendar off when the history is shorter than a year plus a horizon: a tree
    #: stretches the last week of year it trained on over every later one (bench/accuracy/EXPERIMENTS.md A6).
    annual_needs_year: bool = False
    promo: bool = True
    price: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def default(cls, freq: str, horizon: int) -> FeatureConfig:
        if freq == "D":
            return cls(
                freq,
                horizon,
                112,
                (1, 2, 3, 4, 5, 6, 7),
                (7, 14, 28, 56),
                (7, 14, 21, 28),
                364,
                promo_window=364,
            )
        return cls(
            freq,
            horizon,
            8,
            (1, 2, 3, 4),
            (4, 13, 26),
            (52, 104),
            52,
            promo_window=52,
            annual_needs_year=True,
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def names(self) -> list[str]:
        """The feature columns in order, as :func:`build_features` computes them (one list holds both)."""
        return [name for name, _compute in feature_columns(self)]


@dataclass
class Arrays:
    """Cumulative sums of a panel, built once and shared by every origin."""

    day: np.ndarray  # (N, W) days since epoch of each column
    z: np.ndarray  # demand with NaN -> 0, (N, T)
    c: np.ndarray  # cumsum of demand, (N, T + 1)
    ca: np.ndarray  # cumsum of |demand|
    cq: np.ndarray  # cumsum of demand^2
    cn: np.ndarray  # cumsum of observed
    cz: np.ndarray  # cumsum of observed zeros
    d: np.ndarray  # demand with NaN, padded with NaN to W columns
    promo: np.ndarray  # (N, W) 1/0/NaN
    run: np.ndarray  # consecutive promo periods ending at each column
    run_fwd: np.ndarray  # consecutive promo periods starting at each column
    last_promo: np.ndarray  # column of the latest promo period at or before each column (-1e9 if none)
    cp: np.ndarray  # cumsum of promo (NaN -> 0), (N, W + 1)
    cpd: np.ndarray  # cumsum of demand on promo periods
    cpn: np.ndarray  # cumsum of observed promo periods
    price: np.ndarray
    cpr: np.ndarray  # cumsum of price
    cprn: np.ndarray
    has_promo: bool
    has_price: bool


def arrays_of(panel: Panel) -> Arrays:
    """Precompute the cumulative sums the features read."""
    d = panel.demand()
    n, t = d.shape
    w = panel.promo.shape[1]
    ok = np.isfinite(d)
    z = np.where(ok, d, 0.0)
    end = panel.end.astype("datetime64[D]").astype(np.int64)
    step = 1 if panel.freq == "D" else 7
    day = end[:, None] + (np.arange(w)[None, :] - (t - 1)) * step
    promo = panel.promo.astype(float)
    p0 = np.nan_to_num(promo, nan=0.0)
    run = np.zeros_like(p0)
    for j in range(w):
        run[:, j] = np.where(p0[:, j] > 0, (run[:, j - 1] if j else 0.0) + 1.0, 0.0)
    run_fwd = np.zeros_like(p0)
    for j in range(w - 1, -1, -1):
        run_fwd[:, j] = np.where(p0[:, j] > 0, (run_fwd[:, j + 1] if j < w - 1 else 0.0) + 1.0, 0.0)
    last_promo = np.maximum.accumulate(np.where(p0 > 0, np.arange(w)[None, :], -1e9), axis=1)
    dpad = np.full((n, w), np.nan)
    dpad[:, :t] = d
    pz = p0[:, :t]
    price = panel.price.astype(float)
    return Arrays(
        day=day,
        z=z,
        c=cumulative(z),
        ca=cumulative(np.abs(z)),
        cq=cumulative(z * z),
        cn=cumulative(ok.astype(float)),
        cz=cumulative((ok & (z == 0)).astype(float)),
        d=dpad,
        promo=promo,
        run=run,
        run_fwd=run_fwd,
        last_promo=last_promo,
        cp=cumulative(p0),
        cpd=cumulative(z * pz),
        cpn=cumulative(ok * pz),
        price=price,
        cpr=cumulative(np.nan_to_num(price, nan=0.0)),
        cprn=cumulative(np.isfinite(price).astype(float)),
        has_promo=bool(np.isfinite(promo).any()),
        has_price=bool(np.isfinite(price).any()),
    )


def build_features(
    ar: Arrays, cfg: FeatureConfig, origins: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, K, H, F) as float32, in the order of ``cfg.names()``, and the scale (N, K) for origins
    (K,) and steps 1..horizon."""
    ctx = FeatureContext(ar, cfg, origins, horizon)
    features = feature_columns(cfg)
    n, k = ctx.scale.shape
    x = np.empty((n, k, horizon, len(features)), dtype=np.float32)
    for i, (_name, compute) in enumerate(features):
        x[..., i] = np.broadcast_to(compute(ctx), (n, k, horizon))
    x[np.isinf(x)] = np.nan  # a ratio over a zero level is undefined, not infinite
    return x, ctx.scale
