"""From the bytes of a raw object to checked records: the rules the producer and the ETL share.

A raw object is gzip NDJSON. Its lines are the bytes between ``\\n`` (a ``\\r`` before the ``\\n`` belongs to
the line ending); nothing else ends a line. Each line is checked in this order, the first failure deciding
(docs/events.md, "What is valid"):

1. ``too_large``: longer than the contract's ``maxRecordBytes`` (newline included);
2. ``invalid_utf8``: not strict UTF-8 (invalid bytes are never replaced, so two ids never merge);
3. ``line_break``: a carriage return inside the record (readers that split on ``\\r`` would see two records);
4. ``invalid_json``: not exactly one strict JSON value (no byte-order mark, no NaN/Infinity, no single quotes,
   no second value, no unpaired ``\\ud800``-style escape);
5. ``too_deep``: objects and arrays nested deeper than ``maxDepth``;
6. ``not_object``: JSON, but not an object;
7. the schema's rules (etl/schema_rules.py), then ``finite:<property>`` (a number beyond a double's range,
   such as ``1e400``) and ``window:occurred_at`` (before ``notBefore`` or more than ``maxAheadHours`` after
   arrival).

A line's reason is its first failure; ``detail`` lists every failure of step 7. An object that cannot be read
to its end (not gzip, truncated, corrupt) keeps its complete lines before the fault, checked like any others;
the rest is one more record, rejected as ``unreadable_object:<error>`` (docs/etl.md, "Unreadable objects").
"""

from __future__ import annotations

import gzip
import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from etl.schema_rules import CompiledSchema, Limits, is_rfc3339
from etl.typed_decoder import typed_decoder

__all__ = [
    "INVALID_JSON",
    "INVALID_UTF8",
    "LINE_BREAK",
    "NOT_OBJECT",
    "TOO_DEEP",
    "TOO_LARGE",
    "UNREADABLE_OBJECT",
    "Checked",
    "FastLines",
    "instant",
    "RecordChecker",
    "ObjectLines",
    "object_lines",
]

TOO_LARGE = "too_large"
INVALID_UTF8 = "invalid_utf8"
LINE_BREAK = "line_break"
INVALID_JSON = "invalid_json"
TOO_DEEP = "too_deep"
NOT_OBJECT = "not_object"
UNREADABLE_OBJECT = "unreadable_object"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


# One decoder for every line: json.loads with an option builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_DOUBLE_INTS = 2**1023  # an int at least this large may round beyond a double's range: checked exactly


@dataclass(frozen=True)
class FastLines:
    """What :meth:`RecordChecker.check_fast_lines` vouches for: the positions (ascending) of the lines, the
    typed fields as columns (etl/typed_decoder.py; None = absent) and occurred_at in microseconds."""

    indexes: list[int]
    columns: dict[str, list]
    occurred_us: list[int | None]


@dataclass(frozen=True)
class Checked:
    """One line's verdict: ``failures`` (code, message) is empty for a valid record."""

    failures: list[tuple[str, str]]
    record: dict | None
    occurred_us: int | None = None
    """occurred_at as microseconds since the epoch (UTC), when it is a valid date-time."""


