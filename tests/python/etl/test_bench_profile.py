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


def test_the_step_table_sums_the_tasks_time_in_garbage_collection(tmp_path: Path) -> None:
    from bench.etl.profile import profile

    def task(stage: int, gc_ms: int) -> dict:
        metrics = {"Executor Run Time": 1000, "Executor CPU Time": 500_000_000, "JVM GC Time": gc_ms}
        return {"Event": "SparkListenerTaskEnd", "Stage ID": stage, "Task Metrics": metrics}

    events = [
        {"Event": "SparkListenerApplicationStart", "Timestamp": 0},
        {"Event": "SparkListenerJobStart", "Job ID": 0, "Submission Time": 10, "Stage IDs": [0]},
        task(0, 300),
        task(0, 450),
        {"Event": "SparkListenerJobEnd", "Job ID": 0, "Completion Time": 2010},
        {"Event": "SparkListenerApplicationEnd", "Timestamp": 3000},
    ]
    log = tmp_path / "events"
    log.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    empty = tmp_path / "etl.log"
    empty.write_text("")
    text = profile(log, empty)
    assert "| tasks' GC s |" in text
    # tasks 2, jobs' wall 2.0 s, run 2.0 s, CPU 1.0 s, GC 0.75 s
    assert "| **all** |  | 1 | 2 | 2.0 | 2.0 | 1.0 | 0.8 |" in text
