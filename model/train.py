"""SageMaker script-mode training entry point: backtest, fit on all data, write the artifact.

Inputs follow SageMaker's conventions, so the same command runs in the container and locally:
    SM_CHANNEL_TRAIN      processed ``demand_daily`` Parquet (or a long CSV file / directory of them)
    SM_CHANNEL_CHAMPION   optional: the deployed artifact (model.tar.gz or its extracted directory); it is
                          scored on the SAME backtest windows, so the promote gate compares like with like
    SM_MODEL_DIR          where the artifact layout is written (SageMaker packs it as model.tar.gz)
    SM_OUTPUT_DATA_DIR    backtest table and load report
    SM_HPS / --key value  hyperparameters (model.gbm.Hyperparameters plus freq, horizon, origins, version,
                          and the inventory backtest's inventory, lead_time_days, review_period_days,
                          service_level)
    --checkpoint-dir      spot training: the finished backtest is kept there and reused after an interruption

It prints ``metric name=value`` lines for SageMaker metric definitions (docs/model.md).

A trial of the SageMaker tuning job passes ``tuning_origins`` (> 0): the job then scores the hyperparameters
on the tuning windows only (model.tune.tuning_score: windows that end before the first of the ``origins``
evaluation windows the promotion gate scores), prints ``metric tuning_model_rmsse=…`` (the tuning objective)
and writes tuning.json instead of a model; it neither runs the evaluation backtest nor fits the final model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import load_forecaster, pack, unpack, write_model_dir
from model.backtest import run_backtest
from model.contracts import SCRAPED_METRICS
from model.data import load_panel
from model.features import FeatureConfig
from model.gbm import GlobalModel, Hyperparameters
from model.inventory import inventory_text
from model.panel import Panel, default_horizon
from model.progress import report as progress
from model.replenishment import PolicyInputs
from model.report import notes_text, table_text
from model.tune import tuning_score

__all__ = ["main", "train", "parse_args", "load_champion", "fingerprint"]


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, dict[str, Any]]:
    """Known options, and every other ``--key value`` merged over ``SM_HPS`` as hyperparameters."""
    parser = argparse.ArgumentParser(prog="python -m model.train", description=__doc__.splitlines()[0])
    parser.add_argument("--train", default=_env("SM_CHANNEL_TRAIN"), help="training data (SM_CHANNEL_TRAIN)")
    parser.add_argument("--champion", default=_env("SM_CHANNEL_CHAMPION"), help="deployed artifact to score")
    parser.add_argument("--model-dir", default=_env("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--output-dir", default=_env("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data"))
    parser.add_argument("--checkpoint-dir", default=_env("WARECAST_CHECKPOINT_DIR", "/opt/ml/checkpoints"))
    parser.add_argument("--pack", help="also write model.tar.gz here (local runs; SageMaker packs itself)")
    args, rest = parser.parse_known_args(argv)
    hps: dict[str, Any] = json.loads(_env("SM_HPS", "{}") or "{}")
    key = None
    for token in rest:
        if token.startswith("--"):
            key = token[2:].replace("-", "_")
            hps[key] = True
        elif key is not None:
            hps[key] = token
            key = None
        else:
            parser.error(f"unexpected argument {token!r}")
    if not args.train:
        parser.error("no training data: set SM_CHANNEL_TRAIN or pass --train")
    return args, hps


def fingerprint(panel: Panel, hps: dict[str, Any]) -> str:
    """Hash of the data and settings: a checkpoint is reused only for exactly the same job."""
    h = hashlib.sha256(json.dumps(hps, sort_keys=True, default=str).encode())
    h.update(np.nan_to_num(panel.y, nan=-1.0).tobytes())
    h.update(panel.stockout.tobytes())
    h.update(np.nan_to_num(panel.promo, nan=-1.0).tobytes())
    return h.hexdigest()[:16]


def load_champion(path: str | None, work: Path):
    """The champion forecaster from a channel directory, a model.tar.gz, or None."""
    if not path:
        return None
    p = Path(path)
    tar = p if p.is_file() else p / "model.tar.gz"
    if tar.is_file():
        return load_forecaster(unpack(tar, work / "champion"))
    if (p / "feature_config.json").is_file():
        return load_forecaster(p)
    if p.is_dir() and not any(p.iterdir()):
        return None
    raise FileNotFoundError(f"champion channel {p} holds neither model.tar.gz nor an extracted artifact")


def _data_path(train: str) -> Path:
    p = Path(train)
    if p.is_dir() and not any(p.rglob("*.parquet")):
        files = sorted(p.glob("*.csv")) + sorted(p.glob("*.csv.gz"))
        if len(files) != 1:
            raise FileNotFoundError(f"{p}: expected Parquet files or exactly one CSV, found {len(files)} CSV")
        return files[0]
    return p


def _inventory_inputs(hps: dict[str, Any], freq: str, horizon: int) -> tuple[PolicyInputs | None, str]:
    """The inventory backtest's settings from the hyperparameters (defaults: the API's), or why it is off."""
    wanted = str(hps.pop("inventory", "true")).lower() not in ("0", "false", "no")
    d = PolicyInputs()
    inputs = PolicyInputs(
        int(hps.pop("lead_time_days", d.lead_time_days)),
        int(hps.pop("review_period_days", d.review_period_days)),
        float(hps.pop("service_level", d.service_level)),
    )
    if not wanted:
        return None, "inventory backtest turned off (inventory=false)"
    if freq != "D":
        return None, "inventory backtest skipped: it needs daily data (lead times are in days)"
    if inputs.protection_days > horizon:
        return None, (
            f"inventory backtest skipped: lead time + review period ({inputs.protection_days} days) exceed "
            f"the horizon ({horizon} days)"
        )
    return inputs, ""


def train(args: argparse.Namespace, hps: dict[str, Any]) -> dict[str, Any]:
    """Run the whole job; returns metrics.json's content."""
    started = time.perf_counter()
    freq = str(hps.pop("freq", "D"))
    horizon = int(hps.pop("horizon", default_horizon(freq)))
    n_origins = int(hps.pop("origins", 2))
    do_backtest = str(hps.pop("backtest", "true")).lower() not in ("0", "false", "no")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    version = str(hps.pop("version", f"{stamp}-gbm"))
    tuning_origins = int(hps.pop("tuning_origins", 0))
    inventory, skipped = _inventory_inputs(hps, freq, horizon)
    params = Hyperparameters.for_freq(freq, **hps)
    config = FeatureConfig.default(freq, horizon)
    progress("loading data")
    panel, report = load_panel(_data_path(args.train), freq)
    print(f"loaded {report.as_dict()}", flush=True)
    if tuning_origins > 0:
        return _tuning_trial(args, panel, params, horizon, n_origins, tuning_origins, version, started)

    def fit(p: Panel) -> GlobalModel:
        return GlobalModel(config, params).fit(p)

    with tempfile.TemporaryDirectory() as tmp:
        champion = load_champion(args.champion, Path(tmp))
        checkpoint = Path(args.checkpoint_dir) / "backtest.json"
        key = fingerprint(
            panel,
            {
                **params.as_dict(),
                "freq": freq,
                "horizon": horizon,
                "origins": n_origins,
                "champion": getattr(champion, "version", None),
                "inventory": None if inventory is None else asdict(inventory),
            },
        )
        backtest: dict[str, Any] | None = None
        if checkpoint.is_file():
            saved = json.loads(checkpoint.read_text())
            backtest = saved["backtest"] if saved.get("fingerprint") == key else None
        if backtest is None and do_backtest:
            backtest = run_backtest(
                panel, horizon, n_origins, fit, champion=champion, seed=params.seed, inventory=inventory
            )
            if skipped:
                backtest["inventory"] = {"skipped": skipped}
            if checkpoint.parent.is_dir():
                checkpoint.write_text(json.dumps({"fingerprint": key, "backtest": backtest}))
    progress("final fit", detail=f"{report.series} series x {report.periods} periods")
    t0 = time.perf_counter()
    model = fit(panel)
    model.version = version
    # The backtest result sits at the top level (setup, metrics.model, metrics.champion): the promote gate
    # reads it there (functions/model/gate.ts). Shape: docs/model.md.
    metrics: dict[str, Any] = {
        **(backtest or {}),
        "model_version": version,
        "model_kind": model.kind,
        "primary_metric": "rmsse",
        "champion_model": None
        if champion is None
        else {"model_version": champion.version, "model_kind": champion.kind},
        "final_fit_s": time.perf_counter() - t0,
        "total_s": time.perf_counter() - started,
    }
    window = {
        "trained": True,
        "first_date": report.first_date,
        "last_date": report.last_date,
        "series": report.series,
        "periods": report.periods,
        "rows_in": report.rows_in,
        "rows_rejected": dict(report.rejected),
        "rows_used": report.rows_out,
    }
    feature_config = {
        "freq": freq,
        "horizon": horizon,
        "features": config.as_dict(),
        "feature_names": config.names(),
        "hyperparameters": params.as_dict(),
    }
    progress("writing the model")
    write_model_dir(Path(args.model_dir), model, feature_config, metrics, window)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "load_report.json").write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    if backtest is not None:
        stock = backtest.get("inventory", {})
        stock_text = inventory_text(stock) if "policies" in stock else stock.get("skipped", "")
        text = "\n".join(filter(None, [table_text(backtest), notes_text(backtest), stock_text]))
        (out / "backtest.txt").write_text(text + "\n")
        print(text, flush=True)
        for name, row in backtest["metrics"].items():
            for metric in SCRAPED_METRICS:
                if row.get(metric) is not None:
                    print(f"metric {name}_{metric}={row[metric]:.6f}", flush=True)
        for name, policy in stock.get("policies", {}).items():
            for metric in ("fill_rate", "cycle_service_level", "avg_on_hand"):
                if policy["pooled"][metric] is not None:
                    value = policy["pooled"][metric]
                    print(f"metric inventory_{name}_{metric}={value:.6f}", flush=True)
    if args.pack:
        pack(Path(args.model_dir), Path(args.pack))
    return metrics