class RecordChecker:
    """The shared rules, compiled from the event schema and its ``x-warecast-limits``."""

    def __init__(self, compiled: CompiledSchema, limits: Limits) -> None:
        self.compiled = compiled
        self.limits = limits
        self._not_before_us = _micros(limits.not_before)
        self._ahead_us = int(limits.max_ahead.total_seconds() * 1_000_000)
        self.typed = typed_decoder(compiled, limits.max_record_bytes)
        """The fast path (etl/typed_decoder.py); None when the schema has a shape it cannot type."""

    def __reduce__(self):
        # Shipped to Spark's Python workers: the fast path's decoder is rebuilt there (it does not pickle).
        return RecordChecker, (self.compiled, self.limits)

    def latest_us(self, arrival: datetime) -> int:
        """The newest valid occurred_at (microseconds) for records that arrived at ``arrival``."""
        return _micros(arrival) + self._ahead_us

    def check_fast(self, raw: bytes, latest_us: int) -> Any | None:
        """The line's record (a Struct of etl/typed_decoder.py, None = absent) when the fast path can vouch
        that :meth:`check` finds it valid, else None: then :meth:`check` judges it."""
        record = self.typed.decode(raw) if self.typed is not None else None
        if record is None:
            return None
        occurred = getattr(record, "occurred_at", None)
        if occurred is not None:
            occurred_us = instant(occurred)
            if occurred_us is None or not self._not_before_us <= occurred_us <= latest_us:
                return None
        return record

    def check_fast_lines(
        self, lines: Sequence[bytes], latest_us: int, plain_bytes: bool = False
    ) -> FastLines:
        """:meth:`check_fast` of many lines at once, as columns (etl/typed_decoder.py, ``decode_lines``): the
        lines it vouches for and their values; every other line is for :meth:`check`."""
        if self.typed is None:
            return FastLines([], {}, [])
        decoded = self.typed.decode_lines(lines, plain_bytes)
        occurred = decoded.columns.get("occurred_at")
        if occurred is None:
            return FastLines(decoded.indexes, decoded.columns, [None] * len(decoded.indexes))
        # Per distinct value, as instant() caches it; then the window is two comparisons per value.
        micros = {value: instant(value) for value in set(occurred) if value is not None}
        low = self._not_before_us
        outside = {v for v, us in micros.items() if us is None or not low <= us <= latest_us}
        if outside:
            decoded = decoded.only([v not in outside for v in occurred])
            occurred = decoded.columns["occurred_at"]
        return FastLines(decoded.indexes, decoded.columns, list(map(micros.get, occurred)))

    def check(self, raw: bytes, latest_us: int) -> Checked:
        """Checks one line (without its ``\\n``); ``latest_us`` from :meth:`latest_us`."""
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if len(raw) + 1 > self.limits.max_record_bytes:
            return _line(TOO_LARGE, f"{len(raw) + 1} bytes, over {self.limits.max_record_bytes}")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            return _line(INVALID_UTF8, f"not UTF-8 at byte {err.start}")
        if "\r" in text:
            return _line(LINE_BREAK, "a carriage return inside the record")
        try:
            value = _DECODER.decode(text)
        except RecursionError:
            return _line(TOO_DEEP, f"nested deeper than {self.limits.max_depth} levels")
        except ValueError as err:
            return _line(INVALID_JSON, f"not parseable as one JSON value ({err})")
        deep = text.count("{") + text.count("[") > self.limits.max_depth
        if deep and _depth(value) > self.limits.max_depth:
            return _line(TOO_DEEP, f"nested deeper than {self.limits.max_depth} levels")
        if _SURROGATE_ESCAPE.search(text) and not _well_formed(value):
            return _line(INVALID_JSON, "an unpaired surrogate escape is not a character")
        if not isinstance(value, dict):
            return _line(NOT_OBJECT, "the line is JSON but not an object")
        failures = self.compiled.check(value)
        for name, field in value.items():
            kind = type(field)
            if kind is str or kind is bool or field is None:
                continue
            if kind is float and math.isfinite(field) or kind is int and -_DOUBLE_INTS < field < _DOUBLE_INTS:
                continue
            if not _finite(field):
                failures.append((f"finite:{name}", f"{name} must hold finite numbers only"))
        occurred = value.get("occurred_at")
        occurred_us = instant(occurred) if type(occurred) is str else None
        if occurred_us is not None:
            if not self._not_before_us <= occurred_us <= latest_us:
                failures.append(
                    (
                        "window:occurred_at",
                        f"occurred_at must be from {self.limits.not_before.isoformat()} to "
                        f"{self.limits.max_ahead} after arrival",
                    )
                )
        return Checked(failures, value, occurred_us)


@lru_cache(maxsize=1 << 16)
def instant(text: str) -> int | None:
    """Microseconds since the epoch of a valid RFC 3339 date-time (fractions past 6 digits truncated)."""
    return _micros(datetime.fromisoformat(text.upper())) if is_rfc3339(text) else None


def _line(code: str, detail: str) -> Checked:
    return Checked([(code, detail)], None)


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _finite(value: object) -> bool:
    """No number in ``value`` lies beyond a double's range (JSON's numbers are doubles to the producer)."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        try:
            return math.isfinite(float(value))
        except OverflowError:  # rounds to 2**1024 or beyond
            return False
    if kind is dict:
        return all(_finite(v) for v in value.values())
    if kind is list:
        return all(_finite(v) for v in value)
    return True


def _well_formed(value: object) -> bool:
    """Every string (keys included) is valid Unicode, i.e. encodes to UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_well_formed(k) and _well_formed(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_well_formed(v) for v in value)
    return True


@dataclass(frozen=True)
class ObjectLines:
    """A raw object's complete lines, and, when it cannot be read to its end, why and what is left."""

    lines: list[bytes]
    error: str | None = None
    """``BadGzipFile: …``, ``EOFError: …``: set when the object is unreadable from some point on."""
    tail: bytes = b""
    """The decompressed bytes after the last complete line before the fault (a partial line)."""
    plain_bytes: bool = False
    """Every decompressed byte is ASCII, and none is a backslash or a carriage return (the fast path then
    skips those checks line by line): one scan in C of the whole object."""

    @property
    def error_name(self) -> str:
        return (self.error or "").split(":", 1)[0]


def object_lines(content: bytes) -> ObjectLines:
    """Splits a gzip NDJSON object into lines (on ``\\n`` only); a fault keeps the lines before it."""
    try:
        data = gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as err:
        data, error = _readable_prefix(content), f"{type(err).__name__}: {err}"
        cut = data.rfind(b"\n") + 1
        return ObjectLines(data[:cut].split(b"\n")[:-1], error, data[cut:], _plain_bytes(data))
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return ObjectLines(lines, plain_bytes=_plain_bytes(data))


def _plain_bytes(data: bytes) -> bool:
    return data.isascii() and b"\\" not in data and b"\r" not in data


def _readable_prefix(content: bytes, chunk: int = 1 << 16) -> bytes:
    """What a gzip stream yields before its fault, member after member (fed in chunks, so corrupt data
    keeps the output decompressed before it)."""
    out: list[bytes] = []
    inflater = zlib.decompressobj(wbits=31)
    pending = content
    while pending:
        piece, pending = pending[:chunk], pending[chunk:]
        try:
            out.append(inflater.decompress(piece))
        except zlib.error:
            break
        if inflater.eof:
            pending = inflater.unused_data + pending
            inflater = zlib.decompressobj(wbits=31)
    return b"".join(out)
