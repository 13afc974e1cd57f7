"""Validation rules generated from schemas/event.schema.json, as compiled Python checks on a parsed record.

The event contract has one source of truth, the JSON Schema file. Instead of a hand-written copy of its rules,
this module reads the schema at run time and turns each keyword into a small check with a reason code; the ETL
runs them in Arrow batches on the executors (etl/records.py). A property test (tests/python/etl/
test_schema_rules.py) checks the translation against the ``jsonschema`` library, and another one
(tests/python/etl/test_shared_rules.py) checks that the producer (functions/producer) gives the same verdict.

Regular expressions follow JSON Schema's ECMA-262 dialect, as ajv (the producer) does: ``$`` ends the text
(Python's ``$`` also matches before a final newline) and ``\\d`` is ASCII only.

Reason codes are ``<keyword>:<property>`` (``required:quantity``, ``pattern:sku``). A keyword the translation
does not know raises ``ValueError`` when the schema is loaded, so a schema change is never skipped silently.
The contract's bounds beyond JSON Schema (``x-warecast-limits``) are read by :func:`load_limits`.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "LIMITS_KEYWORD",
    "CompiledSchema",
    "Limits",
    "compile_schema",
    "is_rfc3339",
    "load_limits",
    "load_schema",
]

LIMITS_KEYWORD = "x-warecast-limits"
_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "examples", "default"}
_PROPERTY_KEYWORDS = {
    "type",
    "const",
    "enum",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "format",
}
# jsonschema's date-time check (rfc3339-validator) without its two Python-isms: only the end of the text ends
# it (\Z, not $), and digits are ASCII. Seconds stop at 59: a leap second has no instant in Spark or Python.
_RFC3339 = re.compile(
    r"^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)\Z",
    re.ASCII,
)

Check = Callable[[Any], bool]
"""True when the value breaks the rule."""
_ABSENT = object()


@dataclass(frozen=True)
class Limits:
    """The contract's bounds beyond JSON Schema (``x-warecast-limits`` in the schema; docs/events.md)."""

    max_record_bytes: int
    """Largest record, its newline included (Firehose's record limit)."""
    max_depth: int
    """Deepest nesting of objects and arrays; the record itself is depth 1."""
    not_before: datetime
    """Earliest valid ``occurred_at``."""
    max_ahead: timedelta
    """How far after its arrival an event may be dated (clock skew, time zones)."""


@dataclass(frozen=True)
class CompiledSchema:
    """The schema's rules, ready to run on parsed records."""

    properties: Mapping[str, Mapping[str, Any]]
    required: Sequence[str]
    _checks: Sequence[tuple[str, Sequence[tuple[str, str, Check]]]]
    _conditions: Sequence[tuple[Callable[[dict], bool], Sequence[str], str]]

    def check(self, record: dict) -> list[tuple[str, str]]:
        """(reason code, message) of every rule ``record`` (a JSON object) breaks, in a fixed order."""
        failures = [(f"required:{n}", f"{n} is required") for n in self.required if n not in record]
        for name, checks in self._checks:
            value = record.get(name, _ABSENT)
            if value is not _ABSENT:
                for code, detail, broken in checks:
                    if broken(value):
                        failures.append((code, detail))
        for holds, names, when in self._conditions:
            if holds(record):
                failures.extend(
                    (f"required:{n}", f"{n} is required when {when}") for n in names if n not in record
                )
        return failures


def load_schema(path: str | Path) -> dict[str, Any]:
    """Reads the event schema, failing with the path in the message when it is missing or not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"event schema {path}: cannot be read as JSON ({err})") from err


def load_limits(schema: Mapping[str, Any]) -> Limits:
    """The ``x-warecast-limits`` block of the schema, checked."""
    block = schema.get(LIMITS_KEYWORD)
    if not isinstance(block, Mapping):
        raise ValueError(f"event schema: {LIMITS_KEYWORD} is missing (the producer and the ETL share it)")
    try:
        window = block["occurredAt"]
        limits = Limits(
            max_record_bytes=int(block["maxRecordBytes"]),
            max_depth=int(block["maxDepth"]),
            not_before=datetime.fromisoformat(window["notBefore"]),
            max_ahead=timedelta(hours=float(window["maxAheadHours"])),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(
            f"event schema: {LIMITS_KEYWORD} needs maxRecordBytes, maxDepth and occurredAt "
            f"{{notBefore (RFC 3339), maxAheadHours}} ({err!r})"
        ) from err
    if limits.not_before.tzinfo is None:
        raise ValueError(f"event schema: {LIMITS_KEYWORD}.occurredAt.notBefore needs an offset")
    return limits


def compile_schema(schema: Mapping[str, Any]) -> CompiledSchema:
    """Translates ``schema`` into checks; :meth:`CompiledSchema.check` runs them on a parsed record."""
    _check_keywords(
        schema,
        _ANNOTATIONS | {"type", "required", "properties", "allOf", "additionalProperties", LIMITS_KEYWORD},
        "",
    )
    if schema.get("type") != "object":
        raise ValueError("event schema: the root must declare type 'object'")
    if schema.get("additionalProperties", True) is not True:
        raise ValueError("event schema: additionalProperties must stay true (extra fields are carried)")
    properties: dict[str, Mapping[str, Any]] = dict(schema.get("properties", {}))
    checks = []
    for name, sub in properties.items():
        _check_keywords(sub, _ANNOTATIONS | _PROPERTY_KEYWORDS, f"properties.{name}")
        if sub.get("format", "date-time") != "date-time":
            raise ValueError(f"event schema: format {sub['format']!r} of {name} is not supported")
        checks.append((name, [(f"{k}:{name}", d, c) for k, d, c in _property_checks(name, sub)]))
    conditions = [_condition(branch, index) for index, branch in enumerate(schema.get("allOf", []))]
    return CompiledSchema(
        properties=properties,
        required=list(schema.get("required", [])),
        _checks=checks,
        _conditions=conditions,
    )


@lru_cache(maxsize=1 << 16)  # event times repeat: the same instant, or the same day and hour
def is_rfc3339(text: str) -> bool:
    """An RFC 3339 date-time with a real calendar day (year 0 does not exist)."""
    match = _RFC3339.match(text.upper())
    if match is None:
        return False
    year, month, day = (int(g) for g in match.groups())
    return year != 0 and day >= 1 and day <= calendar.monthrange(year, month)[1]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: type(v) is str,
    "number": lambda v: type(v) is float or type(v) is int,
    "integer": lambda v: _is_number(v) and (isinstance(v, int) or v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _not_one_of(options: Sequence[Any]) -> Check:
    """Breaks unless the value equals an option as JSON equality does (1 == 1.0, true != 1, "1" != 1)."""
    by_type: dict[type, set] = {}
    for option in options:
        if option is not None and not isinstance(option, bool | int | float | str):
            raise ValueError(f"event schema: const/enum value {option!r} is not supported")
        kinds = (int, float) if _is_number(option) else (type(option),)
        for kind in kinds:
            by_type.setdefault(kind, set()).add(option)
    return lambda v: v not in by_type.get(type(v), ())


def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """ECMA-262's reading of a JSON Schema pattern: an unescaped ``$`` outside a class ends the text."""
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            out.append(r"\Z")
            continue
        out.append(char)
    return re.compile("".join(out), re.ASCII)


