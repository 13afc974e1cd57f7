"""The fast path of the record rules: the event schema as a msgspec Struct, so one call in C parses a line,
types its fields and checks most of the schema's keywords.

etl/records.py judges a line with Python's ``json`` module and the compiled rules of etl/schema_rules.py,
about 10 µs per line. Nearly every line is a plain valid event; for those, a decoder generated from the same
schema does the work in a few µs. The fast path only ever says "valid, with these values": a line it cannot
vouch for goes to the full rules, which give the reason codes. It is sound if every line it accepts is one the
full rules accept with the same values; tests/python/etl/test_typed_decoder.py checks that on generated and
hostile lines. The job checks lines a batch at a time (``decode_lines``): the same decode and checks, with no
Python code per line, vouching for exactly the lines :meth:`TypedDecoder.decode` vouches for one at a time.

How each keyword is checked: types, ``const``/``enum`` (as ``Literal``), lengths and numeric bounds by msgspec
in C; ``pattern`` and ``format`` by the full rules' own checks after the decode, cached per distinct value (a
warehouse, a SKU and an event time repeat across lines; event ids, which never repeat, have none of them);
``allOf`` conditions by the full rules' own test, or, for the common "when P is one of these strings, require
Q" shape, by a lookup on P's value.

The fast path declines (and the full rules judge):
- lines that are not pure ASCII, hold a ``\\u`` escape or a carriage return, or are near the size limit
  (UTF-8, surrogates, line breaks and size stay the full rules' business);
- records with a field the Struct does not type: an unknown field, or a property whose schema it cannot
  express (types object, array and null, untyped properties, const/enum values of mixed kinds); so depth and
  finite numbers never arise (its numbers are doubles msgspec parsed, and out-of-range ones fail the decode);
- numbers of magnitude 2**53 or more (a double may round them; the full rules compare them exactly: msgspec
  checks the magnitude with the schema's bounds);
- every record that breaks a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress, count, repeat
from operator import attrgetter, is_
from typing import Annotated, Any, Literal

import msgspec

from etl.schema_rules import ABSENT, CompiledSchema, Condition

__all__ = ["DecodedLines", "TypedDecoder", "typed_decoder"]

_EXACT = float(2**53)
"""Doubles below this magnitude hold their integer exactly: bounds compare as they do on the JSON number."""
_BOUNDS = {"minimum": "ge", "exclusiveMinimum": "gt", "maximum": "le", "exclusiveMaximum": "lt"}
_TYPES: dict[str, type] = {"string": str, "number": float, "integer": int, "boolean": bool}
_CACHED_KEYWORDS = ("pattern", "format")
_ANNOTATIONS = {"$comment", "title", "description", "examples", "default"}


@dataclass(frozen=True)
class DecodedLines:
    """What :meth:`TypedDecoder.decode_lines` vouches for: ``indexes`` (ascending) of the lines, and the
    Structs' fields as columns (``columns[field][k]`` is line ``indexes[k]``'s; None = absent)."""

    indexes: list[int]
    columns: dict[str, list]

    def only(self, keep: Sequence[bool]) -> DecodedLines:
        """The lines whose flag in ``keep`` (one per line vouched for, in order) is true."""
        return DecodedLines(
            list(compress(self.indexes, keep)),
            {name: list(compress(values, keep)) for name, values in self.columns.items()},
        )


@dataclass(frozen=True)
class TypedDecoder:
    """Decodes a line into a Struct whose fields are the schema's properties (None = absent), or declines."""

    fields: Sequence[str]
    """The Struct's fields: the properties it types, in schema order."""
    max_line_bytes: int
    _decode: Callable[[bytes], Any]
    _strings: Sequence[tuple[str, Callable[[str], bool]]]
    """(field, cached "passes its pattern and format") for strings with those keywords."""
    _required_when: Sequence[tuple[str, Mapping[str, Sequence[str]]]]
    """(field P, {value of P: fields then required}): the lookup form of conditions."""
    _conditions: Sequence[Condition]
    """Conditions of any other shape, tested as the full rules test them."""

    def decode(self, raw: bytes) -> Any | None:
        """The record as a Struct when the line is certainly valid under the schema's rules, else None."""
        if len(raw) >= self.max_line_bytes or not raw.isascii() or b"\\u" in raw or b"\r" in raw:
            return None
        try:
            record = self._decode(raw)
        except (msgspec.DecodeError, RecursionError):  # a ValidationError is a DecodeError
            return None
        for name, passes in self._strings:
            value = getattr(record, name)
            if value is not None and not passes(value):
                return None
        for name, required in self._required_when:
            for needed in required.get(getattr(record, name), ()):
                if getattr(record, needed) is None:
                    return None
        if self._conditions and self._breaks_conditions(record):
            return None
        return record

    def _breaks_conditions(self, record: Any) -> bool:
        """Whether ``record`` (a Struct, None = absent) breaks a condition not in the lookup form."""

        def get(name: str, default: Any = ABSENT) -> Any:
            value = getattr(record, name, None)
            return default if value is None else value

        return any(
            condition.holds(get) and any(get(n) is ABSENT for n in condition.then_required)
            for condition in self._conditions
        )

    def decode_lines(self, lines: Sequence[bytes], plain_bytes: bool = False) -> DecodedLines:
        """What :meth:`decode` returns for each line, for many lines at once: the lines it vouches for, as
        columns. ``plain_bytes``: the caller found the lines' bytes all ASCII, without a backslash or a
        carriage return (one C scan of the object), so only their lengths are checked here.

        The work per line is all in C: msgspec's decoder is mapped over the lines (a line it rejects raises
        out of the map, which then goes on with the next line: the rejects are counted from where the list
        stopped growing), and the checks after the decode run per column, on each distinct value once."""
        limit = self.max_line_bytes
        if plain_bytes and max(map(len, lines), default=0) < limit:
            todo, where = lines, None
        else:
            where = [
                i
                for i, raw in enumerate(lines)
                if len(raw) < limit and raw.isascii() and b"\\u" not in raw and b"\r" not in raw
            ]
            todo = [lines[i] for i in where]
        records: list = []
        failed: list[int] = []
        decoded = map(self._decode, todo)
        while True:
            try:
                records.extend(decoded)
                break
            except (msgspec.DecodeError, RecursionError):
                failed.append(len(records) + len(failed))
        if len(records) + len(failed) != len(todo):  # never, unless list.extend dropped what it had appended
            raise RuntimeError("the batched decode lost track of its lines")
        kept: Sequence[int] = range(len(todo))
        if failed:
            kept, after = [], 0
            for index in failed:  # ascending: the runs of lines between the rejected ones
                kept.extend(range(after, index))
                after = index + 1
            kept.extend(range(after, len(todo)))
        if where is not None:
            kept = [where[i] for i in kept]
        columns = {name: list(map(attrgetter(name), records)) for name in self.fields}
        decoded = DecodedLines(list(kept), columns)
        declined = self._declined(columns, records)
        if declined:
            return decoded.only([k not in declined for k in range(len(records))])
        return decoded

    def _declined(self, columns: Mapping[str, list], records: list) -> set[int]:
        """Positions of the records that :meth:`decode`'s checks after the parse decline, by column."""
        declined: set[int] = set()
        for name, passes in self._strings:
            values = columns[name]
            broken = {v for v in set(values) if v is not None and not passes(v)}
            if broken:
                declined.update(compress(count(), map(broken.__contains__, values)))
        for name, required in self._required_when:
            keys = columns[name]
            needing: dict[str, set[str]] = {}
            for value, needed in required.items():
                for field in needed:
                    needing.setdefault(field, set()).add(value)
            for field, values in needing.items():
                absent = columns[field]
                # The values of P on records without the field: only those decide, and few are there.
                if set(compress(keys, map(is_, absent, repeat(None)))) & values:
                    declined.update(
                        k
                        for k, (key, v) in enumerate(zip(keys, absent, strict=True))
                        if v is None and key in values
                    )
        if self._conditions:
            declined.update(k for k, record in enumerate(records) if self._breaks_conditions(record))
        return declined


