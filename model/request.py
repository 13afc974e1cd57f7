"""Parse and check an endpoint request (schemas/endpoint.schema.json) into a :class:`~model.panel.Panel`.

The SageMaker container has no ``jsonschema``, so the handler checks the request by hand, with the bounds
of :mod:`model.contracts` (generated from the schema); the tests check that what this module accepts
and rejects agrees with the JSON Schema. Every error is a :class:`RequestError` naming the field, which the
handler maps to HTTP 400.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model import contracts as lim
from model.panel import Panel, default_horizon, step_days

__all__ = ["RequestError", "ForecastRequest", "Window", "parse_request", "quantile_key", "MAX_HISTORY"]

#: History periods read per series (longer histories are cut): enough for yearly lags.
MAX_HISTORY = {"D": 400, "W": 160}
_REQUEST_KEYS = set(lim.REQUEST_KEYS)
# ASCII: JSON Schema patterns are ECMA-262, whose \d is 0-9 only.
_DATE = re.compile(lim.DATE_PATTERN, re.ASCII)


class RequestError(ValueError):
    """The request breaks the endpoint contract; the message names the field."""


@dataclass(frozen=True)
class Window:
    """Steps ``start..end`` (1-based, inclusive) of the horizon."""

    name: str
    start: int
    end: int


@dataclass
class ForecastRequest:
    """A checked request: settings plus the series as a panel with ``horizon`` known-ahead columns."""

    freq: str
    horizon: int
    quantiles: list[float]
    windows: list[Window]
    num_samples: int
    seed: int
    panel: Panel
    starts: list[dt.date] = field(default_factory=list)


def quantile_key(level: float) -> str:
    """The response key of a quantile level: the shortest round-trip decimal (same as JavaScript String)."""
    return repr(float(level))


def _fail(path: str, why: str) -> RequestError:
    return RequestError(f"{path}: {why}")


def _integer(value: Any) -> int | None:
    """``value`` as an int when JSON Schema calls it an integer (7 and 7.0, never true), else None."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _int(body: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = body.get(key, default)
    number = _integer(value)
    if number is None or not lo <= number <= hi:
        raise _fail(key, f"must be an integer in [{lo}, {hi}], got {value!r}")
    return number


_NONE = type(None)
_NO_DAYS = np.empty(0)
_ALLOWED = {"bool": {bool, _NONE}, "number": {int, float, _NONE}, "price": {int, float, _NONE}}


def _numbers(values: Any, path: str, kind: str) -> np.ndarray:
    """A JSON array of numbers (or booleans) and nulls as floats, null = NaN; errors name the element.

    A whole array is checked at once (the element types as a set, then finiteness and sign in numpy): a
    100-series request carries half a million values. Only a bad array is walked element by element, to name
    the first bad one.
    """
    if not isinstance(values, list):
        raise _fail(path, "must be an array")
    types = set(map(type, values))
    if types <= _ALLOWED[kind]:
        nulls = np.fromiter((v is None for v in values), bool, len(values)) if _NONE in types else None
        try:
            out = np.array(values if nulls is None else [0 if v is None else v for v in values], dtype=float)
        except OverflowError:  # an integer beyond float range: named below
            return _first_bad(values, path, kind)
        if kind == "bool" or (np.isfinite(out).all() and (kind != "price" or (out >= 0).all())):
            if nulls is not None:
                out[nulls] = np.nan
            return out
    return _first_bad(values, path, kind)


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer too large for a float
        return False


def _first_bad(values: list[Any], path: str, kind: str) -> np.ndarray:
    """Element by element: raises naming the first value that breaks the contract (or returns the floats)."""
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if v is None:
            continue
        if kind == "bool":
            if not isinstance(v, bool):
                raise _fail(f"{path}[{i}]", f"must be true, false or null, got {v!r}")
            out[i] = float(v)
        else:
            if isinstance(v, bool) or not isinstance(v, int | float) or not _finite(v):
                raise _fail(f"{path}[{i}]", f"must be a finite number or null, got {v!r}")
            if kind == "price" and v < 0:
                raise _fail(f"{path}[{i}]", f"must be >= 0, got {v!r}")
            out[i] = float(v)
    return out


def _quantiles(body: dict[str, Any]) -> list[float]:
    levels = body.get("quantiles", [0.1, 0.5, 0.9])
    lo, hi = lim.QUANTILES
    if not isinstance(levels, list) or not lo <= len(levels) <= hi:
        raise _fail("quantiles", f"must be an array of {lo} to {hi} levels")
    for q in levels:
        if isinstance(q, bool) or not isinstance(q, int | float) or not 0 < q < 1:
            raise _fail("quantiles", f"levels must be numbers strictly between 0 and 1, got {q!r}")
    if len(set(levels)) != len(levels):
        raise _fail("quantiles", "levels must be unique")
    return [float(q) for q in levels]


def _windows(body: dict[str, Any], horizon: int) -> list[Window]:
    raw = body.get("windows", [])
    if not isinstance(raw, list) or len(raw) > lim.MAX_WINDOWS:
        raise _fail("windows", f"must be an array of at most {lim.MAX_WINDOWS} windows")
    out = []
    for i, w in enumerate(raw):
        path = f"windows[{i}]"
        if not isinstance(w, dict) or set(w) != set(lim.WINDOW_KEYS):
            raise _fail(path, "must be an object with exactly name, start and end")
        name = w["name"]
        lo, hi = lim.WINDOW_NAME
        if not isinstance(name, str) or not lo <= len(name) <= hi:
            raise _fail(f"{path}.name", f"must be a string of {lo} to {hi} characters")
        start, end = _integer(w["start"]), _integer(w["end"])
        for key, value in (("start", start), ("end", end)):
            if value is None:
                raise _fail(f"{path}.{key}", f"must be an integer, got {w[key]!r}")
        if not lim.WINDOW_STEP_MIN <= start <= end <= horizon:
            raise _fail(path, f"needs 1 <= start <= end <= horizon ({horizon}), got {start}..{end}")
        out.append(Window(name, start, end))
    return out


