"""Accuracy against actuals: the forecasts that were served, joined with the demand that happened.

The predict function logs one record per served (series, target date) (docs/architecture.md, "Served-forecast
log"). When an ETL run (re)writes `demand_daily` for some dates, the job calls these transforms for exactly
those dates and writes the `accuracy` table, partitioned by date:

    date, group, model_version, n, abs_error, actual, error, wape, bias

- ``n``: served forecasts evaluated; ``abs_error`` = Σ|mean − actual|; ``actual`` = Σ actual;
  ``error`` = Σ(mean − actual) (positive = over-forecast).
- ``wape`` = abs_error / actual and ``bias`` = error / actual (null when Σ actual is 0: undefined, not 0).
- ``group`` is the warehouse (by default) and ``model_version`` the version that served the forecast; the
  roll-ups over all groups and/or all versions carry :data:`ALL` in that column, so the overall number of a
  day is the row ``group = ALL, model_version = ALL`` (the one the alarm watches).

Which served forecasts count (documented in docs/observability.md):
- each served forecast once: log records repeated by at-least-once delivery (same request, series and
  target date) are duplicates and count once;
- days that are closed, or had a stockout (sales then understate demand), are excluded and counted;
- a served series with no `demand_daily` row on an evaluated date has no actual and is counted, not guessed.

Everything here is DataFrame in, DataFrame (or small dict) out; reading and writing belong to etl/job.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.metrics_catalogue import UNITS

__all__ = [
    "ALL",
    "ACCURACY_COLUMNS",
    "SERVED_FORECAST_SCHEMA",
    "STATUSES",
    "PreparedServed",
    "prepare_served",
    "served_counts",
    "join_actuals",
    "accuracy_table",
    "status_counts",
    "summarize",
    "metric_data",
    "MAX_METRIC_ENTRIES",
]

ALL = "__all__"
"""The `group` / `model_version` value of a roll-up row."""

SERVED_FORECAST_SCHEMA = T.StructType(
    [
        T.StructField("served_at", T.StringType()),
        T.StructField("request_id", T.StringType()),
        T.StructField("model_version", T.StringType()),
        T.StructField("warehouse_id", T.StringType()),
        T.StructField("sku", T.StringType()),
        T.StructField("target_date", T.StringType()),
        T.StructField("step", T.IntegerType()),
        T.StructField("mean", T.DoubleType()),
        T.StructField("quantiles", T.MapType(T.StringType(), T.DoubleType())),
    ]
)
"""Read the served-forecast log (NDJSON) with this schema, so a malformed field becomes null, not a crash."""

ACCURACY_COLUMNS = ("date", "group", "model_version", "n", "abs_error", "actual", "error", "wape", "bias")

MAX_METRIC_ENTRIES = 1000
"""PutMetricData's per-call limit on data points."""

STATUSES = ("evaluated", "closed", "stockout", "no_actual")
"""What happened to each distinct served forecast on an evaluated date (see :func:`join_actuals`)."""

_KEY = ("request_id", "warehouse_id", "sku", "target_date")
_REQUIRED = ("request_id", "model_version", "warehouse_id", "sku", "target_date", "mean")


class PreparedServed(NamedTuple):
    """:func:`prepare_served`'s result."""

    valid: DataFrame
    """One row per (request_id, warehouse_id, sku, target_date), ``target_date`` as a date."""
    rejected: DataFrame
    """Every bad record, with a ``reason``."""
    passed: DataFrame
    """The records that passed validation, before duplicates were dropped (for counting)."""


