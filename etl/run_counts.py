"""The counts a run reports in its manifest (etl/manifest.py checks that they reconcile).

One typed shape, built in one place, in one key order: the manifest is one JSON line whose keys keep the order
written here (records, then demand_daily, then accuracy when the run evaluated any, then series_state).
"""

# No `from __future__ import annotations`: TypedDict reads NotRequired from evaluated annotations only.
from typing import Any, NotRequired, TypedDict

__all__ = [
    "DemandCounts",
    "RecordCounts",
    "RunCounts",
    "UnreadableObject",
    "no_demand",
    "no_records",
    "run_counts",
]


class UnreadableObject(TypedDict):
    """A raw object that could not be read to its end (gzip cut short, …)."""

    key: str
    reason: str
    complete_lines: int


class RecordCounts(TypedDict):
    """What the run read: records_in = valid + quarantined + duplicates."""

    records_in: int
    valid: int
    quarantined: int
    quarantined_by_reason: dict[str, int]
    duplicates: int
    duplicates_by_kind: dict[str, int]
    unreadable_objects: list[UnreadableObject]


class DemandCounts(TypedDict):
    """What the run rewrote in demand_daily, read back from the staged partitions."""

    demand_rows_written: int
    partitions_rewritten: int
    demand_events_reflected: int
    events_in_rewritten_partitions: int


class RunCounts(RecordCounts, DemandCounts):
    """The manifest's counts: records, demand_daily, accuracy (runs that rewrote demand), series_state."""

    accuracy: NotRequired[dict[str, Any]]
    series_state_rows: int


def no_records() -> RecordCounts:
    """A run that read no records."""
    return RecordCounts(
        records_in=0,
        valid=0,
        quarantined=0,
        quarantined_by_reason={},
        duplicates=0,
        duplicates_by_kind={"within_run": 0, "earlier_runs": 0},
        unreadable_objects=[],
    )


def no_demand() -> DemandCounts:
    """A run with no valid event: demand_daily untouched."""
    return DemandCounts(
        demand_rows_written=0,
        partitions_rewritten=0,
        demand_events_reflected=0,
        events_in_rewritten_partitions=0,
    )


def run_counts(
    records: RecordCounts,
    demand: DemandCounts,
    series_state_rows: int,
    accuracy: dict[str, Any] | None = None,
) -> RunCounts:
    """The run's counts in the manifest's key order (``accuracy`` only when the run evaluated forecasts)."""
    counts: dict[str, Any] = {**records, **demand}
    if accuracy is not None:
        counts["accuracy"] = accuracy
    counts["series_state_rows"] = series_state_rows
    return RunCounts(**counts)
