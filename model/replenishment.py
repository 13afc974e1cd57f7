"""The periodic-review order-up-to (R, S) rule the API serves, for Python callers (the inventory backtest).

The API's implementation is ``functions/replenishment.ts`` (method: docs/replenishment.md); this module holds
the same arithmetic — order-up-to level, order quantity — so the backtest replays exactly the
advice the API gives. ``tests/fixtures/replenishment-rule.json`` holds cases both implementations must answer
identically (tests/functions/replenishment-rule.test.ts and tests/python/model/test_replenishment.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PolicyInputs", "order_up_to", "order_quantity", "suggested_order"]

# Rounding up to whole units ignores float noise below this (functions/replenishment.ts uses the same).
_EPS = 1e-9


@dataclass(frozen=True)
class PolicyInputs:
    """The API's per-item inputs that the rule needs (defaults: functions/predict/config.ts)."""

    lead_time_days: int = 7
    review_period_days: int = 7
    service_level: float = 0.95
    moq: float = 0.0
    pack_size: float = 1.0

    def __post_init__(self) -> None:
        if self.lead_time_days < 0 or self.review_period_days < 0:
            raise ValueError("lead_time_days and review_period_days must be >= 0")
        if self.lead_time_days + self.review_period_days < 1:
            raise ValueError("lead_time_days + review_period_days must be at least 1")
        if not 0.0 < self.service_level < 1.0:
            raise ValueError(f"service_level must be in (0, 1), got {self.service_level}")
        if self.moq < 0 or self.pack_size <= 0:
            raise ValueError("moq must be >= 0 and pack_size > 0")

    @property
    def protection_days(self) -> int:
        """L + R: the window whose cumulative-demand quantile is the order-up-to level."""
        return self.lead_time_days + self.review_period_days


def order_up_to(protection_quantile: np.ndarray) -> np.ndarray:
    """S: the service-level quantile of demand over L + R days, rounded up to whole units.

    It is also the reorder point s: an order placed now must last until the next review's order arrives,
    L + R days, so nothing is added for the review period (that would count it twice).
    """
    return np.ceil(np.asarray(protection_quantile, dtype=np.float64) - _EPS)


def order_quantity(need: np.ndarray, moq: float, pack_size: float) -> np.ndarray:
    """An order for ``need`` units: at least the MOQ, rounded up to whole packs; 0 when nothing is needed."""
    need = np.asarray(need, dtype=np.float64)
    units = np.maximum(need, moq)
    return np.where(need > 0, np.ceil(units / pack_size - _EPS) * pack_size, 0.0)


def suggested_order(position: np.ndarray, up_to: np.ndarray, moq: float, pack_size: float) -> np.ndarray:
    """The order the advice gives at a review: S − IP when IP < S (MOQ, packs), else nothing."""
    return order_quantity(np.asarray(up_to, np.float64) - np.asarray(position, np.float64), moq, pack_size)
