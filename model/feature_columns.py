"""Each feature of the global model: its name beside its computation (mlforecast's ``_get_name`` idea).

:func:`feature_columns` lists the features a :class:`~model.features.FeatureConfig` asks for, in column order,
each as ``(name, compute)``; ``FeatureConfig.names()`` reads the names and ``build_features`` runs the
computations over one :class:`FeatureContext` (origins, steps, scale and the intermediate arrays several
features share, each computed on first use). A name therefore cannot drift from its column.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from model.panel import season_length

if TYPE_CHECKING:  # model.features imports this module
    from model.features import Arrays, FeatureConfig

__all__ = ["Feature", "FeatureContext", "cumulative", "feature_columns"]


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """a[:, idx] with out-of-range indices giving NaN; idx has any shape."""
    ok = (idx >= 0) & (idx < a.shape[1])
    out = a[:, np.clip(idx, 0, a.shape[1] - 1)]
    return np.where(ok[None], out, np.nan)


def cumulative(x: np.ndarray) -> np.ndarray:
    """Cumulative sums along the columns with a leading zero column, (N, W + 1)."""
    out = np.zeros((x.shape[0], x.shape[1] + 1))
    np.cumsum(x, axis=1, out=out[:, 1:])
    return out


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


class FeatureContext:
    """What the features of one :func:`build_features` call share: the origins and steps, the series scale,
    and intermediate arrays computed on first use (several features read each)."""

    def __init__(self, ar: Arrays, cfg: FeatureConfig, origins: np.ndarray, horizon: int) -> None:
        self.ar = ar
        self.cfg = cfg
        self.horizon = horizon
        self.o = np.asarray(origins, dtype=np.int64)
        self.h = np.arange(1, horizon + 1)
        self.t = self.o[:, None] + self.h[None, :]  # (K, H)
        self.stop = self.o + 1
        self.oo = np.broadcast_to(self.o[:, None], self.t.shape)
        self.m = season_length(cfg.freq)
        self.year = cfg.year
        # Same position in the season: k >= ceil(h / m) seasons back.
        self.kmin = -(-self.h // self.m)

    @cached_property
    def scale(self) -> np.ndarray:
        """(N, K): mean |demand| over the level window, floored at a share of the year's; 1 if undefined."""
        ar, cfg = self.ar, self.cfg
        robust = cfg.extra.get("robust_scale")
        if robust:
            scale = _trimmed_level(ar.d, self.stop, int(robust))
        elif cfg.extra.get("scale_short_runs"):
            # Trial (EXPERIMENTS.md, twelfth session): the days of long promo runs (an event) leave the scale.
            keep = ~self.run_kinds[1] & np.isfinite(ar.d[:, : ar.z.shape[1]])
            scale = _window(
                cumulative(np.abs(ar.z) * keep), cumulative(keep.astype(float)), self.stop, cfg.level_window
            )
        else:
            scale = _window(ar.ca, ar.cn, self.stop, cfg.level_window)
        longer = _window(ar.ca, ar.cn, self.stop, self.year)
        # A quiet spell must not shrink the scale to ~0 (ratios would explode): floor it at a share of the
        # year's.
        scale = np.fmax(scale, cfg.scale_floor * longer)
        return np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)

    @cached_property
    def s3(self) -> np.ndarray:
        return self.scale[:, :, None]

    def hist(self, idx: np.ndarray) -> np.ndarray:
        """Demand at columns idx (K, H), NaN past the origin: no look-ahead."""
        return np.where((idx <= self.oo)[None], _take(self.ar.d, idx), np.nan)

    def per_origin(self, x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x[:, :, None], (x.shape[0], x.shape[1], self.horizon))

    def window(self, cs: np.ndarray, cnt: np.ndarray, length: int, back: int = 0) -> np.ndarray:
        """Mean over the ``length`` columns before the origin's stop, ``back`` columns earlier; (N, K)."""
        return _window(cs, cnt, self.stop - back, length)

    @cached_property
    def day(self) -> np.ndarray:
        return np.nan_to_num(
            _take(self.ar.day.astype(float), self.t)
        )  # past the padded grid: masked rows only

    @cached_property
    def annual(self) -> tuple[np.ndarray, np.ndarray]:
        """Day of year and month of each target; NaN when the annual calendar is off (fewer than a year of
        targets: a tree would stretch the last season it saw over the rest)."""
        if not self.cfg.annual_calendar:
            nan = np.full(self.t.shape, np.nan)
            return nan, nan
        dates = self.day.astype(np.int64).astype("datetime64[D]")
        doy = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
        month = dates.astype("datetime64[M]").astype(np.int64) % 12
        if _calendar_switch(self.cfg.extra.get("calendar_grain")) == "month":
            return np.full(self.t.shape, np.nan), month
        return doy, month

    @cached_property
    def cv(self) -> np.ndarray:
        ar, w = self.ar, self.cfg.level_window
        mean_w, sq_w = self.window(ar.c, ar.cn, w), self.window(ar.cq, ar.cn, w)
        with np.errstate(all="ignore"):
            return np.sqrt(np.maximum(sq_w - mean_w**2, 0.0)) / self.scale

    def seasons_back(self, count: int, read: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``read`` at t - m * (kmin + j) for j < count, stacked on a new first axis."""
        return np.stack([read(self.t - self.m * (self.kmin + j)[None, :]) for j in range(count)], axis=0)

    @cached_property
    def lvl_year(self) -> np.ndarray:
        """The level a year before the origin."""
        return self.window(self.ar.ca, self.ar.cn, self.cfg.level_window, back=self.year)

    @cached_property
    def lvl_year2(self) -> np.ndarray:
        return self.window(self.ar.ca, self.ar.cn, self.cfg.level_window, back=2 * self.year)

    @cached_property
    def ya_mean(self) -> np.ndarray:
        """Mean demand around t a year ago (±3 days for daily data)."""
        span = 3 if self.cfg.freq == "D" else 1
        return _nanmean0(
            np.stack([self.hist(self.t - self.year + j) for j in range(-span, span + 1)], axis=0)
        )

    # Promo features: NaN throughout when the panel holds no promo data at all.
    def promo_only(self, x: np.ndarray, per_origin: bool = False) -> np.ndarray:
        if self.ar.has_promo:
            return x
        return np.full(self.scale.shape if per_origin else self.scale.shape + (self.horizon,), np.nan)

    @cached_property
    def p_t(self) -> np.ndarray:
        return _take(self.ar.promo, self.t)

    @cached_property
    def base(self) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative demand and observed counts on non-promo periods."""
        ar = self.ar
        return ar.c - ar.cpd, ar.cn - ar.cpn

    @cached_property
    def promo_level(self) -> np.ndarray:
        return self.window(self.ar.cpd, self.ar.cpn, self.cfg.promo_window) / self.scale

    @cached_property
    def base_level(self) -> np.ndarray:
        return self.window(*self.base, self.cfg.promo_window) / self.scale

    @cached_property
    def base_recent(self) -> np.ndarray:
        return self.window(*self.base, self.cfg.level_window) / self.scale

    def season_index(self) -> np.ndarray:
        """The series' own within-season profile on non-promo periods (promo days would drown it)."""
        back = self.seasons_back(16, self.hist)
        back_promo = self.seasons_back(16, lambda idx: _take(self.ar.promo, idx))
        profile = _nanmean0(np.where(back_promo > 0, np.nan, back))
        with np.errstate(all="ignore"):
            return profile / (self.base_recent[:, :, None] * self.scale[:, :, None])

    # Promotion length (trial switches ``promo_length`` and ``promo_by_length``,
    # bench/accuracy/EXPERIMENTS.md, twelfth session): on pasta, long promo runs sell several times what short
    # ones do per day (one brand's 10–14-day events at 10–20× its 1–9-day promotions), and a level averaged
    # over both kinds forecasts the short ones after an event far too high.
    @cached_property
    def episode_len(self) -> np.ndarray:
        """(N, K, H): the known length of the target's promo run (the part up to origin + horizon); 0 off
        promo."""
        ar = self.ar
        run = _take(ar.run, self.t)
        ahead = np.minimum(_take(ar.run_fwd, self.t), (self.oo + self.horizon - self.t + 1)[None])
        return np.where(run > 0, run + ahead - 1, 0.0)

    @cached_property
    def ongoing_len(self) -> np.ndarray:
        """(N, K, H): ``episode_len`` for a target whose run started at or before the origin (a run the
        origin is inside, seen and known to go on); 0 for a run that starts after it and off promo."""
        started = _take(self.ar.run, self.t) >= (self.t - self.oo + 1)[None]
        return np.where(started, self.episode_len, 0.0)

    @cached_property
    def starts(self) -> np.ndarray:
        """Cumulative count of promo run starts, (N, W + 1)."""
        return cumulative((self.ar.run == 1).astype(float))

    def typical_len(self) -> np.ndarray:
        """(N, K): promo periods per run start over the promo window up to the origin (NaN without a
        start)."""
        ar, w = self.ar, self.cfg.promo_window
        stop = np.clip(self.stop, 0, ar.cp.shape[1] - 1)
        start = np.clip(stop - w, 0, None)
        days = ar.cp[:, stop] - ar.cp[:, start]
        runs = self.starts[:, stop] - self.starts[:, start]
        with np.errstate(all="ignore"):
            return np.where(runs > 0, days / np.maximum(runs, 1), np.nan)

    def last_episode_len(self) -> np.ndarray:
        """(N, K): the length, up to the origin, of the latest promo run that started at or before it."""
        last = self.ar.last_promo[:, self.o]
        has = last >= 0
        return np.where(
            has, np.take_along_axis(self.ar.run, np.where(has, last, 0).astype(np.int64), 1), np.nan
        )

    @cached_property
    def short_run_max(self) -> int:
        if not self.cfg.extra.get("promo_by_length"):
            raise ValueError("scale_short_runs needs promo_by_length (the longest short run)")
        longest = int(self.cfg.extra["promo_by_length"])  # type: ignore[call-overload]
        if not 1 <= longest <= self.horizon:
            # A past run that reaches past origin + horizon must be classed from what is known: any length
            # over the horizon is long whatever follows.
            raise ValueError(f"promo_by_length must be 1..horizon ({self.horizon}), got {longest}")
        return longest

    @cached_property
    def run_kinds(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, T) masks of the promo periods in runs of at most ``short_run_max`` periods, and in longer
        runs."""
        ar = self.ar
        t = ar.z.shape[1]
        length = (ar.run + ar.run_fwd - 1)[:, :t]
        on = ar.promo[:, :t] > 0
        return on & (length <= self.short_run_max), on & (length > self.short_run_max)

    @cached_property
    def promo_by_length(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, K) mean demand over the promo periods of short runs and of long runs (``run_kinds``), over the
        scale, in the promo window (or ``promo_by_length_window`` periods)."""
        ar = self.ar
        observed = np.isfinite(ar.d[:, : ar.z.shape[1]])
        window = int(self.cfg.extra.get("promo_by_length_window") or self.cfg.promo_window)  # type: ignore[call-overload]
        short, long = (
            self.window(cumulative(ar.z * kind), cumulative((observed & kind).astype(float)), window)
            / self.scale
            for kind in self.run_kinds
        )
        return short, long

    def promo_candidate_by_length(self) -> np.ndarray:
        """The level of the target's kind of run (short or long by its known length; the promo level when the
        window holds none of that kind); the base level off promo."""
        short, long = (x[:, :, None] for x in self.promo_by_length)
        kind = np.where(self.episode_len <= self.short_run_max, short, long)
        promo = np.where(np.isfinite(kind), kind, self.promo_level[:, :, None])
        return np.where(self.p_t > 0, promo, self.base_level[:, :, None])

    def rel_price(self) -> np.ndarray:
        ar = self.ar
        ref = self.window(ar.cpr, ar.cprn, self.cfg.level_window)
        p = _take(ar.price, self.t)
        with np.errstate(all="ignore"):
            return p / ref[:, :, None] if ar.has_price else np.full(p.shape, np.nan)


#: One feature: its name beside its computation (mlforecast's ``_get_name`` idea), so a name cannot drift from
#: its column. Each returns (N, K, H), or anything that broadcasts to it.
Feature = tuple[str, Callable[[FeatureContext], np.ndarray]]


def feature_columns(cfg: FeatureConfig) -> list[Feature]:
    """The features ``cfg`` asks for, in column order."""
    out: list[Feature] = [
        ("step", lambda c: np.broadcast_to(c.h[None, None, :].astype(float), c.s3.shape[:2] + (c.horizon,)))
    ]
    if cfg.calendar:
        _calendar_switch(cfg.extra.get("calendar_grain"))  # a bad value fails at names(), before any fit
        if cfg.freq == "D":
            out += [
                ("dow", lambda c: (c.day.astype(np.int64) + 3) % 7),
                ("doy", lambda c: c.annual[0]),
                ("month", lambda c: c.annual[1]),
            ]
        else:
            out += [("woy", lambda c: c.annual[0] // 7)]
    out += [
        ("log_scale", lambda c: c.per_origin(np.log1p(c.scale))),
        ("zero_share", lambda c: c.per_origin(c.window(c.ar.cz, c.ar.cn, c.cfg.level_window))),
        ("cv", lambda c: c.per_origin(c.cv)),
    ]
    out += [
        (f"lag_{k}", lambda c, k=k: c.per_origin(_take(c.ar.d, c.o - (k - 1)) / c.scale)) for k in cfg.lags
    ]
    out += [
        (f"mean_{w}", lambda c, w=w: c.per_origin(c.window(c.ar.c, c.ar.cn, w) / c.scale))
        for w in cfg.windows
    ]
    out += [(f"target_lag_{k}", lambda c, k=k: c.hist(c.t - k) / c.s3) for k in cfg.season_lags]
    # The last 4 observed values at the same position in the season.
    out += [("same_season_mean", lambda c: _nanmean0(c.seasons_back(4, c.hist)) / c.s3)]
    out += _year_ago_columns(cfg.extra.get("year_ago"))
    if cfg.promo:
        out += [
            ("promo_t", lambda c: c.promo_only(c.p_t)),
            ("promo_prev", lambda c: _take(c.ar.promo, c.t - 1)),
            (
                "promo_next",
                lambda c: c.promo_only(
                    np.where(
                        (c.t <= c.oo + c.horizon)[None] & (c.t + 1 <= c.oo + c.horizon)[None],
                        _take(c.ar.promo, c.t + 1),
                        np.nan,
                    )
                ),
            ),
            ("promo_run", lambda c: c.promo_only(np.minimum(_take(c.ar.run, c.t), 28.0))),
            (
                "promo_days_week",
                lambda c: c.promo_only(_take(c.ar.cp, c.t + 1) - _take(c.ar.cp, c.t + 1 - min(7, c.m))),
            ),
            (
                "promo_share",
                lambda c: c.per_origin(
                    c.promo_only(
                        c.window(c.ar.cp, np.cumsum(np.ones_like(c.ar.cp), axis=1) - 1, c.cfg.level_window),
                        per_origin=True,
                    )
                ),
            ),
            ("promo_level", lambda c: c.per_origin(c.promo_only(c.promo_level, per_origin=True))),
            ("base_level", lambda c: c.per_origin(c.promo_only(c.base_level, per_origin=True))),
            (
                "promo_candidate",
                lambda c: c.promo_only(
                    np.where(c.p_t > 0, c.promo_level[:, :, None], c.base_level[:, :, None])
                ),
            ),
            (
                "promo_level_recent",
                lambda c: c.per_origin(
                    c.promo_only(c.window(c.ar.cpd, c.ar.cpn, c.cfg.level_window) / c.scale, per_origin=True)
                ),
            ),
            ("base_level_recent", lambda c: c.per_origin(c.promo_only(c.base_recent, per_origin=True))),
            (
                "days_since_promo",
                lambda c: c.per_origin(
                    c.promo_only(np.minimum(c.o[None, :] - c.ar.last_promo[:, c.o], 90.0), per_origin=True)
                ),
            ),
            # Only the known part of the current promo run counts: nothing past origin + horizon is read.
            (
                "promo_left",
                lambda c: c.promo_only(
                    np.minimum(_take(c.ar.run_fwd, c.t), (c.oo + c.horizon - c.t + 1)[None])
                ),
            ),
            (
                "promo_lags",
                lambda c: c.promo_only(
                    _take(c.ar.cp, c.stop[:, None] + 0 * c.t) - _take(c.ar.cp, c.stop[:, None] - 7 + 0 * c.t)
                ),
            ),
            (
                "last_episode_level",
                lambda c: c.per_origin(c.promo_only(_last_episode(c.ar, c.o) / c.scale, per_origin=True)),
            ),
            ("season_index_base", lambda c: c.promo_only(c.season_index())),
        ]
        if cfg.extra.get("promo_length") == "ongoing":
            out += [("promo_episode_len", lambda c: c.promo_only(c.ongoing_len))]
        elif cfg.extra.get("promo_length"):
            out += [("promo_episode_len", lambda c: c.promo_only(c.episode_len))]
        if cfg.extra.get("promo_length") and cfg.extra["promo_length"] not in ("run", "ongoing"):
            out += [
                (
                    "promo_len_rel",
                    lambda c: c.promo_only(_ratio(c.episode_len, c.typical_len()[:, :, None])),
                ),
                (
                    "last_episode_len",
                    lambda c: c.per_origin(c.promo_only(c.last_episode_len(), per_origin=True)),
                ),
            ]
        if cfg.extra.get("promo_by_length"):
            out += [
                (
                    "promo_level_short",
                    lambda c: c.per_origin(c.promo_only(c.promo_by_length[0], per_origin=True)),
                ),
                (
                    "promo_level_long",
                    lambda c: c.per_origin(c.promo_only(c.promo_by_length[1], per_origin=True)),
                ),
                ("promo_candidate_len", lambda c: c.promo_only(c.promo_candidate_by_length())),
            ]
    if cfg.price:
        out += [("rel_price", lambda c: c.rel_price())]
    return out


#: The year-ago columns of the default configuration: two that carry last year's level over this year's
#: scale (``year_ago_level``: last year's level at the origin; ``year_ago_target``: last year's value around
#: t) and two shapes (each year's value at t over that same year's level at the origin).
YEAR_AGO_LEVEL = ("year_ago_level", "year_ago_target")
YEAR_AGO_SHAPE = ("yoy_candidate", "yoy2_candidate")


def _year_ago_columns(switch: object) -> list[Feature]:
    """The year-ago columns; the trial switch ``year_ago`` (bench/accuracy/EXPERIMENTS.md, fifteenth
    session, issue 15: pasta's summer under-forecast, one reading of which is 2017's deeper summer dip carried
    into 2018) leaves some out: "none" all four (an ablation), "shape" the two level ones, so a year's level
    enters only through the recent features and the year-ago features only as shape."""
    columns: list[Feature] = [
        ("year_ago_level", lambda c: c.per_origin(_ratio(c.lvl_year, c.scale))),
        ("year_ago_target", lambda c: _ratio(c.ya_mean, c.s3)),
        ("yoy_candidate", lambda c: _ratio(c.ya_mean, c.lvl_year[:, :, None])),
        ("yoy2_candidate", lambda c: _ratio(c.hist(c.t - 2 * c.year), c.lvl_year2[:, :, None])),
    ]
    if switch in (None, False):
        return columns
    drop = {"none": YEAR_AGO_LEVEL + YEAR_AGO_SHAPE, "shape": YEAR_AGO_LEVEL}.get(str(switch))
    if drop is None:
        raise ValueError(f'year_ago must be "none" or "shape", got {switch!r}')
    return [col for col in columns if col[0] not in drop]


def _calendar_switch(switch: object) -> str | None:
    """The daily trial switch ``calendar_grain`` (bench/accuracy/EXPERIMENTS.md, fifteenth session,
    i15-cal): "month" keeps the month column and leaves day of year missing, a coarser annual calendar than
    the default's, to test whether the trees place a past summer's dip day by day (the reading of C0, which
    dropped both). The columns keep their names and order. Not named ``calendar``: that is a FeatureConfig
    field, and bench/accuracy/run.py sends a key that names a field to the field, not to ``extra``. Daily
    only: on weekly data it would blank week of year, which is read from the same day-of-year array."""
    if switch in (None, False):
        return None
    if switch != "month":
        raise ValueError(f'calendar_grain must be "month", got {switch!r}')
    return "month"


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b; a zero level gives inf or NaN, which build_features turns into NaN."""
    with np.errstate(all="ignore"):
        return a / b
