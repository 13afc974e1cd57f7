"""``warecast tune``: choose hyperparameters by the backtest metric, on windows before the evaluation windows.

The tuning windows are the last ``tuning_origins`` windows of the data cut at the first EVALUATION origin (the
first of the ``origins`` windows ``warecast backtest``/``train`` score), so tuning never sees what the model
is later judged on. Search: the defaults first, then seeded random draws from :data:`SPACE`
(model/search_space.json, the space the SageMaker tuning job searches too); the score is the model's mean
RMSSE, ties broken by WAPE. The winner is written as the tuned-hyperparameters document (model/params.py) that
``--params`` and retraining read. :func:`tuning_score` is the objective a SageMaker tuning trial computes
(model/train.py with ``tuning_origins``).
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
from model.params import SPACE, params_document

__all__ = ["SPACE", "tune", "tuning_score", "main"]


def tuning_score(
    panel: Panel, horizon: int, origins: int, tuning_origins: int, params: Hyperparameters, seed: int = 0
) -> dict[str, Any]:
    """The model's scores on the tuning windows: the last ``tuning_origins`` windows of the data cut at the
    first of the ``origins`` evaluation windows: rmsse, wape, coverage_80 and tuning_windows_end."""
    first_eval = evaluation_origins(panel.n_periods, horizon, origins)[0]
    cut = panel.truncate(first_eval, 0)
    config = FeatureConfig.default(panel.freq, horizon)
    res = run_backtest(
        cut,
        horizon,
        tuning_origins,
        lambda p: GlobalModel(config, params).fit(p),
        baselines=False,
        seed=seed,
    )
    row = res["metrics"]["model"]
    return {
        "rmsse": row["rmsse"],
        "wape": row["wape"],
        "coverage_80": row["coverage_80"],
        "tuning_windows_end": str(cut.end[0]),
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
    """Search and return {"best": params, "tuned": searched and fixed values, "score", "trials", ...}."""
    rng = np.random.default_rng(seed)
    candidates = [dict(base)]
    for _ in range(max(trials - 1, 0)):
        candidates.append({**base, **{k: v[rng.integers(len(v))] for k, v in SPACE.items()}})
    results = []
    for i, cand in enumerate(candidates):
        params = Hyperparameters.for_freq(panel.freq, **cand)
        row = tuning_score(panel, horizon, origins, tuning_origins, params, seed)
        windows_end = row.pop("tuning_windows_end")
        # Searched values (the defaults' in the first trial) and fixed ones: what --params applies.
        tuned = {**{k: getattr(params, k) for k in SPACE}, **cand}
        results.append({"params": params.as_dict(), "tuned": tuned, **row})
        print(
            f"trial {i + 1}/{len(candidates)}: rmsse={row['rmsse']:.4f} wape={row['wape']:.4f} {cand}",
            file=sys.stderr,
            flush=True,
        )
    best = min(results, key=lambda r: (r["rmsse"], r["wape"]))
    return {
        "best": best["params"],
        "tuned": best["tuned"],
        "score": {k: best[k] for k in ("rmsse", "wape", "coverage_80")},
        "tuning_windows_end": windows_end,
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
    parser.add_argument("--out", type=Path, help="write the tuned-hyperparameters document here (JSON)")
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
        document = params_document(
            out["tuned"],
            out["score"]["rmsse"],
            source="local",
            scores=out["score"],
            tuningWindowsEnd=out["tuning_windows_end"],
            trials=len(out["trials"]),
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(out if args.json else {"best": out["best"], "score": out["score"]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
