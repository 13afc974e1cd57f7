"""Raw objects → one checked row per record, in Arrow batches on the executors.

Objects are read whole as bytes (Spark's ``binaryFile`` source: the same call for a local directory and for s3://
in Glue), so line ends, UTF-8 and gzip faults are judged by etl/records.py, not by Spark's text reader (which
splits lines on ``\\r`` too and replaces bytes that are not UTF-8).

A large object is checked in slices, one task each: its row is repeated once per slice and spread over the
cluster's cores; each task decompresses the whole object (cheap next to checking its lines) and checks only
its slice's lines, numbered as in the whole object. One task per object would check the demo's single object
on one core (docs/etl.md, "The validation path").
"""

from __future__ import annotations

import importlib.abc
import json
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.events import EVENT_SCHEMA
from etl.frames import local_rows, map_in_arrow
from etl.records import UNREADABLE_OBJECT, Checked, FastLines, RecordChecker, object_lines
from etl.storage import ObjectInfo, Storage

__all__ = ["CHECKED_SCHEMA", "read_checked", "arrival_of", "without_pandas"]

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
_MIN_SLICE_BYTES = 1 << 20
"""Compressed bytes below which a slice is not worth its own task: about 40k events, a second of checking."""
_ARRIVAL = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})/")


def read_checked(
    spark: SparkSession,
    raw: Storage,
    objects: Sequence[ObjectInfo],
    checker: RecordChecker,
    *,
    min_slice_bytes: int = _MIN_SLICE_BYTES,
) -> DataFrame:
    """One row per record of the given objects (CHECKED_SCHEMA): source (key relative to the raw store's
    root), line (1-based) and the verdict of the shared rules. Objects are checked in slices of about their
    total compressed size ÷ the cores, none smaller than ``min_slice_bytes``."""
    root = _path_only(raw.root.rstrip("/")) + "/"
    path = F.regexp_replace("path", "^file:/+", "/")
    source = F.when(path.startswith(root), path.substr(len(root) + 1, 1 << 30)).otherwise(path)
    cores = spark.sparkContext.defaultParallelism
    plan = local_rows(
        spark,
        (
            {"source": key, "slices": slices, "buckets": buckets}
            for key, slices, buckets in _slice_plan(objects, cores, min_slice_bytes)
        ),
        _PLAN_SCHEMA,
    )
    files = (
        spark.read.format("binaryFile")
        .load([raw.uri(o.key) for o in objects])
        .select(source.alias("source"), "modificationTime", "content")
        # A left join: an object the plan does not name (a path spelt otherwise) is still read, whole.
        .join(F.broadcast(plan), "source", "left")
        .select(
            "*",
            F.posexplode(F.coalesce("buckets", F.array(F.lit(None).cast("long")))).alias("slice", "bucket"),
        )
        .withColumn("slices", F.coalesce("slices", F.lit(1)))
        .drop("buckets")
    )
    return map_in_arrow(files.repartition(cores, "bucket"), partial(_check_objects, checker), CHECKED_SCHEMA)


