"""Validation rules generated from schemas/event.schema.json, as Spark Column expressions.

The event contract has one source of truth, the JSON Schema file. Instead of a hand-written copy of its rules
(or a Python UDF per record), this module reads the schema at run time and translates each keyword into a
Spark expression with a reason code, so validation runs inside the JVM at Spark speed. A property test
(tests/python/etl/test_schema_rules.py) checks that the translation agrees with the ``jsonschema`` library
(with its format checker) on generated records.

How a JSON value's type is recovered in Spark: the line is parsed several times with ``from_json`` (partial
results on): as a map (key presence, JSON null), and as structs whose fields are all strings, all doubles and
all booleans. A number parses as a double, a boolean as a boolean, and a string only as a string; objects and
arrays are told apart by a further parse, evaluated only for values that start with ``{`` or ``[``.

Reason codes are ``<keyword>:<property>`` (``required:quantity``, ``pattern:sku``), plus ``invalid_json`` and
``not_object`` for lines that are not a JSON object. A keyword the translation does not know raises
``ValueError`` when the schema is loaded, so a schema change can never be skipped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

__all__ = ["INVALID_JSON", "NOT_OBJECT", "CompiledSchema", "Rule", "compile_schema", "load_schema"]

INVALID_JSON = "invalid_json"
NOT_OBJECT = "not_object"

# Standard JSON only: NaN and Infinity literals make a line unparseable, as in strict JSON parsers.
_JSON_OPTIONS = {"allowNonNumericNumbers": "false"}
# Strings that Spark's double parser would otherwise read as numbers.
_NUMERIC_WORDS = ["NaN", "Infinity", "+Infinity", "-Infinity", "INF", "+INF", "-INF"]
# jsonschema's date-time check (rfc3339-validator, applied to the upper-cased value), in Java regex syntax.
_RFC3339 = (
    r"(?d)^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T(?:[01]\d|2[0-3]):(?:[0-5]\d):(?:[0-5]\d)(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
)
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
_SPARK_TYPES = {"string": T.StringType(), "number": T.DoubleType(), "integer": T.DoubleType()}


@dataclass(frozen=True)
class Rule:
    """One schema keyword at one place: ``violated`` is true on the rows that break it."""

    code: str
    detail: str
    violated: Column


@dataclass(frozen=True)
class CompiledSchema:
    """The schema's rules, ready to apply to a DataFrame with one raw line per row."""

    properties: Mapping[str, Mapping[str, Any]]
    rules: Sequence[Rule]
    _parsed: _Parsed
    _values: Mapping[str, Column]

    def apply(self, df: DataFrame, line: str = "value") -> DataFrame:
        """Adds ``failures`` (array of reason codes, empty = valid), ``details`` (their messages, aligned)
        and one typed column per declared property (null when absent or of another type)."""
        prepared = self._parsed.prepare(df, F.col(line))
        return prepared.select(
            *[F.col(c) for c in df.columns],
            F.array_compact(F.array(*[F.when(r.violated, F.lit(r.code)) for r in self.rules])).alias(
                "failures"
            ),
            F.array_compact(F.array(*[F.when(r.violated, F.lit(r.detail)) for r in self.rules])).alias(
                "details"
            ),
            *[value.alias(name) for name, value in self._values.items()],
        )