def _tuning_trial(
    args: argparse.Namespace,
    panel: Panel,
    params: Hyperparameters,
    horizon: int,
    origins: int,
    tuning_origins: int,
    version: str,
    started: float,
) -> dict[str, Any]:
    """One trial of a tuning job: the objective on the tuning windows, checkpointed for spot restarts."""
    key = fingerprint(
        panel,
        {**params.as_dict(), "horizon": horizon, "origins": origins, "tuning_origins": tuning_origins},
    )
    # Named by fingerprint: trials that share a checkpoint location never read each other's result.
    checkpoint = Path(args.checkpoint_dir) / f"tuning-{key}.json"
    if checkpoint.is_file():
        score = json.loads(checkpoint.read_text())
    else:
        windows = f"{tuning_origins} tuning windows before {origins} evaluation windows"
        progress("tuning trial", detail=windows)
        score = tuning_score(panel, horizon, origins, tuning_origins, params, params.seed)
        if checkpoint.parent.is_dir():
            checkpoint.write_text(json.dumps(score))
    result = {
        "model_version": version,
        "tuning": {**score, "tuning_origins": tuning_origins, "origins": origins, "horizon": horizon},
        "hyperparameters": params.as_dict(),
        "total_s": time.perf_counter() - started,
    }
    model_dir = Path(args.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "tuning.json").write_text(json.dumps(result, indent=2) + "\n")
    for metric in ("rmsse", "wape", "coverage_80"):
        if score.get(metric) is not None:
            print(f"metric tuning_model_{metric}={score[metric]:.6f}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    args, hps = parse_args(argv)
    try:
        metrics = train(args, hps)
    except (ValueError, FileNotFoundError) as err:
        print(f"training failed: {err}", file=sys.stderr)
        failure = Path(os.environ.get("SM_OUTPUT_DIR", args.output_dir)) / "failure"
        failure.parent.mkdir(parents=True, exist_ok=True)
        failure.write_text(str(err) + "\n")
        return 2
    print(json.dumps({"model_version": metrics["model_version"], "total_s": round(metrics["total_s"], 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
