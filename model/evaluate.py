"""``warecast backtest``: the built-in rolling-origin backtest on any long CSV (or demand_daily Parquet).

Usage: ``python -m model.evaluate --data FILE [--freq D|W] [--horizon N] [--origins K] [--refit first|every]
[--json] [--hp key=value ...] [--inventory [--lead-time L] [--review-period R] [--service-level A]]``.
The origins are the last K non-overlapping windows of length N; the model is fitted once before the
first (default) or again at every origin. Prints the settings, a table of the model against naive, seasonal
naive and ETS, and the notes: series with short histories, series per fallback method (or the full result as
JSON). ``--inventory`` also replays the windows under the replenishment advice and two simple alternatives
(model.inventory) and prints their service levels and stock.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from model.backtest import run_backtest
from model.data import load_panel
from model.features import FeatureConfig
from model.gbm import GlobalModel, Hyperparameters
from model.inventory import inventory_text
from model.panel import FREQS, Panel, default_horizon
from model.params import read_params
from model.replenishment import PolicyInputs
from model.report import notes_text, settings_text, table_text

__all__ = ["main", "parse_hp", "backtest_file", "backtest_panel"]


def parse_hp(pairs: list[str], params_file: Path | None = None) -> dict[str, Any]:
    """Hyperparameters from a tuned-hyperparameters document (model/params.py), then ``key=value`` pairs
    over it."""
    out: dict[str, Any] = read_params(params_file) if params_file else {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--hp expects key=value, got {pair!r}")
        out[key.strip().replace("-", "_")] = value.strip()
    return out


def backtest_file(
    data: Path,
    freq: str,
    horizon: int,
    origins: int,
    hp: dict[str, Any],
    refit: str = "first",
    inventory: PolicyInputs | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load ``data`` and run the backtest; returns (result with its hyperparameters, load report)."""
    panel, report = load_panel(data, freq)
    params = Hyperparameters.for_freq(freq, **hp)
    result = backtest_panel(panel, horizon, origins, params, refit, inventory=inventory)
    return {**result, "hyperparameters": params.as_dict()}, report.as_dict()


def backtest_panel(
    panel: Panel,
    horizon: int,
    origins: int,
    params: Hyperparameters,
    refit: str = "first",
    config: FeatureConfig | None = None,
    baselines: bool = True,
    jobs: int | None = None,
    inventory: PolicyInputs | None = None,
) -> dict[str, Any]:
    """The backtest of the global model with ``params`` and ``config`` (default: the default features for the
    panel's frequency)."""
    config = config or FeatureConfig.default(panel.freq, horizon)

    def fit(p: Panel) -> GlobalModel:
        return GlobalModel(config, params).fit(p)

    return run_backtest(
        panel,
        horizon,
        origins,
        fit,
        refit=refit,
        seed=params.seed,
        baselines=baselines,
        jobs=jobs,
        inventory=inventory,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="long CSV or demand_daily Parquet")
    parser.add_argument("--freq", default="D", choices=FREQS)
    parser.add_argument("--horizon", type=int, help="periods per window (default 28 daily, 13 weekly)")
    parser.add_argument("--origins", type=int, default=4, help="number of windows (default 4)")
    parser.add_argument(
        "--refit", default="first", choices=("first", "every"), help="fit once, or at every origin"
    )
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument("--hp", action="append", default=[], help="hyperparameter key=value (repeatable)")
    parser.add_argument("--params", type=Path, help="JSON file of hyperparameters (e.g. from tune)")
    defaults = PolicyInputs()
    parser.add_argument("--inventory", action="store_true", help="also run the inventory-policy backtest")
    parser.add_argument("--lead-time", type=int, default=defaults.lead_time_days, help="days (default 7)")
    parser.add_argument(
        "--review-period", type=int, default=defaults.review_period_days, help="days (default 7)"
    )
    parser.add_argument(
        "--service-level",
        type=float,
        default=defaults.service_level,
        help="target cycle service level (0.95)",
    )
    args = parser.parse_args(argv)
    horizon = args.horizon or default_horizon(args.freq)
    try:
        inventory = (
            PolicyInputs(args.lead_time, args.review_period, args.service_level) if args.inventory else None
        )
        result, report = backtest_file(
            args.data, args.freq, horizon, args.origins, parse_hp(args.hp, args.params), args.refit, inventory
        )
    except (ValueError, FileNotFoundError) as err:
        print(f"backtest: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"data": report, **result}, indent=2))
    else:
        reasons = ", ".join(f"{k}: {v}" for k, v in report["rejected"].items())
        rejected = sum(report["rejected"].values())
        print(
            f"data: {report['rows_in']} rows in, {rejected} rejected{f' ({reasons})' if reasons else ''}, "
            f"{report['rows_out']} used; {report['series']} series x {report['periods']} periods"
        )
        print(settings_text(result, result["hyperparameters"]))
        print(table_text(result))
        notes = notes_text(result)
        if notes:
            print(notes)
        if "inventory" in result:
            print(inventory_text(result["inventory"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