def load_schema(path: str | Path) -> dict[str, Any]:
    """Reads the event schema, failing with the path in the message when it is missing or not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"event schema {path}: cannot be read as JSON ({err})") from err


def compile_schema(schema: Mapping[str, Any]) -> CompiledSchema:
    """Translates ``schema`` into rules; :meth:`CompiledSchema.apply` runs them on a column of raw lines."""
    _check_keywords(
        schema, set(_ANNOTATIONS) | {"type", "required", "properties", "allOf", "additionalProperties"}, ""
    )
    if schema.get("type") != "object":
        raise ValueError("event schema: the root must declare type 'object'")
    if schema.get("additionalProperties", True) is not True:
        raise ValueError("event schema: additionalProperties must stay true (extra fields are carried)")
    properties: dict[str, Mapping[str, Any]] = dict(schema.get("properties", {}))
    for name, sub in properties.items():
        _check_keywords(sub, _ANNOTATIONS | _PROPERTY_KEYWORDS, f"properties.{name}")
        if sub.get("format", "date-time") != "date-time":
            raise ValueError(f"event schema: format {sub['format']!r} of {name} is not supported")
    parsed = _Parsed(properties)

    rules: list[Rule] = [
        Rule(INVALID_JSON, "not parseable as JSON", ~parsed.json_ok),
        Rule(NOT_OBJECT, "the line is JSON but not an object", parsed.json_ok & ~parsed.object_ok),
    ]
    ok = parsed.object_ok
    for name in schema.get("required", []):
        rules.append(Rule(f"required:{name}", f"{name} is required", ok & ~parsed.present(name)))
    for name, sub in properties.items():
        for keyword, detail, broken in _property_checks(parsed, name, sub):
            rules.append(Rule(f"{keyword}:{name}", detail, ok & parsed.present(name) & broken))
    for index, branch in enumerate(schema.get("allOf", [])):
        rules.extend(_conditional_rules(parsed, properties, branch, index, ok))

    values = {name: parsed.typed(name, sub) for name, sub in properties.items()}
    return CompiledSchema(properties=properties, rules=rules, _parsed=parsed, _values=values)


class _Parsed:
    """The parses of one line that the rules read from.

    Each parse is materialised once as a column (``prepare``); the rules only reference those columns. Spark
    does not merge projections that would repeat an expensive expression, so every parse runs once per row.
    """

    def __init__(self, properties: Mapping[str, Mapping[str, Any]]) -> None:
        self.names = list(properties)
        self.map = F.col("_wc_map")
        self.strings = F.col("_wc_str")
        self.doubles = F.col("_wc_dbl")
        self.booleans = F.col("_wc_bool")
        self.objects = F.col("_wc_obj")
        self.arrays = F.col("_wc_arr")
        self.json_ok = F.col("_wc_json_ok")
        self.object_ok = self.json_ok & self.map.isNotNull()

    def _struct_of(self, line: Column, spark_type: T.DataType) -> Column:
        schema = T.StructType([T.StructField(n, spark_type) for n in self.names])
        return F.from_json(line, schema, _JSON_OPTIONS)

    def prepare(self, df: DataFrame, line: Column) -> DataFrame:
        first = df.withColumns(
            {
                "_wc_map": F.from_json(line, T.MapType(T.StringType(), T.StringType()), _JSON_OPTIONS),
                "_wc_str": self._struct_of(line, T.StringType()),
                "_wc_dbl": self._struct_of(line, T.DoubleType()),
                "_wc_bool": self._struct_of(line, T.BooleanType()),
            }
        )
        # Objects and arrays need their own parses, run only for the rare rows where some value could be one.
        opens = F.lit(False)
        for name in self.names:
            opens = opens | F.coalesce(F.substring(self.strings[name], 1, 1).isin("{", "["), F.lit(False))
        # An object parsed: it must also end the line (Spark's parser ignores trailing text, strict JSON does
        # not). Else get_json_object("$") tells other JSON values (not_object) from text that is not JSON.
        json_ok = F.when(self.map.isNotNull(), line.rlike(r"[}]\s*$")).otherwise(
            F.get_json_object(line, "$").isNotNull()
        )
        second = first.withColumns(
            {
                "_wc_json_ok": json_ok,
                "_wc_obj": F.when(opens, self._struct_of(line, T.MapType(T.StringType(), T.StringType()))),
                "_wc_arr": F.when(opens, self._struct_of(line, T.ArrayType(T.StringType()))),
            }
        )
        # One small type column per property keeps the rule expressions (and their generated code) small.
        return second.withColumns({f"_wc_t_{name}": self._kind_expr(name) for name in self.names})

    def kind(self, name: str) -> Column:
        """The JSON type of a property's value ("string", "number", ...; null when absent)."""
        return F.col(f"_wc_t_{name}")

    def _kind_expr(self, name: str) -> Column:
        text = self.strings[name]
        return (
            F.when(~F.coalesce(F.map_contains_key(self.map, name), F.lit(False)), F.lit(None))
            .when(self.map[name].isNull(), "null")
            .when(
                self.doubles[name].isNotNull() & ~F.coalesce(text.isin(_NUMERIC_WORDS), F.lit(False)),
                "number",
            )
            .when(self.booleans[name].isNotNull(), "boolean")
            .when(text.startswith("{") & self.objects[name].isNotNull(), "object")
            .when(text.startswith("[") & self.arrays[name].isNotNull(), "array")
            .otherwise("string")
        )

    def present(self, name: str) -> Column:
        return self.kind(name).isNotNull()

    def is_null(self, name: str) -> Column:
        return F.coalesce(self.kind(name) == "null", F.lit(False))

    def is_number(self, name: str) -> Column:
        return F.coalesce(self.kind(name) == "number", F.lit(False))

    def is_integer(self, name: str) -> Column:
        value = self.doubles[name]
        return self.is_number(name) & ~F.isnan(value) & (value == F.floor(value))

    def is_boolean(self, name: str) -> Column:
        return F.coalesce(self.kind(name) == "boolean", F.lit(False))

    def is_object(self, name: str) -> Column:
        return F.coalesce(self.kind(name) == "object", F.lit(False))

    def is_array(self, name: str) -> Column:
        return F.coalesce(self.kind(name) == "array", F.lit(False))

    def is_string(self, name: str) -> Column:
        return F.coalesce(self.kind(name) == "string", F.lit(False))

    def is_type(self, name: str, kind: str) -> Column:
        checks: dict[str, Callable[[str], Column]] = {
            "string": self.is_string,
            "number": self.is_number,
            "integer": self.is_integer,
            "boolean": self.is_boolean,
            "object": self.is_object,
            "array": self.is_array,
            "null": self.is_null,
        }
        if kind not in checks:
            raise ValueError(f"event schema: type {kind!r} of {name} is not supported")
        return checks[kind](name)

    def equals(self, name: str, constant: Any) -> Column:
        """JSON equality as jsonschema defines it (1 == 1.0, true != 1)."""
        if constant is None:
            return self.is_null(name)
        if isinstance(constant, bool):
            return self.is_boolean(name) & (self.booleans[name] == F.lit(constant))
        if isinstance(constant, int | float):
            return self.is_number(name) & (self.doubles[name] == F.lit(float(constant)))
        if isinstance(constant, str):
            return self.is_string(name) & (self.strings[name] == F.lit(constant))
        raise ValueError(f"event schema: const/enum value {constant!r} of {name} is not supported")

    def typed(self, name: str, sub: Mapping[str, Any]) -> Column:
        kind = _declared_type(sub)
        if kind == "boolean":
            return F.when(self.is_boolean(name), self.booleans[name])
        if kind in _SPARK_TYPES and kind != "string":
            return F.when(self.is_number(name), self.doubles[name])
        if kind == "string":
            return F.when(self.is_string(name), self.strings[name])
        # object, or untyped: the raw JSON text (carried, not modelled)
        return F.when(self.present(name) & ~self.is_null(name), self.strings[name])


