"""Dense panel of demand series: the one in-memory shape every model, baseline and metric works on.

A :class:`Panel` holds ``N`` series right-aligned on a common grid of ``T`` history periods (daily or weekly);
column ``T - 1`` is each series' last history period (``end``). Known-ahead covariates (promo, price) may
extend ``F`` periods past the history, as the endpoint contract supplies them. Unobserved periods are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Panel",
    "season_length",
    "periods_per_year",
    "step_days",
    "default_horizon",
    "FREQS",
    "MIN_TRAIN_PERIODS",
]

FREQS = ("D", "W")
#: Periods of history the model needs besides the horizon it forecasts: with fewer, nothing can be learnt
#: about the series' own level. Training and backtests accept any panel this long (docs/model.md).
MIN_TRAIN_PERIODS = 8


def step_days(freq: str) -> int:
    """Days per period of ``freq`` ("D" or "W")."""
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {FREQS}, got {freq!r}")
    return 1 if freq == "D" else 7


def season_length(freq: str) -> int:
    """Seasonal period used by seasonal naive and MASE: 7 for daily, 52 for weekly."""
    return 7 if step_days(freq) == 1 else 52


def periods_per_year(freq: str) -> int:
    """Periods from one year to the same weekday / week a year later: 364 daily, 52 weekly."""
    return 364 if step_days(freq) == 1 else 52


def default_horizon(freq: str) -> int:
    """Default forecast horizon: 28 days or 13 weeks."""
    return 28 if step_days(freq) == 1 else 13


@dataclass
class Panel:
    """``N`` series on ``T`` history periods plus ``F`` known-ahead periods.

    Attributes:
        ids: series ids, length N.
        freq: "D" or "W".
        end: date (datetime64[D]) of each series' last history period, shape (N,).
        y: observed units, shape (N, T); NaN = not observed (closed, missing, before the first sale).
        stockout: True where the period was out of stock (y is censored demand), shape (N, T).
        promo: 1/0 promo flag, NaN = unknown, shape (N, T + F).
        price: unit price, NaN = unknown, shape (N, T + F).
    """

    ids: list[str]
    freq: str
    end: np.ndarray
    y: np.ndarray
    stockout: np.ndarray
    promo: np.ndarray
    price: np.ndarray
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        step_days(self.freq)
        n, t = self.y.shape
        if len(self.ids) != n or self.end.shape != (n,):
            raise ValueError("ids, end and y must describe the same number of series")
        if self.stockout.shape != (n, t):
            raise ValueError("stockout must have the shape of y")
        if self.promo.shape != self.price.shape or self.promo.shape[0] != n or self.promo.shape[1] < t:
            raise ValueError("promo and price must have shape (N, T + F) with F >= 0")

    @property
    def n_series(self) -> int:
        return self.y.shape[0]

    @property
    def n_periods(self) -> int:
        return self.y.shape[1]

    @property
    def n_future(self) -> int:
        return self.promo.shape[1] - self.y.shape[1]

    def demand(self) -> np.ndarray:
        """Units with stockout periods masked (NaN): censored values are lower bounds, not demand."""
        return np.where(self.stockout, np.nan, self.y)

    def dates(self, offsets: np.ndarray) -> np.ndarray:
        """Dates of column ``T - 1 + offsets`` per series; ``offsets`` broadcasts against (N, ...)."""
        days = np.asarray(offsets, dtype=np.int64) * step_days(self.freq)
        shape = (self.n_series,) + (1,) * (days.ndim - 1 if days.ndim else 0)
        return self.end.reshape(shape) + days.astype("timedelta64[D]")

    def truncate(self, origin: int, future: int) -> Panel:
        """The panel seen at history column ``origin``: y up to it, covariates ``future`` periods past it."""
        if not 0 <= origin < self.n_periods:
            raise ValueError(f"origin must be in [0, {self.n_periods}), got {origin}")
        stop = origin + 1
        cov = np.full((self.n_series, stop + future), np.nan)
        price = cov.copy()
        avail = min(stop + future, self.promo.shape[1])
        cov[:, :avail] = self.promo[:, :avail]
        price[:, :avail] = self.price[:, :avail]
        shift = (self.n_periods - stop) * step_days(self.freq)
        return Panel(
            ids=list(self.ids),
            freq=self.freq,
            end=self.end - np.timedelta64(shift, "D"),
            y=self.y[:, :stop].copy(),
            stockout=self.stockout[:, :stop].copy(),
            promo=cov,
            price=price,
            meta=dict(self.meta),
        )

    def subset(self, rows: np.ndarray) -> Panel:
        """The series at ``rows`` (indices or a boolean mask)."""
        idx = np.arange(self.n_series)[rows]
        return Panel(
            ids=[self.ids[i] for i in idx],
            freq=self.freq,
            end=self.end[idx],
            y=self.y[idx],
            stockout=self.stockout[idx],
            promo=self.promo[idx],
            price=self.price[idx],
            meta=dict(self.meta),
        )
