"""Small DataFrames built on the driver, and ``mapInArrow``, without the costs PySpark's own calls add.

Both matter because a run's fixed cost is what the demo pays (bench/etl/RESULTS.md, issue 16):
- ``spark.createDataFrame`` imports pandas on the driver (1.2 s, only to ask whether the data is a pandas
  frame) and turns a handful of rows into an RDD of one partition per core, which every broadcast of it reads
  with a Spark job of its own. :func:`local_rows` puts the rows in the plan instead: one JSON literal that
  the optimizer parses once, read by one task.
- ``DataFrame.mapInArrow`` goes through ``pandas_udf``, whose version check imports pandas (and setuptools)
  although Arrow batches never become pandas frames. :func:`map_in_arrow` builds the same plan node from the
  same UDF type.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from pyspark.rdd import PythonEvalType
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T
from pyspark.sql.udf import UserDefinedFunction

__all__ = ["local_rows", "map_in_arrow"]


def local_rows(spark: SparkSession, rows: Iterable[Mapping[str, Any]], schema: T.StructType) -> DataFrame:
    """A DataFrame of ``rows`` (dicts by field name; dates as dates) with ``schema``'s columns."""
    text = json.dumps(list(rows), default=_json_value)
    kind = T.ArrayType(schema).simpleString()
    # A parameter, not text in the query: any value is safe, and the query is the same for any rows.
    return spark.sql(f"SELECT inline(from_json(:rows, '{kind}'))", args={"rows": text})


def map_in_arrow(frame: DataFrame, function: Callable, schema: T.StructType) -> DataFrame:
    """``frame.mapInArrow(function, schema)``: the same UDF type and plan node, without pandas."""
    udf = UserDefinedFunction(function, returnType=schema, evalType=PythonEvalType.SQL_MAP_ARROW_ITER_UDF)
    column = udf(*[frame[name] for name in frame.columns])
    return DataFrame(frame._jdf.pythonMapInArrow(column._jc.expr(), False), frame.sparkSession)


def _json_value(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not a JSON value: {value!r}")
