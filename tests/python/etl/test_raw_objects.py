"""Checking an object in slices (etl/raw_objects.py) yields exactly the rows of checking it whole."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from pyspark.sql import functions as F

from etl.raw_objects import _check_object, _check_objects, _slice_plan, read_checked, spark_hash_long
from etl.records import RecordChecker
from etl.schema_rules import compile_schema, load_limits, load_schema
from etl.storage import ObjectInfo, Storage
from tests.python.etl.conftest import SCHEMA, RawStore, event, gzip_lines

_SCHEMA = load_schema(SCHEMA)
CHECKER = RecordChecker(compile_schema(_SCHEMA), load_limits(_SCHEMA))
SOURCE = "events/dt=2024-03-10/big.ndjson.gz"
MODIFIED = datetime(2024, 3, 10, 12, tzinfo=UTC)


def _line(i: int) -> bytes:
    """Every third line invalid (three reasons in turn), the others valid (fast path or full rules)."""
    record = event(f"e{i}", "sale", "2024-03-01T10:00:00Z", sku=f"S{i % 7}")
    if i % 3 == 1:
        return json.dumps(record).encode()
    if i % 3 == 2:
        return json.dumps({**record, "attributes": {"note": f"n{i}"}}).encode()
    return [b"{not json", b"[1, 2]", json.dumps({**record, "quantity": "x"}).encode()][i // 3 % 3]


LINES = [_line(i) for i in range(3000)]
WHOLE = gzip_lines(LINES)
TRUNCATED = WHOLE[: len(WHOLE) * 2 // 3]


def _rows(content: bytes, pieces: int) -> list[tuple]:
    """Every checked row of the object checked in ``pieces`` slices, in the order the slices yield them."""
    rows: list[tuple] = []
    for piece in range(pieces):
        for columns in _check_object(CHECKER, SOURCE, MODIFIED, content, piece, pieces):
            rows += zip(*columns.values(), strict=True)
    return rows


def test_slices_yield_the_rows_of_the_whole_object_with_their_line_numbers():
    for content in (WHOLE, TRUNCATED):
        whole = sorted(_rows(content, 1), key=lambda r: r[1])
        reasons = {r[2].split(":")[0] for r in whole if r[2] is not None}
        assert {"invalid_json", "not_object"} <= reasons and len(reasons) >= 3
        assert [r[1] for r in whole] == list(range(1, len(whole) + 1))
        for pieces in (2, 3, 4, 7):
            sliced = _rows(content, pieces)
            assert sorted(sliced, key=lambda r: r[1]) == whole
            # Slices cut next to invalid lines: a slice's first line is one of them for some cut.
            firsts = [len(whole) * p // pieces for p in range(1, pieces)]
            assert any(whole[i][2] is not None or whole[i - 1][2] is not None for i in firsts)


def test_only_the_last_slice_reports_an_unreadable_tail_after_every_complete_line():
    whole = _rows(TRUNCATED, 1)
    tail = [r for r in whole if r[2] is not None and r[2].startswith("unreadable_object:")]
    assert len(tail) == 1 and tail[0][1] == len(whole)
    assert 0 < tail[0][1] - 1 < len(LINES)
    for pieces in (2, 4):
        last = [r for r in _rows(TRUNCATED, pieces) if r[2] and r[2].startswith("unreadable_object:")]
        assert last == tail


def test_spark_spreads_an_objects_slices_over_tasks_and_checks_the_same_rows(spark, tmp_path: Path):
    store = RawStore(tmp_path / "raw")
    keys = [
        store.put_bytes("big", WHOLE),
        store.put_bytes("cut", TRUNCATED),
        store.put("small", [LINES[1].decode()]),
    ]
    raw = Storage(spark, str(store.root))
    objects = raw.list_files("events/")
    assert sorted(o.key for o in objects) == sorted(keys)

    sliced = read_checked(spark, raw, objects, CHECKER, min_slice_bytes=1)
    whole = (
        read_checked(spark, raw, objects, CHECKER, min_slice_bytes=1 << 40)
        .orderBy("source", "line")
        .collect()
    )
    assert sliced.orderBy("source", "line").collect() == whole
    assert {r["source"] for r in whole} == set(keys) and len(whole) > len(LINES)
    # Each of the big object's slices is checked in a task of its own.
    cores = spark.sparkContext.defaultParallelism
    slices = {key: n for key, n, _ in _slice_plan(objects, cores, min_slice_bytes=1)}
    tasks = sliced.filter(F.col("source") == keys[0]).select(F.spark_partition_id()).distinct().count()
    assert tasks == slices[keys[0]] > 1


def test_slices_are_dealt_to_every_core_largest_object_first(spark):
    cores = spark.sparkContext.defaultParallelism
    objects = [ObjectInfo("a", 10), ObjectInfo("b", 3000), ObjectInfo("c", 1000), ObjectInfo("d", 10)]
    plan = _slice_plan(objects, cores, min_slice_bytes=1000)
    assert [(key, slices) for key, slices, _ in plan] == [("b", 3), ("c", 1), ("a", 1), ("d", 1)]
    buckets = [b for _key, _n, keys in plan for b in keys]
    frame = spark.createDataFrame([(b,) for b in buckets], "bucket long").repartition(cores, "bucket")
    per_task = Counter(r[0] for r in frame.select(F.spark_partition_id()).collect())
    assert len(per_task) == min(cores, 6) and max(per_task.values()) - min(per_task.values()) <= 1


def test_the_slice_plans_hash_is_sparks(spark):
    values = [0, 1, -1, 7, 2**31, -(2**31) - 1, 2**40 + 7, 2**63 - 1, -(2**63), *range(100, 164)]
    frame = spark.createDataFrame([(v,) for v in values], "v long")
    assert [r[0] for r in frame.select(F.hash("v")).collect()] == [spark_hash_long(v) for v in values]


_WORKER = """
import pickle
import sys