def typed_decoder(compiled: CompiledSchema, max_record_bytes: int) -> TypedDecoder | None:
    """The fast path for ``compiled``; None when a property that must be present cannot be typed (every line
    then takes the full rules)."""
    fields: list[tuple[str, Any, Any]] = []
    strings = []
    for name, sub in compiled.properties.items():
        kind = _field_type(sub)
        if kind is None:
            continue  # present in a record = an unknown field to the Struct: the line is declined
        fields.append((name, kind, msgspec.NODEFAULT if name in compiled.required else None))
        if any(k in sub for k in _CACHED_KEYWORDS):
            checks = [
                broken
                for code, _d, broken in compiled.checks_of(name)
                if code.split(":")[0] in _CACHED_KEYWORDS
            ]
            strings.append((name, _cached_passes(checks)))
    typed = {f[0] for f in fields}
    needed = set(compiled.required) | {n for c in compiled.conditions for n in c.then_required}
    if not needed <= typed:
        return None
    required_when: dict[str, dict[str, list[str]]] = {}
    others = []
    for condition in compiled.conditions:
        lookup = _lookup_form(condition, compiled.properties, typed)
        if lookup is None:
            others.append(condition)
            continue
        name, values = lookup
        for value in values:
            required_when.setdefault(name, {}).setdefault(value, []).extend(condition.then_required)
    # A Struct's fields without a default come before those with one.
    ordered = sorted(fields, key=lambda f: f[2] is not msgspec.NODEFAULT)
    struct = msgspec.defstruct(
        "TypedEvent",
        [(n, k) if d is msgspec.NODEFAULT else (n, k, d) for n, k, d in ordered],
        forbid_unknown_fields=True,
        gc=False,
    )
    return TypedDecoder(
        fields=[f[0] for f in fields],
        # The line and its newline within the limit, with room to spare: the edge is the full rules' call.
        max_line_bytes=max_record_bytes - 1,
        _decode=msgspec.json.Decoder(struct).decode,
        _strings=strings,
        _required_when=list(required_when.items()),
        _conditions=others,
    )


