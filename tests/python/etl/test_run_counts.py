"""The run's counts: one shape, one key order (the manifest is one JSON line that keeps it)."""

from __future__ import annotations

import json

from etl.manifest import check_counts
from etl.run_counts import DemandCounts, RunCounts, no_demand, no_records, run_counts

RECORD_KEYS = [
    "records_in",
    "valid",
    "quarantined",
    "quarantined_by_reason",
    "duplicates",
    "duplicates_by_kind",
    "unreadable_objects",
]
DEMAND_KEYS = [
    "demand_rows_written",
    "partitions_rewritten",
    "demand_events_reflected",
    "events_in_rewritten_partitions",
]


def test_an_empty_run_reconciles_in_the_manifest_order():
    counts = run_counts(no_records(), no_demand(), series_state_rows=0)
    assert list(counts) == [*RECORD_KEYS, *DEMAND_KEYS, "series_state_rows"]
    assert counts["duplicates_by_kind"] == {"within_run": 0, "earlier_runs": 0}
    check_counts(counts)


def test_accuracy_sits_between_demand_and_series_state_when_present():
    demand = DemandCounts(
        demand_rows_written=4,
        partitions_rewritten=1,
        demand_events_reflected=3,
        events_in_rewritten_partitions=3,
    )
    records = {**no_records(), "records_in": 3, "valid": 3}
    counts = run_counts(records, demand, series_state_rows=2, accuracy={"evaluated": 0})
    assert list(counts) == [*RECORD_KEYS, *DEMAND_KEYS, "accuracy", "series_state_rows"]
    assert counts["series_state_rows"] == 2
    check_counts(counts)
    assert json.loads(json.dumps(counts)) == counts


def test_the_type_declares_every_key_the_builder_writes():
    declared = set(RunCounts.__required_keys__) | set(RunCounts.__optional_keys__)
    assert declared == {*RECORD_KEYS, *DEMAND_KEYS, "accuracy", "series_state_rows"}
    assert RunCounts.__optional_keys__ == frozenset({"accuracy"})


def test_empty_parts_are_fresh_each_time():
    a, b = no_records(), no_records()
    a["quarantined_by_reason"]["x"] = 1
    assert b["quarantined_by_reason"] == {}
