"""Seeded data for the model tests: small daily series with a weekly pattern, promo lift and zeros."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]


def make_long(n_series: int = 12, days: int = 420, seed: int = 7, start: str = "2017-01-02") -> pd.DataFrame:
    """Long data (date, warehouse_id, sku, units_sold, promo) with a known structure, seeded."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    dow = np.array([0.8, 0.9, 1.0, 1.0, 1.1, 1.5, 0.7])[dates.dayofweek]
    frames = []
    for i in range(n_series):
        level = rng.uniform(1.0, 30.0)
        promo = rng.random(days) < 0.2
        mu = level * dow * np.where(promo, 3.0, 1.0)
        frames.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "warehouse_id": f"WH{i % 3}",
                    "sku": f"SKU-{i}",
                    "units_sold": rng.poisson(mu).astype(float),
                    "promo": promo,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def long_df() -> pd.DataFrame:
    return make_long()


@pytest.fixture(scope="session")
def seeded_panel():
    """A factory of seeded panels: ``seeded_panel(n_series, periods, freq)``; weeks sum make_long's days."""
    from model.data import to_panel

    def build(n_series: int, periods: int, freq: str = "W", seed: int = 3):
        days = 7 * periods if freq == "W" else periods
        df = make_long(n_series=n_series, days=days, seed=seed, start="2018-01-01")
        checked = df.rename(columns={"units_sold": "units"}).assign(
            stockout=np.nan, closed=np.nan, unit_price=np.nan, on_hand=np.nan
        )
        return to_panel(checked, freq)

    return build


@pytest.fixture(scope="session")
def endpoint_schema() -> dict:
    return json.loads((ROOT / "schemas" / "endpoint.schema.json").read_text())
