"""The model artifact: what ``model.tar.gz`` holds, how it is written, packed and loaded.

Layout (the same for the bootstrap baseline and trained models; see docs/architecture.md)::

    model_version          one line: the version every response carries
    feature_config.json    model_kind, model_version, freq, horizon, quantiles, hyperparameters, features
    metrics.json           backtest of the model (and champion) against baselines (docs/model.md)
    training_window.json   the data the model saw: first/last date, series, rows in/rejected
    model.pkl              the fitted forecaster (trained models only; the bootstrap needs no state)
    code/inference.py      SageMaker entry point (SAGEMAKER_PROGRAM=inference.py), re-exports model.inference
    code/model/…           this package, so the container serves exactly the code that trained the model
"""

from __future__ import annotations

import io
import json
import pickle
import shutil
import tarfile
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from model.distribution import Forecast
from model.panel import Panel

__all__ = ["Forecaster", "write_model_dir", "pack", "unpack", "load_forecaster", "read_json"]

_PACKAGE = Path(__file__).resolve().parent
_ENTRY = '"""SageMaker entry point: the handler functions live in model.inference."""\n' + (
    "from model.inference import model_fn, transform_fn  # noqa: F401\n"
)


class Forecaster(Protocol):
    """What the inference handler and the backtest need from a model."""

    kind: str
    version: str

    def predict(
        self, panel: Panel, horizon: int, levels: np.ndarray, n_paths: int, rng: np.random.Generator
    ) -> Forecast: ...


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=float) + "\n")


def read_json(path: Path) -> Any:
    """Load one JSON file of the artifact."""
    return json.loads(Path(path).read_text())


def write_model_dir(
    model_dir: Path,
    forecaster: Forecaster,
    feature_config: dict[str, Any],
    metrics: dict[str, Any],
    training_window: dict[str, Any],
) -> Path:
    """Write the artifact layout into ``model_dir`` (created if missing) and return it."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "model_version").write_text(forecaster.version + "\n")
    config = {"model_kind": forecaster.kind, "model_version": forecaster.version, **feature_config}
    _dump(model_dir / "feature_config.json", config)
    _dump(model_dir / "metrics.json", metrics)
    _dump(model_dir / "training_window.json", training_window)
    if forecaster.kind != "bootstrap-baseline":
        with (model_dir / "model.pkl").open("wb") as fh:
            pickle.dump(forecaster, fh, protocol=pickle.HIGHEST_PROTOCOL)
    code = model_dir / "code"
    shutil.rmtree(code, ignore_errors=True)
    shutil.copytree(_PACKAGE, code / "model", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (code / "inference.py").write_text(_ENTRY)
    return model_dir


def pack(model_dir: Path, out: Path) -> Path:
    """Write ``out`` (model.tar.gz) with the contents of ``model_dir`` at the archive root."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path in sorted(Path(model_dir).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                tar.add(path, arcname=str(path.relative_to(model_dir)))
    out.write_bytes(buf.getvalue())
    return out


def unpack(tar_path: Path, dest: Path) -> Path:
    """Extract an artifact (refusing paths outside ``dest``) and return ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tar_path, "r:gz") as tar:
        tar.extractall(dest, filter="data")
    return dest


def load_forecaster(model_dir: Path) -> Forecaster:
    """Load the forecaster of an artifact directory (extracted ``model.tar.gz``)."""
    model_dir = Path(model_dir)
    config_path = model_dir / "feature_config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path} is missing: {model_dir} is not a Warecast model artifact")
    config = read_json(config_path)
    if config.get("model_kind") == "bootstrap-baseline":
        from model.snaive import SeasonalNaiveForecaster

        return SeasonalNaiveForecaster(version=str(config["model_version"]))
    with (model_dir / "model.pkl").open("rb") as fh:
        forecaster = pickle.load(fh)
    forecaster.version = str(config["model_version"])
    return forecaster
