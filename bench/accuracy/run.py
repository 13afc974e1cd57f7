"""Accuracy benchmark: the model vs seasonal naive and ETS in the issue's backtest setups, bars checked.

Usage: ``nice -n 10 .venv/bin/python -m bench.accuracy.run [--dataset pasta|walmart|all] [--write]``.
``--write`` updates bench/accuracy/RESULTS.md (the committed table); full JSON goes to bench/out/.
Walmart is read in place from ../shared/data/walmart (never copied into the repo).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import time
from pathlib import Path
from typing import Any

from bench.accuracy.datasets import ROOT, WALMART, pasta, walmart
from model.data import to_panel
from model.evaluate import backtest_panel
from model.gbm import Hyperparameters
from model.report import table_markdown

__all__ = ["SETUPS", "run", "bars", "main"]

#: dataset -> (loader, freq, horizon, origins, bars: min RMSSE and WAPE reduction vs seasonal naive)
SETUPS: dict[str, tuple[Any, str, int, int, dict[str, float]]] = {
    "pasta": (pasta, "D", 28, 4, {"rmsse": 0.40, "wape": 0.42}),
    "walmart": (walmart, "W", 13, 3, {"rmsse": 0.22, "wape": 0.18}),
}
COVERAGE = (0.77, 0.83)


def bars(result: dict[str, Any], want: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Each acceptance bar with the measured value and whether it passes."""
    rel = result["relative_to_seasonal_naive"]["model"]
    m, ets = result["metrics"]["model"], result["metrics"]["ets"]
    cov = m["coverage_80"]
    return {
        "rmsse_vs_seasonal_naive": {
            "want": f">= {want['rmsse']:.0%} lower",
            "got": rel["rmsse"],
            "pass": rel["rmsse"] >= want["rmsse"],
        },
        "wape_vs_seasonal_naive": {
            "want": f">= {want['wape']:.0%} lower",
            "got": rel["wape"],
            "pass": rel["wape"] >= want["wape"],
        },
        "rmsse_beats_ets": {
            "want": f"< {ets['rmsse']:.4f}",
            "got": m["rmsse"],
            "pass": m["rmsse"] < ets["rmsse"],
        },
        "wape_beats_ets": {"want": f"< {ets['wape']:.4f}", "got": m["wape"], "pass": m["wape"] < ets["wape"]},
        "coverage_80": {
            "want": f"{COVERAGE[0]:.0%}-{COVERAGE[1]:.0%}",
            "got": cov,
            "pass": COVERAGE[0] <= cov <= COVERAGE[1],
        },
    }


def run(name: str) -> dict[str, Any]:
    """Backtest one dataset with the default configuration for its frequency."""
    loader, freq, horizon, origins, want = SETUPS[name]
    t0 = time.perf_counter()
    panel = to_panel(loader(), freq)
    load_s = time.perf_counter() - t0
    params = Hyperparameters.for_freq(freq)
    t0 = time.perf_counter()
    # Refitted at every origin on the data up to it, as the scheduled retraining does in production.
    result = backtest_panel(panel, horizon, origins, params, refit="every")
    result["wall_s"] = time.perf_counter() - t0
    result["load_s"] = load_s
    result["bars"] = bars(result, want)
    result["hyperparameters"] = params.as_dict()
    return result


def _section(name: str, r: dict[str, Any]) -> str:
    s = r["setup"]
    lines = [
        f"## {name}: {s['series']} series, freq {s['freq']}, horizon {s['horizon']}, {s['origins']} origins",
        "",
        f"Windows: {', '.join(w['first'] + '..' + w['last'] for w in s['windows'])}. "
        f"Backtest wall time {r['wall_s']:.0f} s (model fit {r['timings']['fit_s']:.0f} s).",
        "",
        table_markdown(r),
        "",
        "| bar | wanted | measured | pass |",
        "|---|---|---|---|",
    ]
    for bar, v in r["bars"].items():
        got = f"{v['got']:.1%}" if "vs" in bar or "coverage" in bar else f"{v['got']:.4f}"
        lines.append(f"| {bar} | {v['want']} | {got} | {'yes' if v['pass'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy.run", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="all", choices=[*SETUPS, "all"])
    parser.add_argument("--write", action="store_true", help="update bench/accuracy/RESULTS.md")
    parser.add_argument("--skip-run", action="store_true", help="only rebuild RESULTS.md from bench/out/")
    args = parser.parse_args(argv)
    names = list(SETUPS) if args.dataset == "all" else [args.dataset]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name == "walmart" and not WALMART.exists():
            raise SystemExit(f"walmart data not found at {WALMART} (evaluation-only, read from ../shared)")
        if args.skip_run:
            continue
        result = run(name)
        (out / f"accuracy-{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(_section(name, result), flush=True)
    if args.write:
        # The table holds every dataset measured (each run writes its JSON to bench/out/).
        sections = [
            _section(name, json.loads((out / f"accuracy-{name}.json").read_text()))
            for name in SETUPS
            if (out / f"accuracy-{name}.json").exists()
        ]
        head = (
            f"# Accuracy benchmark results\n\nMeasured {dt.date.today()} on {platform.machine()} "
            f"(Python {platform.python_version()}), `python -m bench.accuracy.run --write`. Model: the "
            "defaults of model.gbm.Hyperparameters.for_freq, refitted at every origin on the data up to it "
            "(rolling origin with re-estimation, as scheduled retraining runs). Metrics: docs/model.md. "
            "`vs sn` = change against seasonal naive in the same backtest (negative = lower error).\n"
        )
        Path(ROOT / "bench" / "accuracy" / "RESULTS.md").write_text(
            head + "\n" + "\n\n".join(sections) + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
