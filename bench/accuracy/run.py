"""Accuracy benchmark: the model on four sets, each against the reference forecaster measured in the same run.

Usage: ``nice -n 10 .venv/bin/python -m bench.accuracy.run [--sets a,b] [--reference PYTHON] [--write]``.

- Evaluation windows (default): the protocol of each set (``SETS``); with ``--reference PYTHON`` the reference
  (../shared/reference/gbdt_backtest.py, run by that interpreter from its own venv outside the project) is run
  on the same files and windows, and the bars are checked. ``--write`` rebuilds bench/accuracy/RESULTS.md.
- ``--windows development``: the same protocol on the data before the first evaluation window. Experiments
  and the choice of defaults use only these windows (``--tag`` logs a run to bench/out/experiments.jsonl,
  ``--rank`` ranks the logged runs by mean rank over the sets), so nothing is tuned to the evaluation windows.
- ``--windows year-ago``: the same protocol on the data cut a year before its end, i.e. the evaluation
  windows' season one year earlier (only where that leaves enough history: pasta and Walmart). Logged as
  ``set@year-ago`` and ranked beside the development windows.

Walmart and walmart80 are read in place from ../shared (never copied into the repo). Full JSON: bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from bench.accuracy import datasets
from bench.accuracy.datasets import ROOT
from bench.accuracy.results import bars, write_results
from model.backtest import evaluation_origins
from model.data import to_panel
from model.evaluate import backtest_panel, parse_hp
from model.features import FeatureConfig
from model.gbm import Hyperparameters
from model.panel import Panel, periods_per_year

__all__ = ["SETS", "BenchSet", "run_set", "run_reference", "main"]

REFERENCE = ROOT.parent / "shared" / "reference" / "gbdt_backtest.py"
OUT = ROOT / "bench" / "out"


@dataclass(frozen=True)
class BenchSet:
    """One benchmark set: how to load it, its backtest protocol and the reference's command line."""

    name: str
    load: Callable[[], pd.DataFrame]
    freq: str
    horizon: int
    origins: int
    reference: tuple[str, ...]


def _short_args(name: str) -> tuple[str, ...]:
    path = str(datasets.SHORT / f"{name}.csv.gz")
    return ("long", "--file", path, "--freq", "W", "--horizon", "8", "--origins", "3")


SETS: dict[str, BenchSet] = {
    "pasta": BenchSet("pasta", datasets.pasta, "D", 28, 4, ("pasta",)),
    "walmart": BenchSet("walmart", datasets.walmart, "W", 13, 3, ("walmart",)),
    "pasta_weekly80": BenchSet(
        "pasta_weekly80", lambda: datasets.short("pasta_weekly80"), "W", 8, 3, _short_args("pasta_weekly80")
    ),
    "walmart80": BenchSet(
        "walmart80", lambda: datasets.short("walmart80"), "W", 8, 3, _short_args("walmart80")
    ),
}


def development(panel: Panel, horizon: int, origins: int) -> Panel:
    """The panel cut at the first evaluation origin: its own last windows are the development windows."""
    return panel.truncate(evaluation_origins(panel.n_periods, horizon, origins)[0], 0)


def year_ago(panel: Panel, horizon: int, origins: int) -> Panel:
    """The panel cut a year before its end: its last windows are the evaluation windows' season a year
    earlier (the same weekdays), which the development windows, just before the evaluation ones, are not.
    A choice that matters in one season (pasta daily's evaluation windows hold Christmas, its development
    windows the summer) can be seen there without looking at the evaluation windows."""
    cut = panel.n_periods - 1 - periods_per_year(panel.freq)
    evaluation_origins(cut + 1, horizon, origins)  # raises when the year-earlier windows lack the history
    return panel.truncate(cut, 0)


#: Windows a defaults choice may be made on (the evaluation windows only report).
CHOOSING = {"development": development, "year-ago": year_ago}


