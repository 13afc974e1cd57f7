"""Property: the producer (functions/producer, TypeScript) and the ETL (etl/records.py) give every line the
same verdict, hostile bytes included, so the producer never sends what the ETL would quarantine."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.records import RecordChecker
from etl.schema_rules import compile_schema, load_limits, load_schema
from tests.python.etl.conftest import SCHEMA

REPO = Path(__file__).resolve().parents[3]
_SCHEMA = load_schema(SCHEMA)
CHECKER = RecordChecker(compile_schema(_SCHEMA), load_limits(_SCHEMA))
ARRIVAL = datetime(2024, 3, 11, 9, 30, tzinfo=UTC)
LINE_CODES = {"too_large", "invalid_utf8", "line_break", "invalid_json", "too_deep", "not_object"}


def etl_verdicts(lines: list[bytes]) -> list[str]:
    latest = CHECKER.latest_us(ARRIVAL)
    out = []
    for line in lines:
        failures = CHECKER.check(line, latest).failures
        code = failures[0][0] if failures else "valid"
        out.append(code if code in LINE_CODES or code == "valid" else "invalid")
    return out


def producer_verdicts(lines: list[bytes]) -> list[str]:
    request = {"arrival": ARRIVAL.isoformat(), "lines": [base64.b64encode(b).decode() for b in lines]}
    done = subprocess.run(
        [
            str(REPO / "node_modules" / ".bin" / "tsx"),
            str(REPO / "tests" / "support" / "producer-verdicts.ts"),
        ],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


BASE = {
    "schema_version": 1,
    "event_id": "e1",
    "event_type": "sale",
    "occurred_at": "2024-03-01T10:00:00Z",
    "warehouse_id": "W1",
    "sku": "S-1",
    "quantity": 2,
}
_stamps = st.sampled_from(
    [
        "2024-03-01T10:00:00Z",
        "2016-12-31T23:59:60Z",
        "1999-12-31T23:59:59Z",
        "2000-01-01T00:00:00Z",
        "2024-03-12T09:30:00Z",
        "2024-03-12T09:30:00.000001Z",
        "2024-03-01T10:00:00.1234567+23:59",
        "2024-02-30T10:00:00Z",
        "2024-03-01t10:00:00z",
        "2024-03-01 10:00:00Z",
        "2024-03-01T10:00:00Z\n",
        "٢٠٢٤-03-01T10:00:00Z",
        "9999-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z",
    ]
)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.sampled_from(["W1\n", "\ud800x", "\U0001f600", "1", "NaN", "x" * 129]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@st.composite
def _record_text(draw) -> str:
    record = dict(BASE)
    for key in draw(
        st.lists(st.sampled_from([*BASE, "on_hand", "promo", "attributes", "extra"]), max_size=3)
    ):
        if draw(st.booleans()):
            record.pop(key, None)
        else:
            record[key] = draw(_values)
    record["occurred_at"] = draw(st.one_of(_stamps, st.just(record.get("occurred_at"))))
    return json.dumps(record, ensure_ascii=draw(st.booleans()))


_EDITS = [
    lambda t, b: t,
    lambda t, b: t + " " + t,  # a second value on the line
    lambda t, b: "\ufeff" + t,  # byte-order mark
    lambda t, b: t.replace('"', "'"),  # single-quoted pseudo-JSON
    lambda t, b: t.replace(", ", ",\r", 1),  # a lone carriage return inside
    lambda t, b: t + "\r",  # CRLF line end
    lambda t, b: t[:-1] + ', "q": 1e400}',
    lambda t, b: t[:-1] + ', "q": ' + "9" * 400 + "}",
    lambda t, b: t[:-1] + ', "q": NaN}',
    lambda t, b: t[:-1] + ', "n": ' + "[" * b + "]" * b + "}",  # nesting around the depth limit
    lambda t, b: t[:-1] + ', "s": "\\udc00"}',
    lambda t, b: t[: b % max(len(t), 1)],  # cut short
]


@st.composite
def _line(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=40))  # any bytes at all
    text = draw(st.sampled_from(_EDITS))(draw(_record_text()), draw(st.integers(28, 34)))
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 5)) == 0:  # a byte that breaks UTF-8
        at = draw(st.integers(0, len(raw)))
        raw = (
            raw[:at]
            + draw(st.sampled_from([b"\xff", b"\xfe", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf"]))
            + raw[at:]
        )
    return raw.replace(b"\n", b"")  # one line: the object splitter never passes a \n


# One tsx process per example is the cost: few examples of many lines each.
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(lines=st.lists(_line(), min_size=100, max_size=200))
def test_producer_and_etl_give_every_line_the_same_verdict(lines):
    assert producer_verdicts(lines) == etl_verdicts(lines)


def test_the_issues_hostile_lines_get_the_same_verdict_from_both():
    text = json.dumps(BASE)
    lines = [edit(text, 1500).encode() for edit in _EDITS] + [
        text.replace('"e1"', '"e1\xff"').encode("latin-1"),
        json.dumps({**BASE, "occurred_at": "1899-06-01T00:00:00Z"}).encode(),
        json.dumps({**BASE, "occurred_at": "2200-01-01T00:00:00Z"}).encode(),
        b"x" * 1_024_000,
    ]
    verdicts = producer_verdicts(lines)
    assert verdicts == etl_verdicts(lines)
    assert verdicts.count("valid") == 2  # the unedited line and its CRLF twin


@pytest.fixture(autouse=True, scope="module")
def _node_modules():
    if not (REPO / "node_modules" / ".bin" / "tsx").exists():
        pytest.fail(
            "node_modules is missing: run scripts/setup.sh (the producer's side of this test is TypeScript)"
        )
