"""model/request.py accepts exactly the requests schemas/endpoint.schema.json accepts (jsonschema is the
oracle), plus the rules the schema's description says JSON Schema cannot state. Its bounds come from the
schema (model/contracts.py, by scripts/model_contracts.py), and that module is what the generator makes
today."""

from __future__ import annotations

import copy
import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from model import contracts as lim
from model.panel import FREQS, default_horizon
from model.request import RequestError, parse_request

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("model_contracts_gen", ROOT / "scripts" / "model_contracts.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


@pytest.fixture(scope="module")
def oracle(endpoint_schema) -> Draft202012Validator:
    request = {"$defs": endpoint_schema["$defs"], **endpoint_schema["$defs"]["request"]}
    return Draft202012Validator(request, format_checker=FormatChecker())


def test_contracts_module_is_generated_from_the_schemas(endpoint_schema):
    """Run scripts/model_contracts.py after changing a schema."""
    metrics_schema = json.loads((ROOT / "schemas" / "training-metrics.schema.json").read_text())
    assert (ROOT / "model" / "contracts.py").read_text() == gen.module_text(endpoint_schema, metrics_schema)


def test_the_model_serves_every_frequency_the_schema_names():
    assert tuple(lim.FREQS) == FREQS


def _beyond_schema(body: dict[str, Any]) -> bool:
    """The rules the schema's description leaves to the handler: history arrays as long as units, future
    arrays within the horizon, windows within the horizon."""
    horizon = body.get("horizon", default_horizon(body.get("freq", "D")))
    for w in body.get("windows", []):
        if not w["start"] <= w["end"] <= horizon:
            return False
    for s in body["series"]:
        n = len(s["history"]["units"])
        if any(len(v) != n for k, v in s["history"].items() if k not in ("start", "units")):
            return False
        if any(len(v) > horizon for v in s.get("future", {}).values()):
            return False
    return True


def _accepted(body: Any) -> bool:
    try:
        parse_request(copy.deepcopy(body))
    except RequestError:
        return False
    return True


def _agree(oracle: Draft202012Validator, body: Any) -> None:
    expected = oracle.is_valid(body) and _beyond_schema(body)
    assert _accepted(body) == expected, (expected, [e.message for e in oracle.iter_errors(body)][:3])


# Mostly values the contract allows, sometimes one it does not: a request is valid often enough that a rule
# the checker adds or misses shows. Integral floats are integers to JSON Schema (7.0 is a valid horizon).
_JUNK = st.sampled_from([None, True, False, "7", 7.5, [], {}])


def _mostly(
    valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any], odds: int = 20
) -> st.SearchStrategy[Any]:
    """``invalid`` once in ``odds`` draws, else ``valid`` (a nested one_of would weigh its branches alike)."""
    return st.integers(1, odds).flatmap(lambda k: invalid if k == 1 else valid)


_small_int = st.one_of(st.integers(-1, 30), st.integers(-1, 30).map(float))
_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
_number = _mostly(
    st.one_of(st.none(), _finite, st.integers(-(10**6), 10**6)), st.sampled_from([True, "1", []]), odds=80
)
_flag = _mostly(st.one_of(st.none(), st.booleans()), st.sampled_from([0, 1, "true"]), odds=80)
_price = _mostly(
    st.one_of(st.none(), st.floats(0, 1e6), st.integers(0, 5)), st.sampled_from([-0.5, -1, "1"]), odds=80
)
_date = _mostly(
    st.sampled_from(["2018-01-01", "2016-02-29", "2018-12-31"]),
    st.sampled_from(["2018-02-30", "20180101", "2018-1-1", "2018-01-01T00:00", "２018-01-01", 7]),
    odds=4,
)
_text = st.text(st.sampled_from("ab/-é"), max_size=5)


