"""The fast path (etl/typed_decoder.py) only ever vouches for lines the full rules (etl/records.py) accept,
with the same values; and it does vouch for plain valid events (else it would be dead weight). Checked many
lines at a time (``check_fast_lines``, as etl/raw_objects.py checks objects), it vouches for exactly the lines
it vouches for one at a time, with the same values, whatever their neighbours."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl import raw_objects
from etl.raw_objects import CHECKED_SCHEMA, _accept, _check_object, _reject, _typed_columns, arrival_of
from etl.records import RecordChecker, instant, object_lines
from etl.schema_rules import compile_schema, load_limits, load_schema
from etl.typed_decoder import typed_decoder
from tests.python.etl.conftest import SCHEMA, event, gzip_lines
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
    by_fast = _typed_columns("s", CHECKER.check_fast_lines([line], LATEST), 1)
    return all(_same(by_full[name][0], by_fast[name][0]) for name in by_full)


def batch_agrees(checker: RecordChecker, lines: list[bytes], latest: int) -> bool:
    """True when checking ``lines`` together vouches for exactly the lines ``check_fast`` vouches for one at a
    time, with the same values, both with the object's own byte scan (``plain_bytes``) and without it."""
    one_by_one = [checker.check_fast(line, latest) for line in lines]
    vouched = [i for i, record in enumerate(one_by_one) if record is not None]
    plain = object_lines(gzip_lines(lines)).plain_bytes
    for plain_bytes in {False, plain}:
        batch = checker.check_fast_lines(lines, latest, plain_bytes)
        if batch.indexes != vouched:
            return False
        for k, i in enumerate(vouched):
            record = one_by_one[i]
            if batch.occurred_us[k] != instant(record.occurred_at):
                return False
            if not all(_same(batch.columns[n][k], getattr(record, n)) for n in checker.typed.fields):
                return False
    return True


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


_VALID_LINE = json.dumps(_GOOD, separators=(",", ":")).encode()


@st.composite
def _neighbours(draw) -> list[bytes]:
    """Lines that, joined, would read as other lines: values split across lines or run together, blank and
    whitespace lines, braces inside strings at a line's end."""
    cut = draw(st.integers(1, len(_VALID_LINE) - 1))
    return draw(
        st.sampled_from(
            [
                [_VALID_LINE[:cut], _VALID_LINE[cut:]],
                [_VALID_LINE + _VALID_LINE],
                [_VALID_LINE + b" " + _VALID_LINE],
                [b"", b"{", b"}", b"{}", b" ", b"\t"],
                [b" " + _VALID_LINE, _VALID_LINE + b" ", _VALID_LINE + b"\r"],
                [_VALID_LINE.replace(b'"e1"', b'"e1}"'), _VALID_LINE.replace(b'"e1"', b'"}\\n{"')],
                [_VALID_LINE.replace(b'"W1"', b'"W1\\u0031"'), _VALID_LINE.replace(b'"W1"', b'"W\xc3\xa9"')],
            ]
        )
    )


def _without(record: dict, *names: str) -> dict:
    return {k: v for k, v in record.items() if k not in names}


_RULE_EDGES = [
    json.dumps(record).encode()
    for record in (
        _without(_GOOD, "quantity"),
        {**_without(_GOOD, "quantity"), "on_hand": 1},
        _without(_SNAPSHOT, "on_hand"),
        {**_without(_SNAPSHOT, "on_hand"), "quantity": 1},
        {**_GOOD, "event_type": "return", "quantity": 0},
        {**_GOOD, "sku": "a b"},
        {**_GOOD, "warehouse_id": ""},
        {**_GOOD, "currency": "eur"},
        {**_GOOD, "currency": "EUR"},
        {**_GOOD, "occurred_at": "2024-03-01T10:00:00"},
        {**_GOOD, "occurred_at": "2024-03-01T10:00:00.5-23:59"},
    )
]
_any_lines = st.lists(
    st.one_of(
        _near_valid().map(lambda line: [line]),
        st.sampled_from(_RULE_EDGES).map(lambda line: [line]),
        _record_line().map(lambda text: [text.encode()]),
        st.just([_VALID_LINE]),
        _neighbours(),
    ),
    min_size=1,
    max_size=40,
).map(lambda groups: [line for group in groups for line in group])
_LATEST_EDGES = [LATEST, instant("2024-03-01T10:00:00Z"), instant("2024-03-01T08:59:59.999999Z")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_any_lines, latest=st.sampled_from(_LATEST_EDGES))
def test_lines_checked_together_are_vouched_for_as_one_by_one(lines, latest):
    assert batch_agrees(CHECKER, lines, latest)


def test_lines_checked_together_decline_what_each_line_declines_at_the_edges():
    limit = CHECKER.typed.max_line_bytes
    padded = [
        _VALID_LINE[:-1] + b',"event_id":"' + b"p" * (size - len(_VALID_LINE) - 14) + b'"}'
        for size in (limit - 1, limit, limit + 1)
    ]
    assert [len(line) for line in padded] == [limit - 1, limit, limit + 1]
    lines = [_VALID_LINE, *padded, _VALID_LINE]
    assert batch_agrees(CHECKER, lines, LATEST)
    # event_id's maxLength declines all three; with an unbounded field the shortest is taken, the others not.
    schema = json.loads(json.dumps(_SCHEMA))
    del schema["properties"]["event_id"]["maxLength"]
    unbounded = RecordChecker(compile_schema(schema), load_limits(schema))
    assert unbounded.check_fast_lines(lines, LATEST).indexes == [0, 1, 4]
    assert batch_agrees(unbounded, lines, LATEST)