def _overrides(pairs: dict[str, Any], freq: str) -> dict[str, Any]:
    """``key`` applies to every set, ``D:key`` / ``W:key`` to one frequency."""
    out = {}
    for key, value in pairs.items():
        scope, sep, name = key.rpartition(":")
        if not sep or scope == freq:
            out[name] = value
    return out


def _feature_config(freq: str, horizon: int, overrides: dict[str, Any]) -> FeatureConfig:
    config = FeatureConfig.default(freq, horizon)
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
    extra = {k: values.pop(k) for k in list(values) if k not in config.__dataclass_fields__}
    for key, value in values.items():
        # A trial switch whose name is a field's sets the field: "month" for `calendar` (a bool) read as true
        # and ran the defaults unchanged (EXPERIMENTS.md, fifteenth session, i15-cal). Refused instead.
        want = type(getattr(config, key))
        if type(value) is not want and not (want is float and type(value) is int):
            raise ValueError(
                f"feature {key}: FeatureConfig.{key} is a {want.__name__}, got {value!r}; "
                "a trial switch needs a name that is not a FeatureConfig field"
            )
    return replace(config, **values, extra={**config.extra, **extra})


def run_set(
    bench: BenchSet,
    windows: str = "evaluation",
    hp: dict[str, Any] | None = None,
    features: dict[str, Any] | None = None,
    baselines: bool = True,
) -> dict[str, Any]:
    """Backtest the model (defaults of its frequency, refitted at every origin) on one set."""
    t0 = time.perf_counter()
    panel = to_panel(bench.load(), bench.freq)
    if windows in CHOOSING:
        panel = CHOOSING[windows](panel, bench.horizon, bench.origins)
    load_s = time.perf_counter() - t0
    params = Hyperparameters.for_freq(bench.freq, **_overrides(hp or {}, bench.freq))
    config = _feature_config(bench.freq, bench.horizon, _overrides(features or {}, bench.freq))
    t0 = time.perf_counter()
    # Refitted at every origin on the data up to it, as the scheduled retraining does in production.
    result = backtest_panel(
        panel, bench.horizon, bench.origins, params, refit="every", config=config, baselines=baselines
    )
    result.update(wall_s=time.perf_counter() - t0, load_s=load_s, windows=windows)
    result["hyperparameters"] = params.as_dict()
    result["features"] = config.as_dict()
    return result


def run_reference(bench: BenchSet, python: str) -> dict[str, Any]:
    """Run the reference on the set's file and protocol; its table rows by method, and its 80% coverage."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [python, str(REFERENCE), *bench.reference, "--out", tmp],
            capture_output=True,
            text=True,
            # Passive OpenMP waiting: on a shared machine, spinning threads slow LightGBM several-fold.
            env={**os.environ, "OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"},
        )
        if proc.returncode != 0:
            raise RuntimeError(f"reference failed on {bench.name}: {proc.stderr[-2000:]}")
        name = bench.reference[0]
        point = pd.read_csv(Path(tmp) / f"{name}_point.csv", index_col=0)
        quantile = pd.read_csv(Path(tmp) / f"{name}_quantile.csv", index_col=0).iloc[:, 0]
    methods = {
        method: {
            "mase": float(row["MASE"]),
            "rmsse": float(row["RMSSE"]),
            "wape": float(row["WAPE"]),
            "bias": float(row["Bias"]),
            "pairs": int(row["n"]),
        }
        for method, row in point.iterrows()
    }
    return {
        "methods": methods,
        "quantile_coverage_80": float(quantile["Cov80"]),
        "wall_s": time.perf_counter() - t0,
        "output": proc.stdout,
    }


def _row(m: dict[str, Any]) -> str:
    cov = m["coverage_80"] or 0.0
    return f"rmsse {m['rmsse']:.4f} wape {m['wape']:.4f} bias {m['bias']:+.4f} cov80 {cov:.3f}"


def log_experiment(
    tag: str, results: dict[str, dict[str, Any]], hp: dict[str, Any], feats: dict[str, Any]
) -> None:
    """Append one development run to bench/out/experiments.jsonl."""
    line = {
        "tag": tag,
        "hp": hp,
        "features": feats,
        "load": os.getloadavg()[0],
        "sets": {
            _logged(n, r["windows"]): {
                k: r["metrics"]["model"][k] for k in ("rmsse", "wape", "bias", "coverage_80")
            }
            for n, r in results.items()
        },
    }
    with (OUT / "experiments.jsonl").open("a") as fh:
        fh.write(json.dumps(line) + "\n")


def _logged(name: str, windows: str) -> str:
    """A set's key in the log: its name on the development windows, ``name@windows`` on others."""
    return name if windows == "development" else f"{name}@{windows}"