def _declared_type(sub: Mapping[str, Any]) -> str | None:
    if "type" in sub:
        return sub["type"]
    if "const" in sub:
        return _json_kind(sub["const"])
    kinds = {_json_kind(v) for v in sub.get("enum", [])}
    return kinds.pop() if len(kinds) == 1 else None


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "other"


def _property_checks(parsed: _Parsed, name: str, sub: Mapping[str, Any]) -> list[tuple[str, str, Column]]:
    """(keyword, message, broken-when-present) for each keyword of one property, in a fixed order."""
    checks: list[tuple[str, str, Column]] = []
    if "type" in sub:
        if not isinstance(sub["type"], str):
            raise ValueError(f"event schema: a list of types for {name} is not supported")
        checks.append(("type", f"{name} must be a {sub['type']}", ~parsed.is_type(name, sub["type"])))
    if "const" in sub:
        checks.append(("const", f"{name} must equal {sub['const']!r}", ~parsed.equals(name, sub["const"])))
    if "enum" in sub:
        allowed = F.lit(False)
        for option in sub["enum"]:
            allowed = allowed | parsed.equals(name, option)
        checks.append(("enum", f"{name} must be one of {', '.join(map(str, sub['enum']))}", ~allowed))
    text = parsed.strings[name]
    is_string = parsed.is_string(name)
    if "pattern" in sub:
        # Python's re (which jsonschema uses) has Unicode \d and \w and only \n ends a line: (?U) and (?d).
        regex = "(?dU)" + sub["pattern"]
        checks.append(("pattern", f"{name} must match {sub['pattern']}", is_string & ~text.rlike(regex)))
    if "format" in sub:
        checks.append(("format", f"{name} must be an RFC 3339 date-time", is_string & ~_is_rfc3339(text)))
    if "minLength" in sub or "maxLength" in sub:
        length = F.length(text)
        too_short = length < F.lit(sub.get("minLength", 0))
        too_long = length > F.lit(sub["maxLength"]) if "maxLength" in sub else F.lit(False)
        bounds = f"{sub.get('minLength', 0)}..{sub.get('maxLength', '')}"
        checks.append(("length", f"{name} must have {bounds} characters", is_string & (too_short | too_long)))
    number = parsed.doubles[name]
    is_number = parsed.is_number(name)
    bounds_checks = {
        "minimum": (lambda v: number < F.lit(v), "≥"),
        "exclusiveMinimum": (lambda v: number <= F.lit(v), ">"),
        "maximum": (lambda v: number > F.lit(v), "≤"),
        "exclusiveMaximum": (lambda v: number >= F.lit(v), "<"),
    }
    for keyword, (broken, sign) in bounds_checks.items():
        if keyword in sub:
            value = float(sub[keyword])
            # NaN never breaks a bound in jsonschema; Spark orders NaN above every number.
            checks.append(
                (
                    keyword,
                    f"{name} must be {sign} {sub[keyword]}",
                    is_number & ~F.isnan(number) & broken(value),
                )
            )
    return checks


