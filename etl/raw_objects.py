"""Raw objects → one checked row per record, in Arrow batches on the executors.

Objects are read whole as bytes (Spark's ``binaryFile`` source: the same call for a local directory and for s3://
in Glue), so line ends, UTF-8 and gzip faults are judged by etl/records.py, not by Spark's text reader (which
splits lines on ``\\r`` too and replaces bytes that are not UTF-8).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from etl.events import EVENT_SCHEMA
from etl.records import UNREADABLE_OBJECT, RecordChecker, object_lines

__all__ = ["CHECKED_SCHEMA", "read_checked", "arrival_of"]

_TYPED = [f for f in EVENT_SCHEMA.fields if f.name not in ("source", "line", "date")]
CHECKED_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("line", T.LongType(), False),
        T.StructField("reason", T.StringType()),
        T.StructField("detail", T.StringType()),
        T.StructField("raw", T.StringType()),
        T.StructField("raw_bytes", T.BinaryType()),
        *[T.StructField(f.name, f.dataType) for f in _TYPED],
    ]
)
"""Every record read: ``reason`` null for a valid one (then the typed event fields are set), else the
quarantine columns (etl/events.py QUARANTINE_COLUMNS)."""
_NAMES = [f.name for f in CHECKED_SCHEMA.fields]
_TYPED_NAMES = [f.name for f in _TYPED]
_BATCH_ROWS = 50_000
_ARRIVAL = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})/")


def read_checked(spark: SparkSession, uris: list[str], raw_root: str, checker: RecordChecker) -> DataFrame:
    """One row per record of the given objects (CHECKED_SCHEMA): source (key relative to ``raw_root``), line
    (1-based) and the verdict of the shared rules."""
    root = _path_only(raw_root.rstrip("/")) + "/"

    def check_objects(batches):
        import pyarrow as pa

        arrow_schema = _arrow_schema(pa)
        for batch in batches:
            objects = batch.to_pydict()
            for path, modified, content in zip(
                objects["path"], objects["modificationTime"], objects["content"], strict=True
            ):
                source = _path_only(path)
                source = source[len(root) :] if source.startswith(root) else source
                for columns in _check_object(checker, source, modified, content):
                    yield pa.RecordBatch.from_pydict(columns, schema=arrow_schema)

    files = spark.read.format("binaryFile").load(uris)
    return files.select("path", "modificationTime", "content").mapInArrow(check_objects, CHECKED_SCHEMA)


def arrival_of(source: str, modified: datetime) -> datetime:
    """When an object arrived, at the latest: the end of its ``dt=`` day (Firehose's UTC arrival date), else
    its modification time."""
    match = _ARRIVAL.search(source)
    if match:
        return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC) + timedelta(days=1)
    return modified if modified.tzinfo else modified.replace(tzinfo=UTC)


def _path_only(uri: str) -> str:
    # binaryFile spells a local file file:/x where the root may be file:///x: compare paths only.
    return re.sub(r"^file:/+", "/", uri)


def _arrow_schema(pa):
    kinds = {
        "string": pa.string(),
        "bigint": pa.int64(),
        "binary": pa.binary(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([pa.field(f.name, kinds[f.dataType.simpleString()]) for f in CHECKED_SCHEMA.fields])


def _check_object(
    checker: RecordChecker, source: str, modified: datetime, content: bytes
) -> Iterator[dict[str, list]]:
    """Column lists (CHECKED_SCHEMA) of one object's records, at most _BATCH_ROWS rows each."""
    read = object_lines(content)
    latest_us = checker.latest_us(arrival_of(source, modified))
    check = checker.check
    columns: dict[str, list] = {n: [] for n in _NAMES}
    for number, raw in enumerate(read.lines, start=1):
        verdict = check(raw, latest_us)
        if verdict.failures:
            _reject(columns, source, number, verdict.failures, raw)
        else:
            get = verdict.record.get
            columns["source"].append(source)
            columns["line"].append(number)
            for name in _UNSET_WHEN_VALID:
                columns[name].append(None)
            # Arrow converts the valid values as they are (a number of a valid record is an int or a float).
            for name in _PLAIN:
                columns[name].append(get(name))
            columns["occurred_at"].append(verdict.occurred_us)
            attributes = get("attributes")
            columns["attributes"].append(None if attributes is None else _compact(attributes))
        if len(columns["line"]) == _BATCH_ROWS:
            yield columns
            columns = {n: [] for n in _NAMES}
    if read.error is not None:
        detail = f"{read.error}; {len(read.lines)} complete line(s) before it were read"
        failure = (f"{UNREADABLE_OBJECT}:{read.error_name}", detail)
        _reject(columns, source, len(read.lines) + 1, [failure], read.tail)
    if columns["line"]:
        yield columns


def _compact(value) -> str:
    """A carried object as compact JSON text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_UNSET_WHEN_VALID = ("reason", "detail", "raw", "raw_bytes")
_PLAIN = [n for n in _TYPED_NAMES if n not in ("occurred_at", "attributes")]


def _reject(columns: dict[str, list], source: str, line: int, failures: list, raw: bytes) -> None:
    columns["source"].append(source)
    columns["line"].append(line)
    columns["reason"].append(failures[0][0])
    columns["detail"].append("; ".join(d for _c, d in failures))
    columns["raw"].append(raw.decode("utf-8", "backslashreplace"))
    columns["raw_bytes"].append(raw)
    for name in _TYPED_NAMES:
        columns[name].append(None)