def _series_arrays(s: Any, i: int, freq: str) -> dict[str, Any]:
    path = f"series[{i}]"
    if not isinstance(s, dict) or not set(s) <= set(lim.SERIES_KEYS) or "history" not in s:
        raise _fail(path, "must be an object with id, history and optional future")
    sid = s.get("id")
    lo, hi = lim.SERIES_ID
    if not isinstance(sid, str) or not lo <= len(sid) <= hi:
        raise _fail(f"{path}.id", f"must be a string of {lo} to {hi} characters")
    hist = s["history"]
    allowed = set(lim.HISTORY_KEYS)
    if not isinstance(hist, dict) or not set(hist) <= allowed or "units" not in hist or "start" not in hist:
        raise _fail(f"{path}.history", f"must be an object with start, units and optional {sorted(allowed)}")
    try:
        # fromisoformat alone also takes 20180101 and 2018-W01-1, which the contract does not.
        if not _DATE.search(hist["start"]):
            raise ValueError
        start = dt.date.fromisoformat(hist["start"])
    except (TypeError, ValueError):
        raise _fail(f"{path}.history.start", f"must be a date YYYY-MM-DD, got {hist['start']!r}") from None
    units = _numbers(hist["units"], f"{path}.history.units", "number")
    n = len(units)
    if n > lim.MAX_HISTORY_PERIODS:
        raise _fail(f"{path}.history.units", f"must have at most {lim.MAX_HISTORY_PERIODS} periods")
    arrays: dict[str, Any] = {"id": sid, "start": start, "units": units}
    for key, kind in (("promo", "bool"), ("price", "price"), ("stockout", "bool"), ("closed", "bool")):
        if key not in hist:  # unknown on every day: the panel's default (parse_request)
            arrays[key] = None
            continue
        values = _numbers(hist[key], f"{path}.history.{key}", kind)
        if len(values) != n:
            raise _fail(f"{path}.history.{key}", f"must have the length of units ({n}), got {len(values)}")
        arrays[key] = values
    future = s.get("future", {})
    if not isinstance(future, dict) or not set(future) <= set(lim.FUTURE_KEYS):
        raise _fail(f"{path}.future", "must be an object with optional promo and price")
    for key, kind in (("promo", "bool"), ("price", "price")):
        arrays[f"future_{key}"] = (
            _numbers(future[key], f"{path}.future.{key}", kind) if key in future else _NO_DAYS
        )
    return arrays


def parse_request(body: Any) -> ForecastRequest:
    """Check ``body`` (the decoded JSON) against the contract and build the panel the models read."""
    if not isinstance(body, dict):
        raise _fail("request", "must be a JSON object")
    unknown = set(body) - _REQUEST_KEYS
    if unknown:
        raise _fail("request", f"unknown fields {sorted(unknown)}")
    freq = body.get("freq", "D")
    if freq not in lim.FREQS:
        raise _fail("freq", f"must be one of {lim.FREQS}, got {freq!r}")
    horizon = _int(body, "horizon", default_horizon(freq), *lim.HORIZON)
    quantiles = _quantiles(body)
    windows = _windows(body, horizon)
    num_samples = _int(body, "num_samples", 0, *lim.NUM_SAMPLES)
    seed = _int(body, "seed", 0, *lim.SEED)
    raw = body.get("series")
    lo, hi = lim.SERIES
    if not isinstance(raw, list) or not lo <= len(raw) <= hi:
        raise _fail("series", f"must be an array of {lo} to {hi} series")
    items = [_series_arrays(s, i, freq) for i, s in enumerate(raw)]
    for i, item in enumerate(items):
        for key in ("future_promo", "future_price"):
            if len(item[key]) > horizon:
                raise _fail(f"series[{i}].future.{key[7:]}", f"covers at most horizon ({horizon}) steps")
    width = max(1, min(MAX_HISTORY[freq], max(len(item["units"]) for item in items)))
    n = len(items)
    y = np.full((n, width), np.nan)
    stockout = np.zeros((n, width), dtype=bool)
    promo = np.full((n, width + horizon), np.nan)
    price = np.full((n, width + horizon), np.nan)
    ends = []
    for r, item in enumerate(items):
        length = len(item["units"])
        take = min(length, width)
        sl = slice(length - take, length)
        dst = slice(width - take, width)
        # An absent array leaves the panel's default: not closed, not stocked out, promo and price unknown.
        units = item["units"][sl]
        y[r, dst] = units if item["closed"] is None else np.where(item["closed"][sl] == 1.0, np.nan, units)
        if item["stockout"] is not None:
            stockout[r, dst] = item["stockout"][sl] == 1.0
        for key, out in (("promo", promo), ("price", price)):
            if item[key] is not None:
                out[r, dst] = item[key][sl]
            future = item[f"future_{key}"]
            if len(future):
                out[r, width : width + len(future)] = future
        end = item["start"] + dt.timedelta(days=(length - 1) * step_days(freq))
        ends.append(np.datetime64(end if length else item["start"] - dt.timedelta(days=step_days(freq)), "D"))
    panel = Panel(
        ids=[item["id"] for item in items],
        freq=freq,
        end=np.array(ends, dtype="datetime64[D]"),
        y=y,
        stockout=stockout,
        promo=promo,
        price=price,
    )
    return ForecastRequest(freq, horizon, quantiles, windows, num_samples, seed, panel)
