"""The translation of schemas/event.schema.json (etl/schema_rules.py) agrees with the jsonschema library, rule
by rule.

The reference is jsonschema read as JSON Schema specifies: patterns in the ECMA-262 dialect (``regress``, the
engine check-jsonschema uses; Python's ``re`` lets ``$`` match before a final newline and ``\\d`` match any
Unicode digit), and date-time per RFC 3339 (jsonschema's rfc3339-validator, whose ``$`` has the same newline
quirk). The producer's ajv reads the schema the same way (tests/python/etl/test_shared_rules.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import regress
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from rfc3339_validator import validate_rfc3339

from etl.records import INVALID_JSON, NOT_OBJECT
from etl.schema_rules import compile_schema, load_schema

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "schemas" / "event.schema.json"
SCHEMA = load_schema(SCHEMA_PATH)


def _ecma_pattern(validator, pattern, instance, _schema):
    if validator.is_type(instance, "string") and regress.Regex(pattern).find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_FORMATS = FormatChecker()
_FORMATS.checks("date-time")(
    lambda v: not isinstance(v, str) or (validate_rfc3339(v.upper()) and not v.endswith("\n"))
)
_Reference = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
REFERENCE = _Reference(SCHEMA, format_checker=_FORMATS)
_KEYWORDS = {"minLength": "length", "maxLength": "length"}


def _reject_constant(constant: str) -> Any:
    raise ValueError(constant)


def _object_or_codes(line: str) -> dict | set[str]:
    """The line's JSON object, or the line-level code it gets instead (strict JSON, as etl/records.py)."""
    try:
        record = json.loads(line, parse_constant=_reject_constant)
    except ValueError:
        return {INVALID_JSON}
    return record if isinstance(record, dict) else {NOT_OBJECT}


def reference_codes(line: str) -> set[str]:
    """What jsonschema says about one line, as this module's reason codes."""
    record = _object_or_codes(line)
    if isinstance(record, set):
        return record
    codes = set()
    for error in REFERENCE.iter_errors(record):
        if error.validator == "required":
            field = re.match(r"'(.+)' is a required property", error.message).group(1)
        else:
            field = error.absolute_path[0]
        codes.add(f"{_KEYWORDS.get(error.validator, error.validator)}:{field}")
    return codes


COMPILED = compile_schema(SCHEMA)


def etl_codes(lines: list[str]) -> list[set[str]]:
    """The translation's codes per line (as etl/records.py parses lines, before its own extra rules)."""

    def codes(line: str) -> set[str]:
        record = _object_or_codes(line)
        return record if isinstance(record, set) else {code for code, _detail in COMPILED.check(record)}

    return [codes(line) for line in lines]


# --- generated records: mostly near the contract, often just across one of its edges ---------------------
_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=4),
    st.sampled_from(["NaN", "Infinity", "{x", "[1", "1"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
_name = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.\-]{0,66}", fullmatch=True),
    st.text(max_size=6),
    st.just("ok\n"),
    st.just("NaN"),
)


@st.composite
def _timestamp(draw) -> str:
    two = st.integers(0, 61).map(lambda v: f"{v:02d}")
    date = f"{draw(st.integers(0, 9999)):04d}-{draw(st.integers(0, 13)):02d}-{draw(st.integers(0, 32)):02d}"
    time = f"{draw(st.integers(0, 25)):02d}:{draw(two)}:{draw(two)}"
    frac = draw(st.sampled_from(["", ".5", ".123456789"]))
    offset = draw(
        st.one_of(
            st.sampled_from(["Z", "z", "", "+00:00"]),
            st.builds(lambda s, h, m: f"{s}{h}:{m}", st.sampled_from("+-"), two, two),
        )
    )
    sep = draw(st.sampled_from(["T", "T", "T", "t", " "]))
    return f"{date}{sep}{time}{frac}{offset}{draw(st.sampled_from(['', '', chr(10)]))}"


_good = {
    "schema_version": st.sampled_from([1, 1.0, 2, True, "1"]),
    "event_id": st.one_of(st.text(min_size=0, max_size=3), st.just("x" * 129)),
    "event_type": st.sampled_from(["sale", "return", "receipt", "inventory_snapshot", "Sale", ""]),
    "occurred_at": _timestamp(),
    "warehouse_id": _name,
    "sku": _name,
    "quantity": st.one_of(st.integers(-2, 50), st.floats(-1, 1e6, allow_nan=False)),
    "on_hand": st.one_of(st.integers(-2, 50), st.floats(-1, 1e6, allow_nan=False)),
    "on_order": st.integers(-1, 5),
    "unit_price": st.floats(-1, 100, allow_nan=False),
    "currency": st.sampled_from(["EUR", "usd", "EURO", "EU", "E1R", "EUR\n"]),
    "promo": st.booleans(),
    "attributes": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
}


@st.composite
def _record_line(draw) -> str:
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return draw(st.sampled_from(["", "{", "not json", '{"a":1} x', "[1, 2]", "5", "null", '{"q": NaN}']))
    record: dict[str, Any] = {}
    for key, good in _good.items():
        choice = draw(st.integers(0, 9))
        if choice < 7:
            record[key] = draw(good)
        elif choice < 9:
            record[key] = draw(_junk)
    if draw(st.booleans()):
        record["extra_field"] = draw(_junk)  # schema evolution: unknown fields never matter
    return json.dumps(record, ensure_ascii=draw(st.booleans()))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large],
)
@given(lines=st.lists(_record_line(), min_size=20, max_size=80))
def test_translation_agrees_with_jsonschema_rule_by_rule(lines):
    assert etl_codes(lines) == [reference_codes(line) for line in lines]


def test_known_records_get_the_expected_reason_codes():
    base = {
        "schema_version": 1,
        "event_id": "e1",
        "event_type": "sale",
        "occurred_at": "2024-03-01T10:00:00+01:00",
        "warehouse_id": "W1",
        "sku": "S-1",
        "quantity": 2,
    }
    without_quantity = {k: v for k, v in base.items() if k != "quantity"}
    lines = [
        json.dumps(base),
        json.dumps({**base, "brand_new_field": {"nested": [1]}}),
        json.dumps(without_quantity),
        json.dumps({**without_quantity, "event_type": "inventory_snapshot", "on_hand": 4}),
        json.dumps({**without_quantity, "event_type": "inventory_snapshot"}),
        json.dumps({**base, "quantity": "2"}),
        json.dumps({**base, "quantity": -1}),
        json.dumps({**base, "occurred_at": "2024-02-30T10:00:00Z"}),
        json.dumps({**base, "occurred_at": "2024-03-01 10:00:00"}),
        json.dumps({**base, "sku": "bad sku"}),
        json.dumps({**base, "promo": None}),
        '{"schema_version": 1, "event_id": ',
        "[]",
    ]
    assert etl_codes(lines) == [
        set(),
        set(),
        {"required:quantity"},
        set(),
        {"required:on_hand"},
        {"type:quantity"},
        {"minimum:quantity"},
        {"format:occurred_at"},
        {"pattern:occurred_at", "format:occurred_at"},
        {"pattern:sku"},
        {"type:promo"},
        {INVALID_JSON},
        {NOT_OBJECT},
    ]


def test_unknown_keywords_fail_loudly_when_the_schema_is_loaded():
    schema = json.loads(json.dumps(SCHEMA))
    schema["properties"]["sku"]["multipleOf"] = 2
    with pytest.raises(ValueError, match=r"multipleOf.*properties\.sku"):
        compile_schema(schema)
    with pytest.raises(ValueError, match="additionalProperties"):
        compile_schema({**SCHEMA, "additionalProperties": False})
