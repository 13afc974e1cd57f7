"""The fast path (etl/typed_decoder.py) only ever vouches for lines the full rules (etl/records.py) accept,
with the same values; and it does vouch for plain valid events (else it would be dead weight)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.raw_objects import CHECKED_SCHEMA, _accept, _typed_columns
from etl.records import RecordChecker, instant
from etl.schema_rules import compile_schema, load_limits, load_schema
from etl.typed_decoder import typed_decoder
from tests.python.etl.conftest import SCHEMA, event
from tests.python.etl.test_schema_rules import _junk, _record_line, _timestamp

_SCHEMA = load_schema(SCHEMA)
CHECKER = RecordChecker(compile_schema(_SCHEMA), load_limits(_SCHEMA))
LATEST = instant("2100-01-01T00:00:00Z")


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal kind (-0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def agrees(line: bytes) -> bool:
    """True when the fast path declines ``line``, or the full rules accept it and its row (the columns
    etl/raw_objects.py hands to Spark) is the same either way."""
    fast = CHECKER.check_fast(line, LATEST)
    if fast is None:
        return True
    full = CHECKER.check(line, LATEST)
    if full.failures:
        return False
    by_full = {name: [] for name in CHECKED_SCHEMA.fieldNames()}
    _accept(by_full, "s", 1, full)
    by_fast = _typed_columns(CHECKER, "s", [fast], [1])
    return all(_same(by_full[name][0], by_fast[name][0]) for name in by_full)


_GOOD = event("e1", "sale", "2024-03-01T10:00:00Z", quantity=2, unit_price=1.5, promo=True)
_SNAPSHOT = event("e2", "inventory_snapshot", "2024-03-01T10:00:00+01:00", on_hand=4, on_order=0)
_edge_numbers = st.sampled_from(
    [0, -0, -0.0, 0.0, 1e-320, 2**53 - 1, 2**53, 2**53 + 1, -(2**53), 1e308, 10**400, 1.5, "1", True, None]
)


@st.composite
def _near_valid(draw) -> bytes:
    """A valid event with a few fields changed, dropped, repeated or added, in one of several spellings."""
    record = dict(draw(st.sampled_from([_GOOD, _SNAPSHOT])))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([*record, "quantity", "on_hand", "currency", "attributes", "extra"]))
        action = draw(st.integers(0, 5))
        if action == 0:
            record.pop(key, None)
        elif action == 1:
            record[key] = draw(_junk)
        elif action == 2:
            record[key] = draw(_edge_numbers)
        elif action == 3:
            record[key] = draw(_timestamp())
        elif action == 4:
            record[key] = draw(st.sampled_from(["W1", "sale", "EUR", "x\n", "a b", "", "\u00e9", "x" * 129]))
        else:
            record[key] = draw(st.sampled_from([{"a": [1]}, {"b": 1e308}, [], {}]))
    ascii_only = draw(st.booleans())
    text = json.dumps(
        record, separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])), ensure_ascii=ascii_only
    )
    spelling = draw(st.integers(0, 5))
    if spelling == 1 and len(record) > 1:  # a repeated key: the last one counts, as in Python's json
        first = next(iter(record))
        text = text[:-1] + f", {json.dumps(first)}: {json.dumps(draw(_junk))}" + "}"
    elif spelling == 2:
        text = f" {text}\t"
    elif spelling == 3:
        text = text.replace('"W1"', '"W\\u0031"').replace('"sale"', '"s\\/ale"')
    elif spelling == 4:
        text += draw(st.sampled_from(["", "x", "{}", " 1", "\r", "\r\r"]))
    line = text.encode()
    if spelling == 5:  # bytes that are not UTF-8, or a byte-order mark
        line = draw(st.sampled_from([line.replace(b"W1", b"W\xff"), b"\xef\xbb\xbf" + line, line + b"\x80"]))
    return line


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=st.one_of(_near_valid(), _record_line().map(str.encode)))
def test_the_fast_path_only_vouches_for_what_the_full_rules_accept(line):
    assert agrees(line)


def test_the_fast_path_takes_plain_valid_events_and_declines_the_rest():
    assert CHECKER.check_fast(json.dumps(_GOOD).encode(), LATEST) is not None
    assert CHECKER.check_fast(json.dumps(_SNAPSHOT).encode(), LATEST) is not None
    declined = [
        {**_GOOD, "quantity": -1},  # a rule broken
        {k: v for k, v in _GOOD.items() if k != "quantity"},  # a condition's requirement
        {**_GOOD, "attributes": {"a": 1}},  # a property it does not type
        {**_GOOD, "brand_new": 1},  # an unknown field
        {**_GOOD, "quantity": 2**53},  # beyond a double's exact integers
        {**_GOOD, "occurred_at": "2024-02-30T10:00:00Z"},  # not a calendar day (format, after the decode)
        {**_GOOD, "occurred_at": "1999-12-31T23:59:59Z"},  # the occurred_at window
        {**_GOOD, "sku": "\u00e9"},  # not ASCII
    ]
    for record in declined:
        line = json.dumps(record, ensure_ascii=False).encode()
        assert CHECKER.check_fast(line, LATEST) is None, record
        assert agrees(line)


def test_a_schema_shape_it_cannot_type_sends_every_line_to_the_full_rules():
    schema = json.loads(json.dumps(_SCHEMA))
    schema["properties"]["sku"] = {"description": "untyped"}
    assert typed_decoder(compile_schema(schema), 1000) is None  # sku is required and has no type
