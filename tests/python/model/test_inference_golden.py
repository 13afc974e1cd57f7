"""The endpoint answers real requests byte for byte as recorded: speed work must not move a forecast.

The requests are built from the bundled pasta sample (real sales and promotions) by plain arithmetic (no
random generator), so they are the same with every numpy version. tests/fixtures/endpoint-golden.json holds
the SHA-256 of the bootstrap model's response to each, recorded with the series-by-series inference code of
main a3fd091 (the same with numpy 1.26.4 and 2.1.0, .venv and .venv-container). When a forecast is meant to
change, record them again: ``.venv/bin/python tests/python/model/test_inference_golden.py --write``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from model.inference import invoke
from model.snaive import SeasonalNaiveForecaster

ROOT = Path(__file__).resolve().parents[3]
PASTA = ROOT / "data" / "sample" / "pasta" / "hierarchical_sales_data.csv"
GOLDEN = ROOT / "tests" / "fixtures" / "endpoint-golden.json"


def _columns() -> tuple[list[str], dict[str, list[float | None]], dict[str, list[bool | None]]]:
    with PASTA.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    dates = [r["DATE"] for r in rows]
    skus = [k[4:] for k in rows[0] if k.startswith("QTY_")]
    units = {s: [float(r[f"QTY_{s}"]) if r[f"QTY_{s}"] else None for r in rows] for s in skus}
    promo = {s: [r[f"PROMO_{s}"] == "1" if r[f"PROMO_{s}"] else None for r in rows] for s in skus}
    return dates, units, promo


def _daily(days: int, holes: bool, ragged: bool) -> list[dict[str, Any]]:
    """Every SKU's last ``days`` days; ``holes`` adds closed and stockout days and prices with gaps;
    ``ragged`` starts each series on a different day (some too short for seasonal intervals)."""
    dates, units, promo = _columns()
    out = []
    for i, sku in enumerate(units):
        cut = (i * 37) % (days - 5) if ragged else 0
        first = len(dates) - days + cut
        n = days - cut
        hist: dict[str, Any] = {
            "start": dates[first],
            "units": units[sku][first:],
            "promo": promo[sku][first:],
        }
        if holes:
            hist["closed"] = [(i + 3 * t) % 41 == 0 for t in range(n)]
            hist["stockout"] = [(7 * i + t) % 23 == 0 for t in range(n)]
            hist["price"] = [
                None if (i + t) % 11 == 0 else round(0.5 + ((i * t) % 250) / 100, 2) for t in range(n)
            ]
        out.append({"id": f"STORE1/{sku}", "history": hist})
    return out


def _weekly() -> list[dict[str, Any]]:
    """Every SKU summed by week (weeks starting on the first date), with a planned promo ahead."""
    dates, units, _ = _columns()
    out = []
    for i, (sku, values) in enumerate(units.items()):
        weeks = [sum(v or 0.0 for v in values[w : w + 7]) for w in range(0, len(values) - 6, 7)]
        future = {"promo": [(i + h) % 5 == 0 for h in range(6)], "price": [1.0 + i % 3] * 4}
        out.append({"id": f"STORE1/{sku}", "history": {"start": dates[0], "units": weeks}, "future": future})
    return out


@functools.cache
def requests() -> dict[str, dict[str, Any]]:
    """Named requests: the API's forecast call, windows and samples, holes, ragged starts, weekly, long."""
    daily = _daily(400, holes=False, ragged=False)
    return {
        "api-100-series": {"freq": "D", "horizon": 28, "quantiles": [0.1, 0.5, 0.9], "series": daily[:100]},
        "windows-samples": {
            "freq": "D",
            "horizon": 28,
            "quantiles": [0.9, 0.05, 0.5],
            "windows": [{"name": "lead", "start": 1, "end": 10}, {"name": "rest", "start": 5, "end": 28}],
            "num_samples": 20,
            "seed": 7,
            "series": daily,
        },
        "holes-90-days": {
            "freq": "D",
            "horizon": 90,
            "quantiles": [0.025, 0.25, 0.5, 0.75, 0.975],
            "windows": [{"name": "all", "start": 1, "end": 90}],
            "num_samples": 5,
            "seed": 1,
            "series": _daily(366, holes=True, ragged=False),
        },
        "ragged-starts": {
            "freq": "D",
            "horizon": 35,
            "quantiles": [0.5, 0.8],
            "windows": [{"name": "w", "start": 3, "end": 21}],
            "num_samples": 2,
            "seed": 3,
            "series": _daily(200, holes=True, ragged=True),
        },
        "long-history": {"freq": "D", "horizon": 14, "series": _daily(1500, holes=True, ragged=False)[:40]},
        "weekly": {
            "freq": "W",
            "horizon": 26,
            "quantiles": [0.1, 0.5, 0.9, 0.99],
            "windows": [{"name": "q", "start": 1, "end": 13}],
            "num_samples": 3,
            "seed": 5,
            "series": _weekly(),
        },
    }


def digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


@pytest.fixture(scope="module")
def golden() -> dict[str, dict[str, Any]]:
    return json.loads(GOLDEN.read_text())


def test_every_request_is_recorded(golden):
    assert sorted(golden) == sorted(requests())


@pytest.mark.parametrize("name", sorted(requests()))
def test_response_is_byte_identical_to_the_recorded_one(golden, name):
    body = json.dumps(requests()[name])
    status, out = invoke(
        SeasonalNaiveForecaster(version="golden"), body, "application/json", "application/json"
    )
    assert status == 200
    assert (len(out), digest(out)) == (golden[name]["bytes"], golden[name]["sha256"])


def test_flag_arrays_with_no_day_flagged_answer_as_absent_ones(golden):
    """The API leaves out stockout and closed arrays that flag no day (predict/forecast-service.ts)."""
    req = copy.deepcopy(requests()["api-100-series"])
    for i, s in enumerate(req["series"]):
        n = len(s["history"]["units"])
        s["history"]["stockout"] = [False] * n
        s["history"]["closed"] = [None if (i + t) % 3 == 0 else False for t in range(n)]
    model = SeasonalNaiveForecaster(version="golden")
    status, out = invoke(model, json.dumps(req), "application/json", "*/*")
    assert status == 200 and digest(out) == golden["api-100-series"]["sha256"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help=f"record the hashes in {GOLDEN.relative_to(ROOT)}"
    )
    args = parser.parse_args()
    if not args.write:
        parser.error("nothing to do without --write (pytest runs the checks)")
    model = SeasonalNaiveForecaster(version="golden")
    out = {}
    for name, req in requests().items():
        status, body = invoke(model, json.dumps(req), "application/json", "application/json")
        if status != 200:
            raise SystemExit(f"{name}: {status} {body}")
        out[name] = {"sha256": digest(body), "bytes": len(body)}
    GOLDEN.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