def _slice_plan(
    objects: Sequence[ObjectInfo], cores: int, min_slice_bytes: int
) -> list[tuple[str, int, list[int]]]:
    """(source, slices, the partition key of each slice): slices dealt to the cores in turn, largest object
    first, each key hashing to its core's partition (hash partitioning of a handful of rows would pile them
    up; so would round-robin from several input partitions)."""
    slice_bytes = max(min_slice_bytes, -(-sum(o.size for o in objects) // cores))
    keys = _partition_keys(cores)
    plan, dealt = [], 0
    for o in sorted(objects, key=lambda o: (-o.size, o.key)):
        slices = min(cores, max(1, -(-o.size // slice_bytes)))
        plan.append((o.key, slices, [keys[(dealt + i) % cores] for i in range(slices)]))
        dealt += slices
    return plan


def _partition_keys(partitions: int) -> list[int]:
    """A long for each partition p that ``repartition(partitions, key)`` sends to p, by Spark's own hash
    computed here (below), not by a Spark job: a job this early in the run is the slowest (cold JVM)."""
    found: dict[int, int] = {}
    key = 0
    while len(found) < partitions:
        found.setdefault(spark_hash_long(key) % partitions, key)
        key += 1
    return [found[p] for p in range(partitions)]


_MASK = 0xFFFFFFFF


def spark_hash_long(value: int, seed: int = 42) -> int:
    """Spark SQL's ``hash()`` of one bigint (Murmur3_x86_32.hashLong, seed 42), as a signed 32-bit int: the
    hash that hash partitioning takes ``pmod`` of (tests/python/etl/test_raw_objects.py checks it against
    Spark)."""

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & _MASK

    def mix(h: int, k: int) -> int:
        k = rotl((k * 0xCC9E2D51) & _MASK, 15) * 0x1B873593 & _MASK
        return (rotl(h ^ k, 13) * 5 + 0xE6546B64) & _MASK

    h = mix(mix(seed, value & _MASK), (value >> 32) & _MASK) ^ 8
    h = ((h ^ (h >> 16)) * 0x85EBCA6B) & _MASK
    h = ((h ^ (h >> 13)) * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def _check_objects(checker: RecordChecker, batches):
    """mapInArrow: the checked records of each (object, slice) row."""
    import pyarrow as pa

    without_pandas(pa)
    arrow_schema = _arrow_schema(pa)
    for batch in batches:
        rows = batch.to_pydict()
        for source, modified, content, piece, pieces in zip(
            rows["source"],
            rows["modificationTime"],
            rows["content"],
            rows["slice"],
            rows["slices"],
            strict=True,
        ):
            for columns in _check_object(checker, source, modified, content, piece, pieces):
                yield pa.RecordBatch.from_pydict(columns, schema=arrow_schema)


_PLAN_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType()),
        T.StructField("slices", T.IntegerType()),
        T.StructField("buckets", T.ArrayType(T.LongType())),
    ]
)


def without_pandas(pa) -> None:
    """Keeps pyarrow from importing pandas in a Python worker that has not imported it.

    pyarrow's first conversion of a Python list imports pandas (1.2 s), only to ask whether the list is a
    pandas object; each core's first task paid it (bench/etl/RESULTS.md). pyarrow tries that import once per
    process and remembers the answer, so a first conversion made while ``import pandas`` fails makes it
    convert lists without pandas from then on. Nothing in the job's workers uses pandas (mapInArrow hands
    Arrow batches both ways); pandas stays importable, and pyarrow's first conversion that needs it (to or
    from pandas, as a pandas UDF's input) imports it and turns the integration back on
    (tests/python/etl/test_raw_objects.py).
    """
    if "pandas" in sys.modules:
        return
    sys.meta_path.insert(0, _NO_PANDAS)
    try:
        pa.array([], pa.int64())
    finally:
        sys.meta_path.remove(_NO_PANDAS)


class _NoPandasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ImportError(f"{name} is not imported by the ETL's Python workers")
        return None


_NO_PANDAS = _NoPandasFinder()


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
    checker: RecordChecker, source: str, modified: datetime, content: bytes, piece: int = 0, pieces: int = 1
) -> Iterator[dict[str, list]]:
    """Column lists (CHECKED_SCHEMA) of one object's records, at most _BATCH_ROWS rows each: the lines the
    fast path vouches for in batches of their own (checked _BATCH_ROWS lines at a time, by column), the others
    as the full rules judge them. Only slice ``piece`` of ``pieces`` (of the complete lines; the last slice
    also reports an unreadable tail)."""
    read = object_lines(content)
    latest_us = checker.latest_us(arrival_of(source, modified))
    check = checker.check
    columns: dict[str, list] = {n: [] for n in _NAMES}
    first, end = len(read.lines) * piece // pieces, len(read.lines) * (piece + 1) // pieces
    for start in range(first, end, _BATCH_ROWS):
        lines = read.lines[start : min(end, start + _BATCH_ROWS)]
        fast = checker.check_fast_lines(lines, latest_us, read.plain_bytes)
        if fast.indexes:
            yield _typed_columns(source, fast, start + 1)
        others = range(len(lines))
        if fast.indexes:
            others = sorted(set(others).difference(fast.indexes))
        for index in others:
            raw = lines[index]
            verdict = check(raw, latest_us)
            if verdict.failures:
                _reject(columns, source, start + 1 + index, verdict.failures, raw)
            else:
                _accept(columns, source, start + 1 + index, verdict)
            if len(columns["line"]) == _BATCH_ROWS:
                yield columns
                columns = {n: [] for n in _NAMES}
    if read.error is not None and piece == pieces - 1:
        detail = f"{read.error}; {len(read.lines)} complete line(s) before it were read"
        failure = (f"{UNREADABLE_OBJECT}:{read.error_name}", detail)
        _reject(columns, source, len(read.lines) + 1, [failure], read.tail)
    if columns["line"]:
        yield columns


def _accept(columns: dict[str, list], source: str, line: int, verdict: Checked) -> None:
    """Appends a record the full rules found valid."""
    get = verdict.record.get
    columns["source"].append(source)
    columns["line"].append(line)
    for name in _UNSET_WHEN_VALID:
        columns[name].append(None)
    for name in _PLAIN:
        value = get(name)
        # A valid record's numbers are ints or floats; Arrow takes an int as a double only below 2**53.
        columns[name].append(float(value) if type(value) is int and name in _DOUBLES else value)
    columns["occurred_at"].append(verdict.occurred_us)
    attributes = get("attributes")
    columns["attributes"].append(None if attributes is None else _compact(attributes))


def _typed_columns(source: str, fast: FastLines, first_line: int) -> dict[str, list]:
    """Column lists of the valid records the fast path vouched for; ``first_line``: the number of the line
    at index 0 of the lines it was given."""
    n = len(fast.indexes)
    nothing = [None] * n
    columns: dict[str, list] = {"source": [source] * n, "line": [first_line + i for i in fast.indexes]}
    columns |= dict.fromkeys(_UNSET_WHEN_VALID, nothing)
    for name in _PLAIN:
        columns[name] = fast.columns.get(name, nothing)
    columns["occurred_at"] = fast.occurred_us
    columns["attributes"] = nothing
    return columns


def _compact(value) -> str:
    """A carried object as compact JSON text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_UNSET_WHEN_VALID = ("reason", "detail", "raw", "raw_bytes")
_PLAIN = [n for n in _TYPED_NAMES if n not in ("occurred_at", "attributes")]
_DOUBLES = {f.name for f in _TYPED if f.name in _PLAIN and isinstance(f.dataType, T.DoubleType)}


def _reject(columns: dict[str, list], source: str, line: int, failures: list, raw: bytes) -> None:
    columns["source"].append(source)
    columns["line"].append(line)
    columns["reason"].append(failures[0][0])
    columns["detail"].append("; ".join(d for _c, d in failures))
    columns["raw"].append(raw.decode("utf-8", "backslashreplace"))
    columns["raw_bytes"].append(raw)
    for name in _TYPED_NAMES:
        columns[name].append(None)
