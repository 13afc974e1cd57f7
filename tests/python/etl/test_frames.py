"""Small frames and mapInArrow without pandas on the driver (etl/frames.py)."""

from __future__ import annotations

import importlib.abc
import sys
from datetime import date

from pyspark.sql import types as T

from etl.frames import local_rows, map_in_arrow

SCHEMA = T.StructType(
    [
        T.StructField("key", T.StringType()),
        T.StructField("n", T.IntegerType()),
        T.StructField("day", T.DateType()),
        T.StructField("buckets", T.ArrayType(T.LongType())),
    ]
)
ROWS = [
    {"key": "events/dt=2024-03-10/a.ndjson.gz", "n": 2, "day": date(2024, 3, 10), "buckets": [7, -(2**40)]},
    # Quotes, a backslash, a colon and text that is not ASCII: values are data, never query text.
    {"key": 'it\'s "q" \\ :rows ñ €', "n": None, "day": None, "buckets": []},
]


class _ImportLog(importlib.abc.MetaPathFinder):
    """Records every attempt to import pandas (and lets it fail, as if pandas were not installed)."""

    def __init__(self) -> None:
        self.tried: list[str] = []

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            self.tried.append(name)
            raise ImportError(name)
        return None


def _without_pandas(call):
    """Runs ``call`` as in a driver that has not imported pandas; returns its result and the attempts."""
    saved = {name: module for name, module in sys.modules.items() if name.partition(".")[0] == "pandas"}
    for name in saved:
        del sys.modules[name]
    log = _ImportLog()
    sys.meta_path.insert(0, log)
    try:
        return call(), log.tried
    finally:
        sys.meta_path.remove(log)
        sys.modules.update(saved)


def test_local_rows_are_the_rows_given_with_the_schema(spark):
    frame = local_rows(spark, ROWS, SCHEMA)
    assert frame.schema.simpleString() == SCHEMA.simpleString()
    assert [r.asDict() for r in frame.collect()] == ROWS
    assert local_rows(spark, [], SCHEMA).count() == 0


def test_map_in_arrow_is_pysparks(spark):
    def double(batches):
        import pyarrow as pa
        import pyarrow.compute as pc

        for batch in batches:
            yield batch.set_column(1, "n", pc.multiply(batch.column("n"), pa.scalar(2, pa.int32())))

    frame = local_rows(spark, ROWS, SCHEMA)
    ours = map_in_arrow(frame, double, SCHEMA).collect()
    assert ours == frame.mapInArrow(double, SCHEMA).collect()
    assert [r["n"] for r in ours] == [4, None]


def test_neither_imports_pandas_on_the_driver(spark):
    """PySpark's createDataFrame and mapInArrow import pandas (1.2 s on the job's driver); these do not."""

    def build():
        frame = local_rows(spark, ROWS, SCHEMA)
        return map_in_arrow(frame, lambda batches: batches, SCHEMA).count()

    count, tried = _without_pandas(build)
    assert count == 2
    assert tried == []
    # The check can fail: PySpark's own calls do try.
    _, tried_by_pyspark = _without_pandas(lambda: spark.createDataFrame([(1,)], "n int").count())
    assert tried_by_pyspark


def test_an_empty_frame_of_every_table_read_back_keeps_its_schema(spark):
    """etl/job.py reads a table no run wrote yet as ``local_rows(spark, [], schema)``."""
    from etl.demand import DEMAND_SCHEMA
    from etl.events import QUARANTINE_SCHEMA
    from etl.job import _EVENTS_CLEAN_SCHEMA
    from etl.state import STATE_SCHEMA

    for schema in (DEMAND_SCHEMA, QUARANTINE_SCHEMA, _EVENTS_CLEAN_SCHEMA, STATE_SCHEMA):
        frame = local_rows(spark, [], schema)
        assert frame.schema.simpleString() == schema.simpleString()
        assert frame.count() == 0
