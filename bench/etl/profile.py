"""Where a run's time goes, from Spark's event log: per step of the job, the Spark jobs it ran, their wall
time, the executors' run and CPU time, and the shuffle and spill volumes.

    .venv/bin/python -m bench.etl.profile EVENT_LOG ETL_LOG [--jobs] [--plans] [--out FILE]

`bench.etl.run --event-logs` records both for every job it runs and writes this profile beside each output
(spark-submit reads ``spark-defaults.conf`` from SPARK_CONF_DIR, so `warecast etl` of any revision runs
unchanged). Spark jobs are put in the step during which they started, from the job's own step lines (``… step
NAME: 12.3 s``), so the profile reads in the job's terms for the baseline too. A step's time beyond its jobs'
wall time is the driver's: planning, Python on the driver, listing and moving files. Executor CPU is the
JVM's: the Python workers that check records (mapInArrow) are separate processes, whose time shows in the run
time but not in the CPU time. The tasks' GC time is the sum of each task's: `warecast etl`'s serial collector
stops every task, so a pause counts once per task running (two locally).

``--jobs`` adds the run's timeline: every Spark job in order with its start (seconds after the application's),
wall time, tasks, what started it (the query's call site in the job's code, or Spark's own listing and
schema-inference jobs), what kind of stage it is (a broadcast, a shuffle's map side, the result), and the
driver's time since the previous job ended (planning, Python, listing and moving files).

``--plans`` adds every query's final physical plan, each operator with its SQL metrics (how many rows it
produced, sort and aggregation times, shuffle bytes, files written): where a step's time goes inside its jobs.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["event_log_options", "plans", "profile", "timeline"]

_STEP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*step (.+?): ([0-9.]+) s$")


def event_log_options(event_dir: Path) -> str:
    """JVM options (SPARK_SUBMIT_OPTS) that make spark-submit write an event log into ``event_dir``: Spark
    reads ``spark.*`` system properties as settings. Not a SPARK_CONF_DIR: a directory with files on Spark's
    classpath turns off the class-data sharing that `warecast etl` uses."""
    return f"-Dspark.eventLog.enabled=true -Dspark.eventLog.dir=file://{event_dir}"


@dataclass
class _Totals:
    seconds: float = 0.0
    jobs: int = 0
    tasks: int = 0
    job_ms: float = 0.0
    run_ms: float = 0.0
    cpu_ms: float = 0.0
    gc_ms: float = 0.0
    shuffle_write: int = 0
    shuffle_read: int = 0
    spill: int = 0

    def add(self, other: _Totals) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _events(event_log: Path) -> Iterator[tuple[str, dict]]:
    """(kind, event) of each line of a Spark event log."""
    for line in event_log.read_text().splitlines():
        event = json.loads(line)
        yield event["Event"], event


def _steps(etl_log: Path) -> list[tuple[str, float, float]]:
    """(name, start, end) in epoch ms, from the job's step lines (local time, as the job logs it)."""
    steps = []
    for line in etl_log.read_text(errors="replace").splitlines():
        match = _STEP.match(line)
        if match:
            end = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp() * 1000
            steps.append((match.group(2), end - float(match.group(3)) * 1000, end))
    return steps