def prepare_served(served: DataFrame) -> PreparedServed:
    """Validates raw served-forecast records and drops delivery duplicates.

    Rejection reasons: ``missing_<field>``, ``bad_target_date`` (not YYYY-MM-DD) or ``bad_mean`` (negative or
    not finite). Duplicates (the same request, series and target date logged twice) are kept once.
    """
    missing = [f for f in _REQUIRED if f not in served.columns]
    if missing:
        raise ValueError(f"served: missing columns {missing}; read the log with SERVED_FORECAST_SCHEMA")
    parsed = served.withColumn("_target", F.to_date(F.col("target_date"), "yyyy-MM-dd"))
    bad_mean = F.isnan("mean") | (F.col("mean") < 0) | (F.abs(F.col("mean")) == float("inf"))
    reason = F.when(F.col(_REQUIRED[0]).isNull(), F.lit(f"missing_{_REQUIRED[0]}"))
    for field in _REQUIRED[1:]:
        reason = reason.when(F.col(field).isNull(), F.lit(f"missing_{field}"))
    reason = reason.when(F.col("_target").isNull(), F.lit("bad_target_date")).when(
        bad_mean, F.lit("bad_mean")
    )
    with_reason = parsed.withColumn("reason", reason)
    rejected = with_reason.where(F.col("reason").isNotNull()).drop("_target")
    passed = (
        with_reason.where(F.col("reason").isNull())
        .drop("reason", "target_date")
        .withColumnRenamed("_target", "target_date")
    )
    return PreparedServed(passed.dropDuplicates(list(_KEY)), rejected, passed)


def served_counts(prepared: PreparedServed) -> dict[str, Any]:
    """Counts measured from each frame: ``records_in = valid + duplicates + rejected`` (by reason)."""
    by_reason = {r["reason"]: int(r["count"]) for r in prepared.rejected.groupBy("reason").count().collect()}
    passed = prepared.passed.count()
    valid = prepared.valid.count()
    rejected = sum(by_reason.values())
    return {
        "records_in": passed + rejected,
        "valid": valid,
        "duplicates": passed - valid,
        "rejected": dict(sorted(by_reason.items())),
    }


def join_actuals(
    served: DataFrame,
    demand: DataFrame,
    dates: Iterable[date] | None = None,
    *,
    actual_col: str = "units_sold",
    exclude_stockouts: bool = True,
) -> DataFrame:
    """Attaches the actual of each served forecast whose target date is in ``dates`` (all dates when None).

    ``served`` is :func:`prepare_served`'s valid frame; ``demand`` is `demand_daily` (warehouse_id, sku, date,
    ``actual_col``, closed, stockout). Adds ``actual`` (double, null unless evaluated) and ``status``, one of
    :data:`STATUSES`: ``closed`` and ``stockout`` days are excluded (sales on them are not demand), and
    ``no_actual`` means the series has no row that day.
    """
    for col in ("warehouse_id", "sku", "date", actual_col, "closed", "stockout"):
        if col not in demand.columns:
            raise ValueError(f"demand: missing column {col!r} (expected demand_daily)")
    selected = served
    if dates is not None:
        wanted = sorted(set(dates))
        if not wanted:
            raise ValueError("dates: empty; pass None to evaluate every date")
        selected = served.where(F.col("target_date").isin(wanted))
    actuals = demand.select(
        F.col("warehouse_id"),
        F.col("sku"),
        F.col("date").cast("date").alias("target_date"),
        F.col(actual_col).cast("double").alias("_actual"),
        F.coalesce(F.col("closed"), F.lit(False)).alias("_closed"),
        F.coalesce(F.col("stockout"), F.lit(False)).alias("_stockout"),
    )
    joined = selected.join(actuals, ["warehouse_id", "sku", "target_date"], "left")
    status = (
        F.when(F.col("_actual").isNull(), F.lit("no_actual"))
        .when(F.col("_closed"), F.lit("closed"))
        .when(F.col("_stockout") & F.lit(exclude_stockouts), F.lit("stockout"))
        .otherwise(F.lit("evaluated"))
    )
    return (
        joined.withColumn("status", status)
        .withColumn("actual", F.when(F.col("status") == "evaluated", F.col("_actual")))
        .drop("_actual", "_closed", "_stockout")
    )


