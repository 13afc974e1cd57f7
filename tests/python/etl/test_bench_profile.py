"""bench/etl/profile.py --plans: the final (adaptive) plan of each query, its operators' metrics filled in
(average metrics as the mean of the tasks' averages)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.etl.profile import plans


def _node(name: str, metrics: list[tuple[str, str, int]], *children: dict) -> dict:
    return {
        "nodeName": name,
        "metrics": [{"name": n, "metricType": t, "accumulatorId": i} for n, t, i in metrics],
        "children": list(children),
    }


def test_plans_show_the_final_plan_with_its_metrics(tmp_path: Path) -> None:
    first = _node("SortMergeJoin", [("number of output rows", "sum", 1)])
    final = _node(
        "HashAggregate",
        [
            ("number of output rows", "sum", 1),
            ("time in aggregation build", "timing", 2),
            ("avg hash probes per key", "average", 6),
        ],
        _node("Exchange", [("shuffle bytes written", "size", 3), ("shuffle write time", "nsTiming", 4)]),
        _node("Scan", [("number of files read", "sum", 5)]),
    )
    events = [
        {
            "Event": "SparkListenerSQLExecutionStart",
            "executionId": 0,
            "description": "count at /x/etl/job.py:9",
            "sparkPlanInfo": first,
        },
        {
            "Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate",
            "executionId": 0,
            "sparkPlanInfo": final,
        },
        {
            "Event": "SparkListenerStageCompleted",
            "Stage Info": {
                "Accumulables": [
                    {"ID": 1, "Value": "1234567"},
                    {"ID": 2, "Value": "2500"},
                    {"ID": 3, "Value": "31200000"},
                    {"ID": 4, "Value": "80000000"},
                    {"ID": 5, "Value": "0"},
                    {"ID": 6, "Value": "42"},
                ]
            },
        },
        # Two tasks' averages, 1.0 and 3.2 probes (Spark sends each × 10); the stage's value is their sum.
        {"Event": "SparkListenerTaskEnd", "Task Info": {"Accumulables": [{"ID": 6, "Update": "10"}]}},
        {"Event": "SparkListenerTaskEnd", "Task Info": {"Accumulables": [{"ID": 6, "Update": "32"}]}},
        {
            "Event": "org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates",
            "executionId": 0,
            "accumUpdates": [[5, 16]],
        },
    ]
    log = tmp_path / "events"
    log.write_text("".join(json.dumps(e) + "\n" for e in events))

    assert plans(log).splitlines() == [
        "query 0: count at etl/job.py:9",
        "  HashAggregate  [number of output rows 1,234,567; time in aggregation build 2.50 s; "
        "avg hash probes per key 2.1 (mean of 2 tasks)]",
        "    Exchange  [shuffle bytes written 31.2 MB; shuffle write time 0.08 s]",
        "    Scan  [number of files read 16]",
    ]
