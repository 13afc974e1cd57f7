"""Writes tests/fixtures/training-metrics.json: the metrics.json of a real small training run on the bundled
pasta data (model/train.py as SageMaker runs it, against a bootstrap champion). The promotion gate's tests
(functions/model/gate.ts) read it; tests/python/model/test_training_metrics.py checks that a fresh run still
has its shape and that both follow schemas/training-metrics.schema.json.

Run ``.venv/bin/python scripts/training_metrics_fixture.py`` after changing what train.py writes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "training-metrics.json"
PASTA = ROOT / "data" / "sample" / "pasta" / "hierarchical_sales_data.csv"

#: Small settings: a few series, short horizon, two origins, few boosting rounds.
HPS = {
    "freq": "D",
    "horizon": 7,
    "origins": 2,
    "max_iter": 30,
    "max_train_origins": 10,
    "version": "2026-11-28T05-00-00Z-gbm",
    "lead_time_days": 3,
    "review_period_days": 4,
}
SERIES = 6
DAYS = 450


def train_on_pasta(root: Path) -> dict[str, Any]:
    """Train on the first ``SERIES`` pasta series' last ``DAYS`` days under ``root``; returns metrics.json."""
    sys.path.insert(0, str(ROOT))
    from bench.accuracy.datasets import pasta
    from model.bootstrap import build_bootstrap
    from model.train import main

    df = pasta(PASTA)
    keep = sorted(df["sku"].unique())[:SERIES]
    df = df[df["sku"].isin(keep) & (df["date"] >= df["date"].max() - pd.Timedelta(days=DAYS - 1))]
    root.mkdir(parents=True, exist_ok=True)
    # As `warecast import` writes the long file train.py reads.
    columns = {"date": "date", "warehouse_id": "warehouse_id", "sku": "sku", "units": "units_sold"}
    columns["promo"] = "promo"
    df[list(columns)].rename(columns=columns).to_csv(root / "data.csv", index=False)
    champion = build_bootstrap(root / "champion", version="bootstrap-v0")
    (root / "ckpt").mkdir(exist_ok=True)
    env = {
        "SM_CHANNEL_TRAIN": str(root / "data.csv"),
        "SM_CHANNEL_CHAMPION": str(champion),
        "SM_MODEL_DIR": str(root / "model"),
        "SM_OUTPUT_DATA_DIR": str(root / "output"),
        "SM_HPS": json.dumps(HPS),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        code = main(["--checkpoint-dir", str(root / "ckpt")])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if code != 0:
        raise RuntimeError(f"training failed with exit code {code}")
    return json.loads((root / "model" / "metrics.json").read_text())


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        metrics = train_on_pasta(Path(tmp))
    FIXTURE.write_text(json.dumps(metrics, indent=2) + "\n")