def _is_rfc3339(text: Column) -> Column:
    upper = F.upper(text)
    year = F.regexp_extract(upper, _RFC3339, 1).cast("int")
    month = F.regexp_extract(upper, _RFC3339, 2).cast("int")
    day = F.regexp_extract(upper, _RFC3339, 3).cast("int")
    return upper.rlike(_RFC3339) & (year != 0) & F.make_date(year, month, day).isNotNull()


def _conditional_rules(
    parsed: _Parsed,
    properties: Mapping[str, Mapping[str, Any]],
    branch: Mapping[str, Any],
    index: int,
    ok: Column,
) -> list[Rule]:
    _check_keywords(branch, _ANNOTATIONS | {"if", "then"}, f"allOf[{index}]")
    condition_schema, then = branch.get("if", {}), branch.get("then", {})
    _check_keywords(condition_schema, _ANNOTATIONS | {"properties", "required"}, f"allOf[{index}].if")
    _check_keywords(then, _ANNOTATIONS | {"required"}, f"allOf[{index}].then")

    condition = ok
    described: list[str] = []
    for name in condition_schema.get("required", []):
        condition = condition & parsed.present(name)
    for name, sub in condition_schema.get("properties", {}).items():
        _check_keywords(sub, _ANNOTATIONS | _PROPERTY_KEYWORDS, f"allOf[{index}].if.properties.{name}")
        holds = F.lit(True)
        for _keyword, _detail, broken in _property_checks(parsed, name, sub):
            holds = holds & ~broken
        condition = condition & (~parsed.present(name) | holds)
        options = sub.get("enum", [sub.get("const")])
        described.append(f"{name} is {'|'.join(map(str, options))}")
    when = " and ".join(described) or "always"
    return [
        Rule(f"required:{name}", f"{name} is required when {when}", condition & ~parsed.present(name))
        for name in then.get("required", [])
    ]


def _check_keywords(schema: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(schema) - known)
    if unknown:
        place = where or "the root"
        raise ValueError(
            f"event schema: keyword(s) {unknown} at {place} are not supported by the Spark translation"
        )