def rank(path: Path = OUT / "experiments.jsonl") -> str:
    """Mean rank (RMSSE and WAPE over the sets and windows) of every logged tag, from its latest run of each.
    Tags without every set logged are listed after the ranked ones, ranked only where they ran."""
    runs: dict[str, dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        run = json.loads(line)
        runs.setdefault(run["tag"], {}).update(run["sets"])
    table = pd.DataFrame(
        {
            tag: {f"{n}.{k}": v[k] for n, v in sorted(sets.items()) for k in ("rmsse", "wape")}
            for tag, sets in runs.items()
        }
    ).T
    ranks = table.rank(axis=0, method="average")
    table["complete"] = table.notna().all(axis=1)
    table["mean_rank"] = ranks.mean(axis=1)
    return table.sort_values(["complete", "mean_rank"], ascending=[False, True]).round(4).to_string()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--windows", default="evaluation", choices=("evaluation", *CHOOSING))
    parser.add_argument("--reference", help="python of the reference's own venv (evaluation windows)")
    parser.add_argument("--hp", action="append", default=[], help="[D:|W:]key=value over the defaults")
    parser.add_argument("--feature", action="append", default=[], help="[D:|W:]key=JSON over FeatureConfig")
    parser.add_argument("--no-baselines", action="store_true", help="the model only (experiments)")
    parser.add_argument("--tag", help="log this development run to bench/out/experiments.jsonl")
    parser.add_argument("--rank", action="store_true", help="print the mean ranks of the logged runs")
    parser.add_argument("--write", action="store_true", help="rebuild bench/accuracy/RESULTS.md")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.rank:
        print(rank())
        return 0
    names = args.sets.split(",")
    unknown = set(names) - set(SETS)
    if unknown:
        parser.error(f"unknown sets {sorted(unknown)}")
    if args.reference and args.windows != "evaluation":
        parser.error("--reference runs on the evaluation windows only")
    if args.tag and args.windows not in CHOOSING:
        parser.error(
            "--tag logs development and year-ago runs only: defaults are never chosen on evaluation windows"
        )
    hp = parse_hp(args.hp)
    feats = {k: json.loads(v) for k, v in parse_hp(args.feature).items()}
    results = {}
    for name in names:
        bench = SETS[name]
        result = run_set(bench, args.windows, hp, feats, baselines=not args.no_baselines)
        result["load_average"] = os.getloadavg()
        if args.reference:
            result["reference"] = run_reference(bench, args.reference)
            result["bars"] = bars(result, result["reference"])
        results[name] = result
        suffix = "" if args.windows == "evaluation" else f"-{args.windows}"
        (OUT / f"accuracy-{name}{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(f"{name}: {_row(result['metrics']['model'])} ({result['wall_s']:.0f} s)", flush=True)
    if args.tag:
        log_experiment(args.tag, results, hp, feats)
    if args.write:
        write_results(OUT, ROOT / "bench" / "accuracy" / "RESULTS.md", platform.python_version())
    return 0


if __name__ == "__main__":
    sys.exit(main())