def test_conditions_of_other_shapes_are_checked_record_by_record_in_a_batch():
    schema = json.loads(json.dumps(_SCHEMA))
    schema["allOf"].append(
        {
            "if": {"required": ["promo"], "properties": {"promo": {"const": True}}},
            "then": {"required": ["currency"]},
        }
    )
    checker = RecordChecker(compile_schema(schema), load_limits(schema))
    assert checker.typed._conditions  # promo is boolean: not the lookup form
    lines = [
        json.dumps({**_GOOD, "promo": promo, **extra}).encode()
        for promo in (True, False)
        for extra in ({}, {"currency": "EUR"})
    ]
    assert checker.check_fast_lines(lines, LATEST).indexes == [1, 2, 3]
    assert batch_agrees(checker, lines, LATEST)


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


_SOURCE = "events/dt=2024-03-01/mixed.ndjson.gz"
_MODIFIED = datetime(2024, 3, 1, 12, tzinfo=UTC)


def _one_by_one(lines: list[bytes]) -> list[tuple]:
    """The rows of an object's lines checked one at a time (check_fast, else the full rules)."""
    latest = CHECKER.latest_us(arrival_of(_SOURCE, _MODIFIED))
    columns: dict[str, list] = {name: [] for name in CHECKED_SCHEMA.fieldNames()}
    for number, raw in enumerate(lines, start=1):
        record = CHECKER.check_fast(raw, latest)
        if record is None:
            verdict = CHECKER.check(raw, latest)
            if verdict.failures:
                _reject(columns, _SOURCE, number, verdict.failures, raw)
            else:
                _accept(columns, _SOURCE, number, verdict)
            continue
        for name in columns:
            columns[name].append(getattr(record, name, None))
        columns["source"][-1], columns["line"][-1] = _SOURCE, number
        columns["occurred_at"][-1] = instant(record.occurred_at)
    return _comparable(columns)


def _comparable(columns: dict[str, list]) -> list[tuple]:
    """Rows by line number, each value with its kind (so -0.0 differs from 0.0 and 1 from 1.0 and True)."""
    rows = zip(*columns.values(), strict=True)
    return sorted(
        (
            tuple((type(v).__name__, v, math.copysign(1, v) if type(v) is float else 0) for v in row)
            for row in rows
        ),
        key=lambda row: row[1][1],
    )


def _checked_together(lines: list[bytes]) -> list[tuple]:
    columns: dict[str, list] = {name: [] for name in CHECKED_SCHEMA.fieldNames()}
    for batch in _check_object(CHECKER, _SOURCE, _MODIFIED, gzip_lines(lines)):
        for name, values in batch.items():
            columns[name] += values
    return _comparable(columns)


_WINDOW_EDGES = [
    json.dumps({**_GOOD, "occurred_at": at}).encode()
    for at in (
        "2024-03-03T00:00:00Z",
        "2024-03-03T00:00:00.000001Z",
        "2000-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
    )
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_any_lines.map(lambda lines: lines + _WINDOW_EDGES), batch_rows=st.sampled_from([1, 3, 50_000]))
def test_an_object_checked_in_batches_yields_the_rows_and_reasons_of_its_lines_one_by_one(lines, batch_rows):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(raw_objects, "_BATCH_ROWS", batch_rows)
        together = _checked_together(lines)
    assert together == _one_by_one(lines)
    assert [row[1][1] for row in together] == list(range(1, len(lines) + 1))


def test_a_mixed_object_yields_the_rows_and_reasons_of_its_lines_one_by_one():
    valid = [json.dumps({**_GOOD, "event_id": f"e{i}", "sku": f"S{i % 5}"}).encode() for i in range(400)]
    hostile = [
        b'{"event_id": "broken",',
        b"",
        _VALID_LINE + _VALID_LINE,
        json.dumps({**_GOOD, "quantity": -1}).encode(),
        json.dumps({**_GOOD, "sku": "a b"}).encode(),
        json.dumps({k: v for k, v in _GOOD.items() if k != "quantity"}).encode(),
        json.dumps({**_GOOD, "attributes": {"a": 1}}).encode(),
        json.dumps({**_GOOD, "sku": "\u00e9"}, ensure_ascii=False).encode(),
        *_WINDOW_EDGES,
    ]
    lines = [
        line
        for i, line in enumerate(valid)
        for line in ([line, hostile[i % len(hostile)]] if i % 7 == 0 else [line])
    ]
    rows = _checked_together(lines)
    assert rows == _one_by_one(lines)
    reasons = Counter(row[2][1] for row in rows)
    assert reasons[None] > 400 and {
        "invalid_json",
        "minimum:quantity",
        "pattern:sku",
        "window:occurred_at",
    } <= set(reasons)
