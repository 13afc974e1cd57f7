"""The benchmark datasets as checked long rows (model.data's shape): pasta (bundled) and Walmart (../shared).

Walmart is evaluation-only: it is read in place from ../shared/data/walmart and never copied into the repo.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["pasta", "walmart", "ROOT", "WALMART"]

ROOT = Path(__file__).resolve().parents[2]
PASTA = ROOT / "data" / "sample" / "pasta" / "hierarchical_sales_data.csv"
WALMART = ROOT.parent / "shared" / "data" / "walmart" / "train.csv.gz"


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
    """3,331 weekly store x department series of dollar sales, as they are (rare negative weeks included)."""
    raw = pd.read_csv(path)
    return _frame(
        raw["Date"],
        "S" + raw["Store"].astype(str),
        "D" + raw["Dept"].astype(str),
        raw["Weekly_Sales"],
        np.nan,
    )