def profile(event_log: Path, etl_log: Path) -> str:
    """A Markdown table of the run's Spark jobs by step."""
    steps = _steps(etl_log)
    names = [s[0] for s in steps]
    totals = {name: _Totals() for name in [*names, "before the steps", "after the steps"]}
    for name, start, end in steps:
        totals[name].seconds = (end - start) / 1000

    def step_at(ms: float) -> str:
        for name, start, end in steps:
            if start <= ms <= end:
                return name
        return "before the steps" if not steps or ms < steps[0][1] else "after the steps"

    job_step: dict[int, str] = {}
    job_start: dict[int, float] = {}
    stage_step: dict[int, str] = {}
    app = [0.0, 0.0]
    for kind, event in _events(event_log):
        if kind == "SparkListenerApplicationStart":
            app[0] = event["Timestamp"]
        elif kind == "SparkListenerApplicationEnd":
            app[1] = event["Timestamp"]
        elif kind == "SparkListenerJobStart":
            name = step_at(event["Submission Time"])
            job_step[event["Job ID"]], job_start[event["Job ID"]] = name, event["Submission Time"]
            totals[name].jobs += 1
            for stage_id in event["Stage IDs"]:
                stage_step[stage_id] = name
        elif kind == "SparkListenerJobEnd":
            job = event["Job ID"]
            totals[job_step[job]].job_ms += event["Completion Time"] - job_start[job]
        elif kind == "SparkListenerTaskEnd":
            step = totals[stage_step.get(event["Stage ID"], "after the steps")]
            metrics = event.get("Task Metrics") or {}
            step.tasks += 1
            step.run_ms += metrics.get("Executor Run Time", 0)
            step.cpu_ms += metrics.get("Executor CPU Time", 0) / 1e6
            step.gc_ms += metrics.get("JVM GC Time", 0)
            step.shuffle_write += (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
            read = metrics.get("Shuffle Read Metrics") or {}
            step.shuffle_read += read.get("Remote Bytes Read", 0) + read.get("Local Bytes Read", 0)
            step.spill += metrics.get("Disk Bytes Spilled", 0)
    lines = [
        f"Spark application {(app[1] - app[0]) / 1000:.1f} s (session start to stop).",
        "",
        "| step | step s | Spark jobs | tasks | jobs' wall s | executor run s | executor CPU s | tasks' GC s "
        "| shuffle write MB | shuffle read MB | spilled MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = _Totals()
    for name, s in totals.items():
        if not s.jobs and not s.seconds:
            continue
        total.add(s)
        lines.append(_row(name, s))
    lines.append(_row("**all**", total))
    return "\n".join(lines) + "\n"


def timeline(event_log: Path) -> str:
    """A Markdown table of every Spark job of the run, in order (``--jobs``)."""
    app_start = app_end = 0.0
    queries: dict[str, str] = {}
    jobs: dict[int, dict] = {}
    tasks: dict[int, int] = {}
    for kind, event in _events(event_log):
        if kind == "SparkListenerApplicationStart":
            app_start = event["Timestamp"]
        elif kind == "SparkListenerApplicationEnd":
            app_end = event["Timestamp"]
        elif kind.endswith("SQLExecutionStart"):
            queries[str(event["executionId"])] = event["description"]
        elif kind == "SparkListenerJobStart":
            props = event.get("Properties") or {}
            scope = json.loads(props["spark.rdd.scope"])["name"] if "spark.rdd.scope" in props else ""
            jobs[event["Job ID"]] = {
                "start": event["Submission Time"],
                "query": props.get("spark.sql.execution.id"),
                "description": props.get("spark.job.description") or "",
                "kind": _JOB_KINDS.get(scope, "result" if props.get("spark.sql.execution.id") else ""),
                "stages": [s["Stage ID"] for s in event["Stage Infos"]],
            }
        elif kind == "SparkListenerJobEnd":
            jobs[event["Job ID"]]["end"] = event["Completion Time"]
        elif kind == "SparkListenerTaskEnd":
            tasks[event["Stage ID"]] = tasks.get(event["Stage ID"], 0) + 1
    lines = [
        "| job | starts s | wall s | driver before it s | tasks | kind | started by |",
        "|---:|---:|---:|---:|---:|---|---|",
    ]
    previous_end = app_start
    for job_id in sorted(jobs, key=lambda j: jobs[j]["start"]):
        job = jobs[job_id]
        trigger = queries.get(job["query"] or "", "")
        if not trigger:
            description = re.sub(r"<br/>.*", "", job["description"])
            trigger = description.split(":")[0] if description else "no query: schema inference"
        gap = max(0.0, job["start"] - previous_end) / 1000
        starts, wall = (job["start"] - app_start) / 1000, (job["end"] - job["start"]) / 1000
        lines.append(
            f"| {job_id} | {starts:.2f} | {wall:.2f} | {gap:.2f} "
            f"| {sum(tasks.get(s, 0) for s in job['stages'])} | {job['kind']} | {_short(trigger)} |"
        )
        previous_end = max(previous_end, job["end"])
    ends, gap = (app_end - app_start) / 1000, max(0.0, app_end - previous_end) / 1000
    lines.append(f"| end | {ends:.2f} | | {gap:.2f} | | | |")
    return "\n".join(lines) + "\n"


def plans(event_log: Path) -> str:
    """Every query's final physical plan (after adaptive re-planning), each operator with its non-zero SQL
    metrics (``--plans``): rows, sort and aggregation times, shuffle bytes, files written."""
    final: dict[int, dict] = {}
    described: dict[int, str] = {}
    values: dict[int, int] = {}
    # Per task, for average metrics: the stage's accumulated value is their sum (each task's average × 10).
    updates: dict[int, list[int]] = defaultdict(list)
    for kind, event in _events(event_log):
        if kind == "SparkListenerTaskEnd":
            for acc in (event.get("Task Info") or {}).get("Accumulables", []):
                if str(acc.get("Update", "")).lstrip("-").isdigit():
                    updates[acc["ID"]].append(int(acc["Update"]))
        elif kind.endswith("SQLExecutionStart"):
            final[event["executionId"]] = event["sparkPlanInfo"]
            described[event["executionId"]] = event["description"]
        elif kind.endswith("SQLAdaptiveExecutionUpdate"):
            final[event["executionId"]] = event["sparkPlanInfo"]
        elif kind == "SparkListenerStageCompleted":
            for acc in event["Stage Info"].get("Accumulables", []):
                if str(acc.get("Value", "")).lstrip("-").isdigit():
                    values[acc["ID"]] = int(acc["Value"])
        elif kind.endswith("DriverAccumUpdates"):
            for acc_id, value in event["accumUpdates"]:
                values[acc_id] = values.get(acc_id, 0) + value
    lines: list[str] = []

    def walk(node: dict, depth: int) -> None:
        shown = []
        for metric in node.get("metrics", []):
            value = values.get(metric["accumulatorId"])
            if not value:
                continue
            unit = metric["metricType"]
            tasks = updates.get(metric["accumulatorId"])
            if unit == "average" and tasks:
                # Spark keeps an average metric × 10 per task and sums the tasks' values.
                mean = sum(tasks) / len(tasks) / 10
                shown.append(f"{metric['name']} {mean:.1f} (mean of {len(tasks)} tasks)")
            elif unit == "average":
                shown.append(f"{metric['name']} (sum of the tasks' averages × 10) {value:,}")
            elif unit in ("timing", "nsTiming"):
                shown.append(f"{metric['name']} {value / (1e3 if unit == 'timing' else 1e9):.2f} s")
            elif unit == "size":
                shown.append(f"{metric['name']} {value / 1e6:.1f} MB")
            else:
                shown.append(f"{metric['name']} {value:,}")
        lines.append("  " * depth + node["nodeName"] + (f"  [{'; '.join(shown)}]" if shown else ""))
        for child in node.get("children", []):
            walk(child, depth + 1)

    for query in sorted(final):
        lines.append(f"query {query}: {_short(described[query])}")
        walk(final[query], 1)
    return "\n".join(lines) + "\n"


_JOB_KINDS = {"BroadcastExchange": "broadcast", "Exchange": "shuffle map"}


def _short(call_site: str) -> str:
    """``collect at /abs/path/etl/job.py:172`` → ``collect at etl/job.py:172``."""
    return re.sub(r" at /\S*/(etl|bench)/", r" at \1/", call_site)


def _row(name: str, s: _Totals) -> str:
    seconds = f"{s.seconds:.1f}" if s.seconds else ""
    return (
        f"| {name} | {seconds} | {s.jobs} | {s.tasks} | {s.job_ms / 1000:.1f} | {s.run_ms / 1000:.1f} "
        f"| {s.cpu_ms / 1000:.1f} | {s.gc_ms / 1000:.1f} | {s.shuffle_write / 1e6:.1f} "
        f"| {s.shuffle_read / 1e6:.1f} | {s.spill / 1e6:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("event_log", type=Path)
    parser.add_argument("etl_log", type=Path)
    parser.add_argument("--jobs", action="store_true", help="add the timeline of every Spark job")
    parser.add_argument(
        "--plans", action="store_true", help="add every query's final plan with its operators' metrics"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    text = profile(args.event_log, args.etl_log)
    if args.jobs:
        text += "\n" + timeline(args.event_log)
    if args.plans:
        text += "\n```\n" + plans(args.event_log) + "```\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
