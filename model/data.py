"""Read demand data into a :class:`~model.panel.Panel`: processed ``demand_daily`` Parquet or a long CSV.

Long CSV columns: ``date, warehouse_id, sku, units_sold`` and optionally ``promo, unit_price, on_hand``
(``demand_daily`` names: ``avg_unit_price, on_hand_eod, stockout, closed``). Bad rows are rejected with a
reason and counted, never silently dropped: see :class:`LoadReport`.

Censoring: a day is a stockout when ``stockout`` says so, or else when ``on_hand`` is 0 at the end of the day.
Closed days and days with no row (e.g. a store holiday) are unobserved (NaN), never zero demand.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.panel import Panel, step_days

__all__ = ["LoadReport", "read_long", "to_panel", "load_panel", "REQUIRED", "ALIASES"]

REQUIRED = ("date", "warehouse_id", "sku", "units_sold")
#: demand_daily column -> long CSV column.
ALIASES = {"avg_unit_price": "unit_price", "on_hand_eod": "on_hand"}


@dataclass
class LoadReport:
    """Rows in, rejected (by reason) and out, and the series/periods of the panel built from them."""

    source: str
    rows_in: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    rows_out: int = 0
    series: int = 0
    periods: int = 0
    first_date: str | None = None
    last_date: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "rows_in": self.rows_in,
            "rejected": dict(self.rejected),
            "rows_out": self.rows_out,
            "series": self.series,
            "periods": self.periods,
            "first_date": self.first_date,
            "last_date": self.last_date,
        }


def _bool(col: pd.Series) -> pd.Series:
    text = col.astype(str).str.strip().str.lower()
    mapped = text.map({"1": 1.0, "0": 0.0, "true": 1.0, "false": 0.0, "1.0": 1.0, "0.0": 0.0, "yes": 1.0})
    return mapped.where(~text.isin(["", "nan", "none", "null"]), np.nan)


def read_long(path: Path) -> tuple[pd.DataFrame, LoadReport]:
    """Read a long CSV (``.csv``/``.csv.gz``) or a Parquet file/directory and check it row by row."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"--data: {path} does not exist")
    if path.is_dir() or path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = df.rename(columns={c: c.strip().lower() for c in df.columns}).rename(columns=ALIASES)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(
            f"{path}: missing required column(s) {missing}; expected {list(REQUIRED)} and optional "
            "promo, unit_price, on_hand, stockout, closed"
        )
    report = LoadReport(source=str(path), rows_in=len(df))
    out = pd.DataFrame(
        {"warehouse_id": df["warehouse_id"].astype(str).str.strip(), "sku": df["sku"].astype(str).str.strip()}
    )
    out["date"] = pd.to_datetime(df["date"].astype(str).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    out["units"] = pd.to_numeric(df["units_sold"], errors="coerce")
    for name in ("promo", "stockout", "closed"):
        out[name] = _bool(df[name]) if name in df.columns else np.nan
    for name in ("unit_price", "on_hand"):
        out[name] = pd.to_numeric(df[name], errors="coerce") if name in df.columns else np.nan
    reasons = pd.Series("", index=out.index)
    reasons[out["units"].isna() & ~(out["closed"] == 1.0)] = "units_sold_not_a_number"
    reasons[out["date"].isna()] = "bad_date"
    reasons[(out["warehouse_id"].isin(["", "nan"])) | (out["sku"].isin(["", "nan"]))] = "missing_id"
    dup = out.duplicated(["warehouse_id", "sku", "date"], keep="first") & (reasons == "")
    reasons[dup] = "duplicate_series_date"
    report.rejected.update(reasons[reasons != ""].value_counts().to_dict())
    out = out[reasons == ""].reset_index(drop=True)
    report.rows_out = len(out)
    return out, report


def to_panel(df: pd.DataFrame, freq: str, report: LoadReport | None = None) -> Panel:
    """Pivot checked long rows into a panel (weekly: totals of ISO weeks, Monday to Sunday)."""
    if df.empty:
        raise ValueError("no valid rows to build series from")
    step = step_days(freq)
    df = df.copy()
    stock = df["stockout"].where(
        df["stockout"].notna(), (df["on_hand"] <= 0).astype(float).where(df["on_hand"].notna(), 0.0)
    )
    df["stockout"] = stock.fillna(0.0)
    df.loc[df["closed"] == 1.0, "units"] = np.nan
    if step == 7:
        df["date"] = df["date"] - pd.to_timedelta(df["date"].dt.dayofweek, unit="D")
        keys = ["warehouse_id", "sku", "date"]
        if df.duplicated(keys).any():
            grouped = df.groupby(keys, as_index=False)
            counts = grouped["units"].count()["units"].to_numpy()
            df = grouped.agg(
                units=("units", "sum"),
                promo=("promo", "max"),
                unit_price=("unit_price", "mean"),
                stockout=("stockout", "max"),
            )
            df.loc[counts == 0, "units"] = np.nan
    df["sid"] = df["warehouse_id"] + "/" + df["sku"]
    first, last = df["date"].min(), df["date"].max()
    grid = pd.date_range(first, last, freq=f"{step}D")
    ids = sorted(df["sid"].unique())
    row = pd.Index(ids).get_indexer(df["sid"])
    col = ((df["date"] - first).dt.days // step).to_numpy()
    n, t = len(ids), len(grid)

    def dense(values: pd.Series, fill: float) -> np.ndarray:
        arr = np.full((n, t), fill)
        arr[row, col] = values.to_numpy(dtype=float)
        return arr

    y = dense(df["units"], np.nan)
    stockout = dense(df["stockout"], 0.0) == 1.0
    promo = dense(df["promo"], np.nan)
    price = dense(df["unit_price"], np.nan)
    if report is not None:
        report.series, report.periods = n, t
        report.first_date, report.last_date = str(first.date()), str(last.date())
    end = np.full(n, np.datetime64(last.date(), "D"))
    return Panel(ids=ids, freq=freq, end=end, y=y, stockout=stockout, promo=promo, price=price)


def load_panel(path: Path, freq: str) -> tuple[Panel, LoadReport]:
    """:func:`read_long` then :func:`to_panel`."""
    df, report = read_long(path)
    return to_panel(df, freq, report), report
