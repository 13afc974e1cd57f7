"""``warecast tune``: choose hyperparameters by the backtest metric, on windows before the evaluation windows.

The tuning windows are the last ``tuning_origins`` windows of the data cut at the first EVALUATION origin (the
first of the ``origins`` windows ``warecast backtest``/``train`` score), so tuning never sees what the model
is later judged on. Search: the defaults first, then seeded random draws from :data:`SPACE`; the score is the
model's mean RMSSE, ties broken by WAPE. The winner is written as JSON for ``--params``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from model.backtest import evaluation_origins, run_backtest
from model.data import load_panel
from model.evaluate import parse_hp
from model.features import FeatureConfig
from model.gbm import GlobalModel, Hyperparameters
from model.panel import FREQS, Panel, default_horizon

__all__ = ["SPACE", "tune", "main"]

#: Values each searched hyperparameter may take.
SPACE: dict[str, list[Any]] = {
    "learning_rate": [0.04, 0.06, 0.1],
    "max_iter": [150, 250, 400],
    "max_leaf_nodes": [15, 31, 63],
    "min_samples_leaf": [40, 100, 200],
    "l2_regularization": [0.0, 1.0, 5.0],
    "weight_power": [0.0, 0.5, 1.0],
}


def tune(
    panel: Panel,
    horizon: int,
    origins: int,
    tuning_origins: int,
    trials: int,
    base: dict[str, Any],
    seed: int = 0,
) -> dict[str, Any]:
    """Search and return {"best": params, "trials": [...], "cutoff": ...}."""
    first_eval = evaluation_origins(panel.n_periods, horizon, origins)[0]
    cut = panel.truncate(first_eval, 0)
    config = FeatureConfig.default(panel.freq, horizon)
    rng = np.random.default_rng(seed)
    candidates = [dict(base)]
    for _ in range(max(trials - 1, 0)):
        candidates.append({**base, **{k: v[rng.integers(len(v))] for k, v in SPACE.items()}})
    results = []
    for i, cand in enumerate(candidates):
        params = Hyperparameters.for_freq(panel.freq, **cand)
        res = run_backtest(
            cut,
            horizon,
            tuning_origins,
            lambda p, ps=params: GlobalModel(config, ps).fit(p),
            baselines=False,
            seed=seed,
        )
        row = res["metrics"]["model"]
        results.append(
            {
                "params": params.as_dict(),
                "rmsse": row["rmsse"],
                "wape": row["wape"],
                "coverage_80": row["coverage_80"],
            }
        )
        print(
            f"trial {i + 1}/{len(candidates)}: rmsse={row['rmsse']:.4f} wape={row['wape']:.4f} {cand}",
            file=sys.stderr,
            flush=True,
        )
    best = min(results, key=lambda r: (r["rmsse"], r["wape"]))
    return {
        "best": best["params"],
        "score": {k: best[k] for k in ("rmsse", "wape", "coverage_80")},
        "tuning_windows_end": str(cut.end[0]),
        "trials": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--freq", default="D", choices=FREQS)
    parser.add_argument("--horizon", type=int)
    parser.add_argument("--origins", type=int, default=4, help="evaluation windows kept out of tuning")
    parser.add_argument("--tuning-origins", type=int, default=2, help="windows scored per trial")
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hp", action="append", default=[], help="fixed hyperparameter key=value")
    parser.add_argument("--out", type=Path, help="write the best hyperparameters here (JSON)")
    parser.add_argument("--json", action="store_true", help="print every trial as JSON")
    args = parser.parse_args(argv)
    horizon = args.horizon or default_horizon(args.freq)
    try:
        panel, _ = load_panel(args.data, args.freq)
        out = tune(
            panel, horizon, args.origins, args.tuning_origins, args.trials, parse_hp(args.hp), args.seed
        )
    except (ValueError, FileNotFoundError) as err:
        print(f"tune: {err}", file=sys.stderr)
        return 2
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out["best"], indent=2) + "\n")
    print(json.dumps(out if args.json else {"best": out["best"], "score": out["score"]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
