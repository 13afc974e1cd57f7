"""The accuracy step of an ETL run: served-forecast log + the demand the run rewrote → `accuracy`.

etl/job.py calls :func:`run_accuracy` right after `demand_daily` is staged (etl/commit.py). The transforms
are in etl/accuracy.py; this module only picks the inputs, reads, writes and measures (docs/observability.md).

Which days: every date of the `demand_daily` partitions this run rewrote (per touched warehouse, every month
from its first changed month). Each such date is re-evaluated over **all** warehouses, so its `accuracy`
partition is complete when it is overwritten (dynamic partition overwrite: other dates are untouched).

Which log files: `forecasts/dt=…/` partitions from ``lead_days`` before the first evaluated date on (the
log's `dt` is the arrival date, so a forecast for day D sits in a partition on or before D, unless it was
served late, which later partitions cover).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.accuracy import (
    ACCURACY_COLUMNS,
    SERVED_FORECAST_SCHEMA,
    accuracy_table,
    join_actuals,
    prepare_served,
    served_counts,
    status_counts,
    summarize,
)
from etl.storage import Storage

__all__ = ["FORECASTS_PREFIX", "DEFAULT_LEAD_DAYS", "served_log_keys", "run_accuracy"]

FORECASTS_PREFIX = "forecasts/"
DEFAULT_LEAD_DAYS = 400
"""How far before a target date its forecast may have been served: above any horizon the API allows."""

_DT = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})/")


def served_log_keys(keys: Iterable[str], first_date: date, lead_days: int = DEFAULT_LEAD_DAYS) -> list[str]:
    """The served-forecast log files that may hold forecasts for dates from ``first_date`` on.

    Keys without a ``dt=YYYY-MM-DD/`` partition are kept (never silently dropped).
    """
    if lead_days < 0:
        raise ValueError(f"lead_days: expected >= 0, got {lead_days}")
    since = (first_date - timedelta(days=lead_days)).isoformat()
    out = []
    for key in keys:
        match = _DT.search(key)
        if match is None or match.group(1) >= since:
            out.append(key)
    return sorted(out)


def _empty_section() -> dict[str, Any]:
    return {
        "dates": [],
        "served": {"records_in": 0, "valid": 0, "duplicates": 0, "rejected": {}},
        "status": dict.fromkeys(("evaluated", "closed", "stockout", "no_actual"), 0),
        "rows": [],
    }


def run_accuracy(
    spark: SparkSession,
    raw: Storage,
    demand: DataFrame,
    touched: DataFrame,
    out: str,
    *,
    lead_days: int = DEFAULT_LEAD_DAYS,
) -> dict[str, Any]:
    """Evaluates the forecasts served for the rewritten dates; writes their `accuracy` partitions to ``out``.

    ``demand``: demand_daily as the run leaves it (with its ``month`` column); ``touched``: (warehouse_id,
    from_month) of the run's rewrite. Returns the manifest's ``accuracy`` section: the evaluated ``dates``
    (first and last), the served-log counts, the counts by status, and the written per-group rows (over all
    model versions), read back from ``out``.
    """
    rewritten = demand.join(F.broadcast(touched), "warehouse_id").filter(
        F.col("month") >= F.col("from_month")
    )
    dates = sorted(
        r["date"] for r in rewritten.select(F.col("date").cast("date").alias("date")).distinct().collect()
    )
    if not dates:
        return _empty_section()
    keys = served_log_keys((o.key for o in raw.list_files(FORECASTS_PREFIX)), dates[0], lead_days)
    if not keys:
        return {**_empty_section(), "dates": [dates[0].isoformat(), dates[-1].isoformat()]}

    served = spark.read.schema(SERVED_FORECAST_SCHEMA).json([raw.uri(k) for k in keys])
    prepared = prepare_served(served)
    day_demand = demand.withColumn("date", F.col("date").cast("date")).filter(F.col("date").isin(dates))
    joined = join_actuals(prepared.valid, day_demand, dates).persist()
    status = status_counts(joined)
    if status["evaluated"]:
        (
            accuracy_table(joined)
            .select(*ACCURACY_COLUMNS)
            .repartition("date")
            .write.mode("overwrite")
            .partitionBy("date")
            .parquet(out)
        )
    section = {
        "dates": [dates[0].isoformat(), dates[-1].isoformat()],
        "served": served_counts(prepared),
        "status": status,
        # Measured from what was written; nothing is written when no forecast met its actual.
        "rows": summarize(_read_back(spark, out, dates)) if status["evaluated"] else [],
    }
    joined.unpersist()
    return section


def _read_back(spark: SparkSession, uri: str, dates: list[date]) -> DataFrame:
    """The accuracy rows of ``dates`` as written (the partition value is read back as a string)."""
    written = spark.read.option("basePath", uri).parquet(uri)
    return written.withColumn("date", F.col("date").cast("date")).filter(F.col("date").isin(dates))
