"""The shared record rules (etl/records.py) on hostile lines, and reading broken gzip objects."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from etl.records import RecordChecker, object_lines
from etl.schema_rules import compile_schema, load_limits, load_schema
from tests.python.etl.conftest import SCHEMA, event, gzip_lines

_SCHEMA = load_schema(SCHEMA)
CHECKER = RecordChecker(compile_schema(_SCHEMA), load_limits(_SCHEMA))
ARRIVAL = datetime(2024, 3, 11, tzinfo=UTC)  # objects under dt=2024-03-10 arrived by then
GOOD = event("e1", "sale", "2024-03-01T10:00:00Z")


def reason(line: bytes | str) -> str | None:
    raw = line.encode("utf-8") if isinstance(line, str) else line
    failures = CHECKER.check(raw, CHECKER.latest_us(ARRIVAL)).failures
    return failures[0][0] if failures else None


def good_with(**fields) -> str:
    return json.dumps({**GOOD, **fields})


def test_a_valid_event_passes_and_its_instant_is_exact():
    checked = CHECKER.check(json.dumps(GOOD).encode(), CHECKER.latest_us(ARRIVAL))
    assert checked.failures == []
    plus = CHECKER.check(good_with(occurred_at="2024-03-01T10:00:00.1234567+23:59").encode(), 10**18)
    assert plus.occurred_us == int(datetime(2024, 2, 29, 10, 1, tzinfo=UTC).timestamp() * 1e6) + 123456


@pytest.mark.parametrize(
    ("line", "code"),
    [
        # Issue 20, case 6: invalid bytes are a reason, never replaced (two ids must not merge).
        (
            json.dumps(GOOD).replace('"e1"', '"e1\\u0000"').encode().replace(b"\\u0000", b"\xff"),
            "invalid_utf8",
        ),
        (b'{"event_id": "\xfe"}', "invalid_utf8"),
        # Case 7: one object per line, strict JSON, finite numbers, leap seconds, depth, BOM.
        (json.dumps(GOOD) + " " + json.dumps(GOOD), "invalid_json"),
        (json.dumps(GOOD).replace(", ", ",\r"), "line_break"),
        (good_with(occurred_at="2016-12-31T23:59:60Z"), "format:occurred_at"),
        ('{"a": ' * 1500 + "1" + "}" * 1500, "too_deep"),
        ('{"a": ' * 33 + "1" + "}" * 33, "too_deep"),
        (json.dumps(GOOD)[:-1] + ', "quantity": 1e400}', "finite:quantity"),
        (json.dumps(GOOD)[:-1] + ', "attributes": {"x": [1e999]}}', "finite:attributes"),
        (json.dumps(GOOD).replace('"', "'"), "invalid_json"),
        ("\ufeff" + json.dumps(GOOD), "invalid_json"),
        (json.dumps(GOOD)[:-1] + ', "x": NaN}', "invalid_json"),
        (good_with(event_id="\ud800"), "invalid_json"),
        # Cases 2 and 3: the occurred_at window (not before 2000, at most a day after arrival).
        (good_with(occurred_at="1899-12-31T23:00:00Z"), "window:occurred_at"),
        (good_with(occurred_at="9999-12-31T00:00:00Z"), "window:occurred_at"),
        (good_with(occurred_at="2200-01-01T00:00:00Z"), "window:occurred_at"),
        (good_with(occurred_at="2024-03-12T00:00:01Z"), "window:occurred_at"),
        (good_with(warehouse_id="W1\n"), "pattern:warehouse_id"),  # ECMA's $, as the producer's ajv
        (good_with(occurred_at="٢٠٢٤-03-01T10:00:00Z"), "pattern:occurred_at"),
        ("x" * 1_024_000, "too_large"),
        ("[1]", "not_object"),
        ("", "invalid_json"),
    ],
)
def test_hostile_lines_get_a_reason(line, code):
    assert reason(line) == code


def test_edges_that_stay_valid():
    assert reason(good_with(occurred_at="2024-03-12T00:00:00Z")) is None  # exactly a day after arrival
    assert reason(good_with(occurred_at="2000-01-01T00:00:00Z")) is None
    assert reason(json.dumps(GOOD).encode() + b"\r") is None  # CRLF line ends
    assert reason(good_with(event_id="\U0001f600", attributes={"deep": [[[1]]]})) is None
    assert reason(good_with(quantity=1.7976931348623157e308)) is None


def test_objects_are_split_on_newline_only_and_faults_keep_the_lines_before_them():
    lines = [json.dumps(event(f"e{i}", "sale", "2024-03-01T10:00:00Z")).encode() for i in range(2000)]
    assert object_lines(gzip_lines([b"a\rb", b"c"])).lines == [b"a\rb", b"c"]
    assert object_lines(gzip.compress(b"a\nb")).lines == [b"a", b"b"]  # a last line without \n counts

    whole = gzip_lines(lines)
    truncated = object_lines(whole[: len(whole) * 2 // 3])
    assert truncated.error_name == "EOFError"
    assert 0 < len(truncated.lines) < 2000 and truncated.lines == lines[: len(truncated.lines)]
    assert lines[len(truncated.lines)].startswith(truncated.tail)

    not_gzip = object_lines(b"\n".join(lines))
    assert (not_gzip.error_name, not_gzip.lines, not_gzip.tail) == ("BadGzipFile", [], b"")
    two_members = gzip_lines(lines[:2]) + gzip_lines(lines[2:4])
    assert object_lines(two_members).lines == lines[:4]
