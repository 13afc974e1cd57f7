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

from model.panel import Panel, season_length

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
        out = ["step"]
        if self.calendar:
            out += ["dow", "doy", "month"] if self.freq == "D" else ["woy"]
        out += ["log_scale", "zero_share", "cv"]
        out += [f"lag_{k}" for k in self.lags]
        out += [f"mean_{w}" for w in self.windows]
        out += [f"target_lag_{k}" for k in self.season_lags]
        out += ["same_season_mean", "year_ago_level", "year_ago_target", "yoy_candidate", "yoy2_candidate"]
        if self.promo:
            out += ["promo_t", "promo_prev", "promo_next", "promo_run", "promo_days_week", "promo_share"]
            out += ["promo_level", "base_level", "promo_candidate", "promo_level_recent", "base_level_recent"]
            out += ["days_since_promo", "promo_left", "promo_lags", "last_episode_level", "season_index_base"]
        if self.price:
            out += ["rel_price"]
        return out


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


def _cum(x: np.ndarray) -> np.ndarray:
    out = np.zeros((x.shape[0], x.shape[1] + 1))
    np.cumsum(x, axis=1, out=out[:, 1:])
    return out


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
        c=_cum(z),
        ca=_cum(np.abs(z)),
        cq=_cum(z * z),
        cn=_cum(ok.astype(float)),
        cz=_cum((ok & (z == 0)).astype(float)),
        d=dpad,
        promo=promo,
        run=run,
        run_fwd=run_fwd,
        last_promo=last_promo,
        cp=_cum(p0),
        cpd=_cum(z * pz),
        cpn=_cum(ok * pz),
        price=price,
        cpr=_cum(np.nan_to_num(price, nan=0.0)),
        cprn=_cum(np.isfinite(price).astype(float)),
        has_promo=bool(np.isfinite(promo).any()),
        has_price=bool(np.isfinite(price).any()),
    )


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """a[:, idx] with out-of-range indices giving NaN; idx has any shape."""
    ok = (idx >= 0) & (idx < a.shape[1])
    out = a[:, np.clip(idx, 0, a.shape[1] - 1)]
    return np.where(ok[None], out, np.nan)


