"""Run metrics for CloudWatch: one PutMetricData call per run (locally the manifest holds the numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from etl import accuracy
from etl.metrics_catalogue import UNITS

__all__ = ["METRICS", "metric_data", "publish_metrics"]

# manifest field → catalogued metric (schemas/metrics.json, through etl/metrics_catalogue.py: name → unit)
METRICS = {
    "records_in": "RecordsIn",
    "valid": "ValidEvents",
    "quarantined": "QuarantinedRecords",
    "duplicates": "DuplicateEvents",
    "demand_rows_written": "DemandRowsWritten",
    "partitions_rewritten": "PartitionsRewritten",
    "duration_seconds": "DurationSeconds",
}


def metric_data(manifest: Mapping[str, Any], job_name: str) -> list[dict[str, Any]]:
    """The MetricData entries of one run, dimensioned by the Glue job's name (plus `Group` for accuracy)."""
    dimensions = [{"Name": "JobName", "Value": job_name}]
    data = [
        {"MetricName": name, "Dimensions": dimensions, "Value": float(manifest[field]), "Unit": UNITS[name]}
        for field, name in METRICS.items()
    ]
    rows = manifest.get("accuracy", {}).get("rows", [])
    if rows:
        data += accuracy.metric_data(
            rows,
            timestamp=datetime.fromisoformat(manifest["finished_at"]),
            dimensions={"JobName": job_name},
            max_entries=accuracy.MAX_METRIC_ENTRIES - len(data),
        )
    return data


def publish_metrics(cloudwatch: Any, namespace: str, manifest: Mapping[str, Any], job_name: str) -> None:
    """One PutMetricData call (7 run entries plus the accuracy ones, capped at the API's 1,000 per call)."""
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=metric_data(manifest, job_name))