def _property_checks(name: str, sub: Mapping[str, Any]) -> list[tuple[str, str, Check]]:
    """(keyword, message, broken) for each keyword of one property, in a fixed order."""
    checks: list[tuple[str, str, Check]] = []
    if "type" in sub:
        if not isinstance(sub["type"], str):
            raise ValueError(f"event schema: a list of types for {name} is not supported")
        if sub["type"] not in _TYPES:
            raise ValueError(f"event schema: type {sub['type']!r} of {name} is not supported")
        is_type = _TYPES[sub["type"]]
        checks.append(("type", f"{name} must be a {sub['type']}", lambda v: not is_type(v)))
    if "const" in sub:
        constant = sub["const"]
        checks.append(("const", f"{name} must equal {constant!r}", _not_one_of([constant])))
    if "enum" in sub:
        options = list(sub["enum"])
        checks.append(("enum", f"{name} must be one of {', '.join(map(str, options))}", _not_one_of(options)))
    if "pattern" in sub:
        regex = _ecma_regex(sub["pattern"])
        checks.append(
            (
                "pattern",
                f"{name} must match {sub['pattern']}",
                lambda v: type(v) is str and regex.search(v) is None,
            )
        )
    if "format" in sub:
        checks.append(
            (
                "format",
                f"{name} must be an RFC 3339 date-time",
                lambda v: type(v) is str and not is_rfc3339(v),
            )
        )
    if "minLength" in sub or "maxLength" in sub:
        low, high = sub.get("minLength", 0), sub.get("maxLength", float("inf"))
        bounds = f"{sub.get('minLength', 0)}..{sub.get('maxLength', '')}"
        checks.append(
            (
                "length",
                f"{name} must have {bounds} characters",
                lambda v: isinstance(v, str) and not low <= len(v) <= high,
            )
        )
    bounds_checks: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
        "minimum": (lambda v, b: v < b, "≥"),
        "exclusiveMinimum": (lambda v, b: v <= b, ">"),
        "maximum": (lambda v, b: v > b, "≤"),
        "exclusiveMaximum": (lambda v, b: v >= b, "<"),
    }
    for keyword, (broken, sign) in bounds_checks.items():
        if keyword in sub:
            bound = sub[keyword]
            checks.append(
                (
                    keyword,
                    f"{name} must be {sign} {bound}",
                    lambda v, b=bound, broken=broken: (type(v) is float or type(v) is int) and broken(v, b),
                )
            )
    return checks


def _condition(branch: Mapping[str, Any], index: int) -> tuple[Callable[[dict], bool], list[str], str]:
    """allOf[i] as (does the if-schema hold, names the then-schema requires, the condition in words)."""
    _check_keywords(branch, _ANNOTATIONS | {"if", "then"}, f"allOf[{index}]")
    condition_schema, then = branch.get("if", {}), branch.get("then", {})
    _check_keywords(condition_schema, _ANNOTATIONS | {"properties", "required"}, f"allOf[{index}].if")
    _check_keywords(then, _ANNOTATIONS | {"required"}, f"allOf[{index}].then")
    needed = list(condition_schema.get("required", []))
    properties = []
    described = []
    for name, sub in condition_schema.get("properties", {}).items():
        _check_keywords(sub, _ANNOTATIONS | _PROPERTY_KEYWORDS, f"allOf[{index}].if.properties.{name}")
        properties.append((name, [broken for _k, _d, broken in _property_checks(name, sub)]))
        options = sub.get("enum", [sub.get("const")])
        described.append(f"{name} is {'|'.join(map(str, options))}")

    def holds(record: dict) -> bool:
        for name in needed:
            if name not in record:
                return False
        for name, checks in properties:
            value = record.get(name, _ABSENT)
            if value is not _ABSENT:
                for broken in checks:
                    if broken(value):
                        return False
        return True

    return holds, list(then.get("required", [])), " and ".join(described) or "always"


def _check_keywords(schema: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(schema) - known)
    if unknown:
        place = where or "the root"
        raise ValueError(f"event schema: keyword(s) {unknown} at {place} are not supported by etl/")