@st.composite
def _series(draw: st.DrawFn) -> Any:
    n = draw(st.integers(0, 4))
    # Usually as long as units; sometimes not (the handler's rule).
    length = st.one_of(st.just(n), st.just(n), st.integers(0, 5))
    history: dict[str, Any] = {"start": draw(_date), "units": draw(st.lists(_number, min_size=n, max_size=n))}
    for key, values in (("promo", _flag), ("price", _price), ("stockout", _flag), ("closed", _flag)):
        if draw(st.booleans()):
            k = draw(length)
            history[key] = draw(st.lists(values, min_size=k, max_size=k))
    series: dict[str, Any] = {
        "id": draw(
            _mostly(st.text(st.sampled_from("ab/-é"), min_size=1, max_size=5), st.sampled_from(["", 1]))
        )
    }
    series["history"] = history
    if draw(st.booleans()):
        series["future"] = draw(
            st.fixed_dictionaries(
                {}, optional={"promo": st.lists(_flag, max_size=9), "price": st.lists(_price, max_size=9)}
            )
        )
    if draw(st.integers(0, 9)) == 0:
        draw(
            st.sampled_from(
                [
                    lambda s: s.pop("history"),
                    lambda s: s.pop("id"),
                    lambda s: s.update(x=1),
                    lambda s: s["history"].pop("start"),
                    lambda s: s["history"].update(x=1),
                    lambda s: s.update(future={"x": []}),
                ]
            )
        )(series)
    return series


_window = st.fixed_dictionaries(
    {
        "name": _mostly(st.text(st.sampled_from("ab"), min_size=1, max_size=3), st.sampled_from(["", 7])),
        "start": _small_int,
        "end": _small_int,
    },
    optional={"weight": st.just(1)},
)
_request = st.fixed_dictionaries(
    {"series": _mostly(st.lists(_series(), min_size=1, max_size=3), st.one_of(st.just([]), _JUNK))},
    optional={
        "freq": _mostly(st.sampled_from(["D", "W"]), st.sampled_from(["M", "d", 1])),
        "horizon": _mostly(_small_int, _JUNK),
        "quantiles": _mostly(
            st.lists(st.sampled_from([0.1, 0.5, 0.9, 0.25, 0.975]), min_size=1, max_size=4),
            st.lists(st.one_of(st.sampled_from([0, 1, 0.5, -0.1, 1.5]), _finite, _JUNK), max_size=4),
        ),
        "windows": _mostly(st.lists(_window, max_size=3), _JUNK),
        "num_samples": _mostly(_small_int, _JUNK),
        "seed": _mostly(st.integers(0, 2**64), st.one_of(st.just(-1), _JUNK)),
        "unknown": st.just(1),
    },
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_mostly(_request, _JUNK))
def test_request_checker_accepts_exactly_what_the_schema_accepts(oracle, body):
    _agree(oracle, body)


def _valid() -> dict[str, Any]:
    return {
        "horizon": 7,
        "series": [{"id": "WH1/SKU-1", "history": {"start": "2018-01-01", "units": [1, 2]}}],
    }


def _at(path: str, value: Any) -> dict[str, Any]:
    body = _valid()
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[last] = value
    return body


# Each bound the schema sets, at the limit and one past it (sizes Hypothesis's small lists never reach).
_BOUNDS = [
    ("horizon", lim.HORIZON[1]),
    ("horizon", lim.HORIZON[1] + 1),
    ("horizon", lim.HORIZON[0] - 1),
    ("num_samples", lim.NUM_SAMPLES[1]),
    ("num_samples", lim.NUM_SAMPLES[1] + 1),
    ("seed", lim.SEED[1]),
    ("seed", lim.SEED[1] + 1),
    ("quantiles", [round(0.001 * (i + 1), 3) for i in range(lim.QUANTILES[1])]),
    ("quantiles", [round(0.001 * (i + 1), 3) for i in range(lim.QUANTILES[1] + 1)]),
    ("windows", [{"name": "w", "start": 1, "end": 1}] * lim.MAX_WINDOWS),
    ("windows", [{"name": "w", "start": 1, "end": 1}] * (lim.MAX_WINDOWS + 1)),
    ("windows", [{"name": "w" * lim.WINDOW_NAME[1], "start": 1, "end": 1}]),
    ("windows", [{"name": "w" * (lim.WINDOW_NAME[1] + 1), "start": 1, "end": 1}]),
    ("series", [_valid()["series"][0]] * lim.SERIES[1]),
    ("series", [_valid()["series"][0]] * (lim.SERIES[1] + 1)),
    ("series.0.id", "x" * lim.SERIES_ID[1]),
    ("series.0.id", "x" * (lim.SERIES_ID[1] + 1)),
    ("series.0.history.units", [1.0] * lim.MAX_HISTORY_PERIODS),
    ("series.0.history.units", [1.0] * (lim.MAX_HISTORY_PERIODS + 1)),
    ("series.0.history.units", [math.pi, 10**300, -(10**300)]),
]


@pytest.mark.parametrize(("path", "value"), _BOUNDS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(_BOUNDS)])
def test_bounds_agree_with_the_schema(oracle, path, value):
    _agree(oracle, _at(path, value))
