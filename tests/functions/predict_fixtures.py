"""Writes series_state Parquet fixtures for the API tests (the layout in docs/architecture.md).

Reads JSON rows on stdin and writes <out>/series_state/warehouse_id=<id>/part-00000.parquet per warehouse, the
way Spark's partitionBy lays them out (the partition column lives in the path, not the file).
Usage: python tests/functions/predict_fixtures.py OUT_DIR < rows.json
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        ("sku", pa.string()),
        ("freq", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("units", pa.list_(pa.float64())),
        ("promo", pa.list_(pa.bool_())),
        ("price", pa.list_(pa.float64())),
        ("stockout", pa.list_(pa.bool_())),
        ("closed", pa.list_(pa.bool_())),
        ("on_hand", pa.float64()),
        ("last_event_at", pa.timestamp("us", tz="UTC")),
        ("run_id", pa.string()),
    ]
)


def main() -> None:
    out = Path(sys.argv[1])
    rows = json.load(sys.stdin)
    by_warehouse: dict[str, list[dict]] = {}
    for row in rows:
        by_warehouse.setdefault(row["warehouse_id"], []).append(row)
    for warehouse, items in by_warehouse.items():
        cols: dict[str, list] = {name: [] for name in SCHEMA.names}
        for r in items:
            start = dt.date.fromisoformat(r["start_date"])
            n = len(r["units"])
            cols["sku"].append(r["sku"])
            cols["freq"].append(r.get("freq", "D"))
            cols["start_date"].append(start)
            cols["end_date"].append(start + dt.timedelta(days=n - 1))
            cols["units"].append(r["units"])
            cols["promo"].append(r.get("promo", [False] * n))
            cols["price"].append(r.get("price", [1.0] * n))
            cols["stockout"].append(r.get("stockout", [False] * n))
            cols["closed"].append(r.get("closed", [False] * n))
            cols["on_hand"].append(r.get("on_hand"))
            cols["last_event_at"].append(dt.datetime.combine(start, dt.time(), dt.UTC))
            cols["run_id"].append(r.get("run_id", "run-1"))
        target = out / "series_state" / f"warehouse_id={warehouse}"
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(cols, schema=SCHEMA), target / "part-00000.parquet")


if __name__ == "__main__":
    main()
