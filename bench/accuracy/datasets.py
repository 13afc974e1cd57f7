"""The benchmark datasets as checked long rows (model.data's shape): pasta (bundled), Walmart and the two
80-week weekly sets (../shared/data/short).

Walmart and walmart80 are evaluation-only: they are read in place from ../shared and never copied into the
repo. Each loader gives the model what the reference forecaster (../shared/reference) reads from the same
files, so both are scored on the same series: Walmart is its 2,660 store x department series recorded in all
143 weeks, with the holiday-week flag as the known-ahead promo input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.data import read_long

__all__ = ["pasta", "walmart", "short", "ROOT", "WALMART", "SHORT"]

ROOT = Path(__file__).resolve().parents[2]
PASTA = ROOT / "data" / "sample" / "pasta" / "hierarchical_sales_data.csv"
WALMART = ROOT.parent / "shared" / "data" / "walmart" / "train.csv.gz"
SHORT = ROOT.parent / "shared" / "data" / "short"


def _frame(date, wh, sku, units, promo) -> pd.DataFrame:
    n = len(units)
    return pd.DataFrame(
        {
            "warehouse_id": wh,
            "sku": sku,
            "date": pd.to_datetime(date),
            "units": np.asarray(units, dtype=float),
            "promo": promo,
            "stockout": np.zeros(n),
            "closed": np.zeros(n),
            "unit_price": np.full(n, np.nan),
            "on_hand": np.full(n, np.nan),
        }
    )


def pasta(path: Path = PASTA) -> pd.DataFrame:
    """118 daily pasta series (wide CSV: DATE, QTY_<sku>, PROMO_<sku>) as long rows; store holidays absent."""
    wide = pd.read_csv(path)
    skus = [c[4:] for c in wide.columns if c.startswith("QTY_")]
    units = wide[[f"QTY_{s}" for s in skus]].to_numpy(float)
    promo = wide[[f"PROMO_{s}" for s in skus]].to_numpy(float)
    n_days = len(wide)
    return _frame(
        np.tile(wide["DATE"].to_numpy(), len(skus)),
        "IT1",
        np.repeat(skus, n_days),
        units.T.ravel(),
        promo.T.ravel(),
    )


def walmart(path: Path = WALMART) -> pd.DataFrame:
    """The 2,660 weekly store x department series of dollar sales recorded in every week (rare negative
    weeks included), with the holiday-week flag as promo."""
    raw = pd.read_csv(path)
    weeks = raw.groupby(["Store", "Dept"])["Date"].transform("size")
    raw = raw[weeks == raw["Date"].nunique()]
    return _frame(
        raw["Date"],
        "S" + raw["Store"].astype(str),
        "D" + raw["Dept"].astype(str),
        raw["Weekly_Sales"],
        raw["IsHoliday"].astype(float).to_numpy(),
    )


def short(name: str) -> pd.DataFrame:
    """``pasta_weekly80`` or ``walmart80``: a long CSV of 80 weeks per series, checked as `warecast backtest`
    reads it."""
    df, _ = read_long(SHORT / f"{name}.csv.gz")
    return df
