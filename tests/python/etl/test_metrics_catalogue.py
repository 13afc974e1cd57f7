"""The ETL's metrics against the catalogue schemas/metrics.json: what publish_metrics sends CloudWatch
(captured from its one PutMetricData call) is catalogued with its unit and dimension set, every ETL metric of
the catalogue is sent, and etl/metrics_catalogue.py is what scripts/metrics_catalogue.py makes of it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from etl.metrics import publish_metrics

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = json.loads((ROOT / "schemas" / "metrics.json").read_text())
_spec = importlib.util.spec_from_file_location(
    "metrics_catalogue_gen", ROOT / "scripts" / "metrics_catalogue.py"
)
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


class RecordingCloudWatch:
    """Takes the calls boto3's CloudWatch client would get."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def put_metric_data(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def _emitted(manifest: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    cloudwatch = RecordingCloudWatch()
    publish_metrics(cloudwatch, CATALOGUE["namespace"], manifest, "warecast-dev-etl")
    return [
        (call["Namespace"], d["MetricName"], d["Unit"], tuple(sorted(x["Name"] for x in d["Dimensions"])))
        for call in cloudwatch.calls
        for d in call["MetricData"]
    ]


def test_generated_module_is_current():
    """Run scripts/metrics_catalogue.py after changing schemas/metrics.json."""
    assert (ROOT / "etl" / "metrics_catalogue.py").read_text() == gen.module_text(CATALOGUE)


def test_every_metric_the_etl_sends_is_catalogued(run_manifest):
    problems = []
    for namespace, name, unit, dims in _emitted(run_manifest):
        entry = CATALOGUE["metrics"].get(name)
        if entry is None or entry["publisher"] != "etl":
            problems.append(f"{name}: not catalogued as an ETL metric")
        elif (namespace, unit) != (CATALOGUE["namespace"], entry["unit"]):
            problems.append(f"{name}: sent as {namespace}/{unit}")
        elif sorted(dims) not in [sorted(d) for d in entry["dimensions"]]:
            problems.append(f"{name}: dimension set {dims} not catalogued")
    assert problems == []


def test_every_catalogued_etl_metric_is_sent(run_manifest):
    """A run with accuracy rows sends each of them (alarms and the dashboard read several)."""
    sent = {name for _, name, _, _ in _emitted(run_manifest)}
    catalogued = {name for name, m in CATALOGUE["metrics"].items() if m["publisher"] == "etl"}
    assert catalogued - sent == set()