def _cached_passes(checks: Sequence[Callable[[Any], bool]]) -> Callable[[str], bool]:
    @lru_cache(maxsize=1 << 16)
    def passes(value: str) -> bool:
        return not any(broken(value) for broken in checks)

    return passes


def _field_type(sub: Mapping[str, Any]) -> Any | None:
    """The msgspec type for ``sub`` (its pattern and format are checked after the decode), or None when its
    values cannot all be typed."""
    kind = sub.get("type")
    if "const" in sub and "enum" in sub:
        return None
    options = [sub["const"]] if "const" in sub else list(sub["enum"]) if "enum" in sub else None
    if options is not None:
        if all(type(o) is str for o in options) and kind in (None, "string"):
            base: Any = Literal[tuple(options)]
        elif all(type(o) is int for o in options) and kind in (None, "number", "integer"):
            base = Literal[tuple(options)]  # 1.0 is declined (the full rules accept it)
        else:
            return None
    elif kind in _TYPES:
        base = _TYPES[kind]
    else:
        return None
    is_string = base is str or all(type(o) is str for o in options or [0])
    if any(k in sub for k in _CACHED_KEYWORDS) and not is_string:
        return None  # the keywords ignore other types: the full rules' business
    meta: dict[str, Any] = {}
    if "minLength" in sub or "maxLength" in sub:
        if not is_string:
            return None
        meta["min_length"] = sub.get("minLength", 0)
        if "maxLength" in sub:
            meta["max_length"] = sub["maxLength"]
    for keyword, name in _BOUNDS.items():
        if keyword in sub:
            if base not in (int, float) or type(sub[keyword]) not in (int, float):
                return None
            meta[name] = sub[keyword]
    if {"ge", "gt"} <= meta.keys() or {"le", "lt"} <= meta.keys():
        return None  # msgspec takes one bound per side
    if base is float:
        # Doubles hold integers exactly below 2**53: beyond, the full rules compare the JSON number itself.
        if meta.get("ge", meta.get("gt", -_EXACT)) <= -_EXACT:
            meta.pop("ge", None)
            meta["gt"] = -_EXACT
        if meta.get("le", meta.get("lt", _EXACT)) >= _EXACT:
            meta.pop("le", None)
            meta["lt"] = _EXACT
    return Annotated[base, msgspec.Meta(**meta)] if meta else base


def _lookup_form(
    condition: Condition, properties: Mapping[str, Mapping[str, Any]], typed: set[str]
) -> tuple[str, list[str]] | None:
    """(P, values) when the condition reads "P is present and one of these strings", with P typed as a string
    (so a value matches exactly when it is one of them); else None."""
    schema = condition.if_schema
    if set(schema) - _ANNOTATIONS - {"required", "properties"}:
        return None
    subs = schema.get("properties", {})
    if len(subs) != 1:
        return None
    ((name, sub),) = subs.items()
    if list(schema.get("required", [])) != [name] or name not in typed:
        return None
    if set(sub) - _ANNOTATIONS - {"enum", "const"} or ("enum" in sub) == ("const" in sub):
        return None
    values = list(sub["enum"]) if "enum" in sub else [sub["const"]]
    declared = properties[name]
    string_typed = declared.get("type") == "string" or all(
        type(o) is str for o in declared.get("enum", [declared.get("const", 0)])
    )
    if not string_typed or not all(type(v) is str for v in values):
        return None
    return name, values
