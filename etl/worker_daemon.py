"""The Python worker daemon for local runs (``spark.python.daemon.module``, set by ``warecast etl``).

Spark starts one daemon per executor and forks a worker from it for each Python task slot. What the daemon
imports before it forks, every worker inherits: so the validation's imports (pyarrow, which imports pandas
on its first conversion from Python lists, and the checks themselves) are paid once per run instead of once
per core, in the same seconds that the JVM's first tasks start (bench/etl/RESULTS.md, issue 16).
"""

from __future__ import annotations

import pandas  # noqa: F401  # pyarrow imports it on the first RecordBatch.from_pydict of a worker
import pyarrow  # noqa: F401
from pyspark import daemon

import etl.raw_objects  # noqa: F401  # the mapInArrow function's module and the checks it uses

if __name__ == "__main__":
    daemon.manager()