import pyarrow as pa
import pyspark.worker  # what a Python worker imports before it runs the function

from etl.raw_objects import _check_objects
from etl.records import RecordChecker
from etl.schema_rules import compile_schema, load_limits, load_schema

schema = load_schema(sys.argv[1])
checker = RecordChecker(compile_schema(schema), load_limits(schema))
batches = pa.ipc.open_stream(sys.stdin.buffer.read())  # as a worker receives them
out = [b.to_pydict() for b in _check_objects(checker, batches)]
imported = "pandas" in sys.modules
# pandas is still importable, and the first conversion that needs it (as a pandas UDF's input) brings it back.
import pandas

assert pa.table({"x": [1.5, None]}).to_pandas()["x"].isna().tolist() == [False, True]
assert pa.array(pandas.Series([1.5, None])).to_pylist() == [1.5, None]
sys.stdout.buffer.write(pickle.dumps((imported, out)))
"""


def test_a_python_worker_converts_its_batches_without_importing_pandas():
    """pyarrow imports pandas (1.2 s) on its first conversion of a list unless told there is none; a fresh
    interpreter, as a worker starts, checks an object and never imports it, with the same rows."""
    row = {"source": SOURCE, "modificationTime": MODIFIED, "content": TRUNCATED, "slice": 0, "slices": 1}
    batch = pa.RecordBatch.from_pylist([row])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as stream:
        stream.write_batch(batch)
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, SCHEMA],
        cwd=Path(__file__).resolve().parents[3],
        input=sink.getvalue().to_pybytes(),
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr.decode()
    pandas_imported, rows = pickle.loads(done.stdout)
    assert not pandas_imported
    assert rows == [b.to_pydict() for b in _check_objects(CHECKER, [batch])]
    assert sum(len(r["line"]) for r in rows) > len(LINES) // 2
