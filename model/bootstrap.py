"""Build the bootstrap-baseline artifact: seasonal naive with empirical intervals, no training data needed.

Usage: ``python -m model.bootstrap --out DIR [--version V]`` writes ``DIR/model.tar.gz`` (and the unpacked
``DIR/model/``). The endpoint serves it from the first deploy until a trained model is promoted; every
response says ``model_kind: "bootstrap-baseline"``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from pathlib import Path

from model.artifact import pack, write_model_dir
from model.snaive import SeasonalNaiveForecaster

__all__ = ["build_bootstrap", "main"]


def build_bootstrap(out: Path, version: str | None = None) -> Path:
    """Write ``out/model.tar.gz`` for the bootstrap baseline and return its path."""
    out = Path(out)
    version = version or "bootstrap-" + dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    model_dir = out / "model"
    shutil.rmtree(model_dir, ignore_errors=True)
    forecaster = SeasonalNaiveForecaster(version=version)
    write_model_dir(
        model_dir,
        forecaster,
        feature_config={
            "method": "seasonal naive (season 7 daily, 52 weekly), empirical seasonal-difference quantiles",
            "freq": ["D", "W"],
        },
        metrics={"model_kind": forecaster.kind, "note": "untrained baseline: no backtest"},
        training_window={"trained": False},
    )
    return pack(model_dir, out / "model.tar.gz")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.bootstrap", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="directory for model.tar.gz")
    parser.add_argument("--version", help="model version label (default: bootstrap-<UTC time>)")
    args = parser.parse_args(argv)
    print(build_bootstrap(args.out, args.version))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