def _window(cs: np.ndarray, cnt: np.ndarray, stop: np.ndarray, length: int) -> np.ndarray:
    """Mean over columns [stop - length, stop) from cumulative sums; NaN when nothing was observed."""
    stop = np.clip(stop, 0, cs.shape[1] - 1)
    start = np.clip(stop - length, 0, None)
    total = cs[:, stop] - cs[:, start]
    n = cnt[:, stop] - cnt[:, start]
    with np.errstate(all="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1e-12), np.nan)


def _trimmed_level(d: np.ndarray, stop: np.ndarray, length: int) -> np.ndarray:
    """Interquartile mean of |demand| over columns [stop - length, stop) per origin, (N, K): a level that one
    spike (a holiday week) does not move."""
    idx = stop[:, None] - length + np.arange(length)[None, :]  # (K, L)
    values = np.abs(_take(d, idx))  # (N, K, L), NaN where unobserved
    values = np.sort(values, axis=-1)  # NaN last
    n = np.isfinite(values).sum(axis=-1)
    lo = n // 4
    hi = n - lo
    csum = np.concatenate([np.zeros(values.shape[:-1] + (1,)), np.cumsum(np.nan_to_num(values), axis=-1)], -1)
    total = (
        np.take_along_axis(csum, hi[..., None], -1)[..., 0]
        - np.take_along_axis(csum, lo[..., None], -1)[..., 0]
    )
    with np.errstate(all="ignore"):
        return np.where(hi > lo, total / (hi - lo), np.nan)


def _last_episode(ar: Arrays, o: np.ndarray) -> np.ndarray:
    """Mean demand over the latest promo run that started at or before each origin, (N, K)."""
    last = ar.last_promo[:, o]  # (N, K), -1e9 when there was no promo
    has = last >= 0
    end = np.where(has, last, 0).astype(np.int64)
    length = np.take_along_axis(ar.run, end, axis=1)
    stop = np.minimum(end + 1, o[None, :] + 1)
    start = np.maximum(end + 1 - length.astype(np.int64), 0)
    total = np.take_along_axis(ar.cpd, stop, axis=1) - np.take_along_axis(ar.cpd, start, axis=1)
    count = np.take_along_axis(ar.cpn, stop, axis=1) - np.take_along_axis(ar.cpn, start, axis=1)
    with np.errstate(all="ignore"):
        return np.where(has & (count > 0), total / np.maximum(count, 1), np.nan)


def _nanmean0(x: np.ndarray) -> np.ndarray:
    """nanmean over axis 0 without the all-NaN warning (all-NaN gives NaN)."""
    n = np.isfinite(x).sum(axis=0)
    total = np.nansum(x, axis=0)
    with np.errstate(all="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def build_features(
    ar: Arrays, cfg: FeatureConfig, origins: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, K, H, F) as float32 and the scale (N, K) for origins (K,) and steps 1..horizon."""
    o = np.asarray(origins, dtype=np.int64)
    h = np.arange(1, horizon + 1)
    t = o[:, None] + h[None, :]  # (K, H)
    stop = o + 1
    oo = np.broadcast_to(o[:, None], t.shape)
    m = season_length(cfg.freq)
    year = cfg.year

    robust = cfg.extra.get("robust_scale")
    if robust:
        scale = _trimmed_level(ar.d, stop, int(robust))
    else:
        scale = _window(ar.ca, ar.cn, stop, cfg.level_window)
    longer = _window(ar.ca, ar.cn, stop, year)
    # A quiet spell must not shrink the scale to ~0 (ratios would explode): floor it at a share of the year's.
    scale = np.fmax(scale, cfg.scale_floor * longer)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)  # (N, K)
    s3 = scale[:, :, None]

    def hist(idx: np.ndarray) -> np.ndarray:
        """Demand at columns idx (K, H), NaN past the origin: no look-ahead."""
        return np.where((idx <= oo)[None], _take(ar.d, idx), np.nan)

    def per_origin(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x[:, :, None], (x.shape[0], x.shape[1], horizon))

    cols: list[np.ndarray] = [np.broadcast_to(h[None, None, :].astype(float), s3.shape[:2] + (horizon,))]
    if cfg.calendar:
        day = np.nan_to_num(_take(ar.day.astype(float), t))  # past the padded grid: masked rows only
        dates = day.astype(np.int64).astype("datetime64[D]")
        if cfg.annual_calendar:
            doy = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
            month = dates.astype("datetime64[M]").astype(np.int64) % 12
        else:  # fewer than a year of targets: a tree would stretch the last season it saw over the rest
            doy = month = np.full(t.shape, np.nan)
        if cfg.freq == "D":
            cols += [(day.astype(np.int64) + 3) % 7, doy, month]
        else:
            cols += [doy // 7]
    zero_share = _window(ar.cz, ar.cn, stop, cfg.level_window)
    mean_w = _window(ar.c, ar.cn, stop, cfg.level_window)
    sq_w = _window(ar.cq, ar.cn, stop, cfg.level_window)
    with np.errstate(all="ignore"):
        cv = np.sqrt(np.maximum(sq_w - mean_w**2, 0.0)) / scale
    cols += [per_origin(np.log1p(scale)), per_origin(zero_share), per_origin(cv)]
    cols += [per_origin(_take(ar.d, o - (k - 1)) / scale) for k in cfg.lags]
    cols += [per_origin(_window(ar.c, ar.cn, stop, w) / scale) for w in cfg.windows]
    cols += [hist(t - k) / s3 for k in cfg.season_lags]

    # Same position in the season: the last 4 observed values at t - m*k (k >= ceil(h / m)).
    kmin = -(-h // m)
    same = np.stack([hist(t - m * (kmin + j)[None, :]) for j in range(4)], axis=0)
    same_mean = _nanmean0(same)
    cols.append(same_mean / s3)
    lvl_year = _window(ar.ca, ar.cn, stop - year, cfg.level_window)  # level a year before the origin
    lvl_year2 = _window(ar.ca, ar.cn, stop - 2 * year, cfg.level_window)
    span = 3 if cfg.freq == "D" else 1
    ya = np.stack([hist(t - year + j) for j in range(-span, span + 1)], axis=0)
    ya2 = hist(t - 2 * year)
    ya_mean = _nanmean0(ya)
    with np.errstate(all="ignore"):
        cols += [
            per_origin(lvl_year / scale),
            ya_mean / s3,
            ya_mean / lvl_year[:, :, None],
            ya2 / lvl_year2[:, :, None],
        ]
    if cfg.promo:
        known = (t <= oo + horizon)[None]
        p_t = _take(ar.promo, t)
        p_next = np.where(known & (t + 1 <= oo + horizon)[None], _take(ar.promo, t + 1), np.nan)
        run = np.minimum(_take(ar.run, t), 28.0)
        week = _take(ar.cp, t + 1) - _take(ar.cp, t + 1 - min(7, m))
        share = _window(ar.cp, np.cumsum(np.ones_like(ar.cp), axis=1) - 1, stop, cfg.level_window)
        pw = cfg.promo_window
        promo_level = _window(ar.cpd, ar.cpn, stop, pw) / scale
        base = (ar.c - ar.cpd, ar.cn - ar.cpn)
        base_level = _window(base[0], base[1], stop, pw) / scale
        cand = np.where(p_t > 0, promo_level[:, :, None], base_level[:, :, None])
        recent = cfg.level_window
        promo_recent = _window(ar.cpd, ar.cpn, stop, recent) / scale
        base_recent = _window(base[0], base[1], stop, recent) / scale
        since = np.minimum(o[None, :] - ar.last_promo[:, o], 90.0)
        # Only the known part of the current promo run counts: nothing past origin + horizon is read.
        left = np.minimum(_take(ar.run_fwd, t), (oo + horizon - t + 1)[None])
        lags = _take(ar.cp, stop[:, None] + 0 * t) - _take(ar.cp, stop[:, None] - 7 + 0 * t)
        episode = _last_episode(ar, o) / scale
        # The series' own within-season profile on non-promo periods (promo days would drown it).
        back = np.stack([hist(t - m * (kmin + j)[None, :]) for j in range(16)], axis=0)
        back_promo = np.stack([_take(ar.promo, t - m * (kmin + j)[None, :]) for j in range(16)], axis=0)
        profile = _nanmean0(np.where(back_promo > 0, np.nan, back))
        with np.errstate(all="ignore"):
            season_index = profile / (base_recent[:, :, None] * scale[:, :, None])
        if not ar.has_promo:
            p_t = p_next = run = week = cand = left = lags = season_index = np.full(p_t.shape, np.nan)
            share = promo_level = base_level = promo_recent = base_recent = since = episode = np.full(
                scale.shape, np.nan
            )
        cols += [p_t, _take(ar.promo, t - 1), p_next, run, week, per_origin(share)]
        cols += [per_origin(promo_level), per_origin(base_level), cand, per_origin(promo_recent)]
        cols += [per_origin(base_recent), per_origin(since), left, lags, per_origin(episode), season_index]
    if cfg.price:
        ref = _window(ar.cpr, ar.cprn, stop, cfg.level_window)
        p = _take(ar.price, t)
        with np.errstate(all="ignore"):
            cols.append(p / ref[:, :, None] if ar.has_price else np.full(p.shape, np.nan))
    n, k = scale.shape
    x = np.empty((n, k, horizon, len(cols)), dtype=np.float32)
    for i, col in enumerate(cols):
        x[..., i] = np.broadcast_to(col, (n, k, horizon))
    x[np.isinf(x)] = np.nan  # a ratio over a zero level is undefined, not infinite
    return x, scale