def accuracy_table(joined: DataFrame, *, group_col: str = "warehouse_id") -> DataFrame:
    """Aggregates :func:`join_actuals`'s evaluated rows per date × group × model version, with roll-ups.

    Returns :data:`ACCURACY_COLUMNS`; ``group`` holds the value of ``group_col`` (or :data:`ALL`).
    """
    if group_col not in joined.columns:
        raise ValueError(f"group_col: no column {group_col!r} in the joined frame")
    evaluated = joined.where(F.col("status") == "evaluated").select(
        F.col("target_date").alias("date"),
        F.col(group_col).cast("string").alias("group"),
        F.col("model_version"),
        (F.col("mean") - F.col("actual")).alias("_e"),
        F.col("actual"),
    )
    cube = (
        evaluated.cube("date", "group", "model_version")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(F.abs("_e")).alias("abs_error"),
            F.sum("actual").alias("actual"),
            F.sum("_e").alias("error"),
            F.grouping("date").alias("_gd"),
        )
        # The date is never rolled up: accuracy is per day.
        .where(F.col("_gd") == 0)
        .drop("_gd")
    )
    defined = F.col("actual") > 0
    return cube.select(
        "date",
        F.coalesce(F.col("group"), F.lit(ALL)).alias("group"),
        F.coalesce(F.col("model_version"), F.lit(ALL)).alias("model_version"),
        F.col("n").cast("long").alias("n"),
        "abs_error",
        "actual",
        "error",
        F.when(defined, F.col("abs_error") / F.col("actual")).alias("wape"),
        F.when(defined, F.col("error") / F.col("actual")).alias("bias"),
    )


def status_counts(joined: DataFrame) -> dict[str, int]:
    """Counts of :func:`join_actuals`'s rows by status, every status present (0 when none)."""
    counts = {row["status"]: int(row["count"]) for row in joined.groupBy("status").count().collect()}
    return {status: counts.get(status, 0) for status in STATUSES}


def summarize(accuracy: DataFrame) -> list[dict[str, Any]]:
    """The accuracy rows as plain dicts (date as ISO string), newest date first: for the run manifest.

    Only the per-group rows over all model versions: the manifest stays small and readable.
    """
    rows = (
        accuracy.where(F.col("model_version") == ALL).orderBy(F.col("date").desc(), F.col("group")).collect()
    )
    return [
        {
            "date": row["date"].isoformat(),
            "group": row["group"],
            "n": int(row["n"]),
            "abs_error": float(row["abs_error"]),
            "actual": float(row["actual"]),
            "error": float(row["error"]),
            "wape": None if row["wape"] is None else float(row["wape"]),
            "bias": None if row["bias"] is None else float(row["bias"]),
        }
        for row in rows
    ]


def metric_data(
    summary: Sequence[Mapping[str, Any]],
    *,
    timestamp: datetime,
    dimensions: Mapping[str, str] | None = None,
    max_entries: int = MAX_METRIC_ENTRIES,
) -> list[dict[str, Any]]:
    """CloudWatch `MetricData` entries for :func:`summarize`'s rows (metric catalogue: docs/observability.md).

    Per row: ForecastWAPE and ForecastBias (when defined) and ForecastsEvaluated, dimensioned by ``Group``
    plus ``dimensions``. All carry ``timestamp`` (the run's time): CloudWatch refuses data points older than
    two weeks, and late actuals can rewrite older days. The job sends them with its one PutMetricData call,
    so at most ``max_entries`` are returned: the overall rows first, then the newest dates (the `accuracy`
    table keeps everything).
    """
    if max_entries < 3:
        raise ValueError(f"max_entries: expected at least 3, got {max_entries}")
    stamp = timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    extra = [{"Name": k, "Value": v} for k, v in sorted((dimensions or {}).items())]
    ordered = sorted(summary, key=lambda r: (r["group"] != ALL, _neg_date(r["date"]), str(r["group"])))
    data: list[dict[str, Any]] = []
    for row in ordered:
        dims = [*extra, {"Name": "Group", "Value": str(row["group"])}]
        entries = [
            {"MetricName": name, "Dimensions": dims, "Timestamp": stamp, "Value": float(value)}
            | {"Unit": UNITS[name]}
            for name, value in (
                ("ForecastWAPE", row["wape"]),
                ("ForecastBias", row["bias"]),
                ("ForecastsEvaluated", row["n"]),
            )
            if value is not None and math.isfinite(float(value))
        ]
        if len(data) + len(entries) > max_entries:
            break
        data.extend(entries)
    return data


def _neg_date(value: Any) -> int:
    return -date.fromisoformat(str(value)).toordinal()
