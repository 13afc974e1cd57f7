"""Run manifests (``runs/<run_id>.json``): the job's record of what it read and wrote, and its commit point.

A run is committed when its manifest exists. The manifests say which raw objects are processed (the portable
stand-in for Glue bookmarks, which exist only in Glue's own readers), and which run partitions of
``events_clean`` and ``quarantine`` are real: partitions of a run without a manifest (a crashed run) are
ignored and deleted by the next run. A reprocess manifest starts a new history: earlier manifests no longer
count.

Every count is measured from the data read or written (docs/architecture.md); ``check_counts`` verifies the
invariant before the manifest is written, so a run whose numbers do not reconcile never commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from secrets import token_hex
from typing import Any

from etl.storage import ObjectInfo, Storage

__all__ = [
    "RUNS_PREFIX",
    "new_run_id",
    "committed_manifests",
    "build_manifest",
    "check_counts",
    "write_manifest",
]

RUNS_PREFIX = "runs/"


def new_run_id(started: datetime) -> str:
    """Sortable and unique: ``2026-11-28T05-00-00Z-1a2b3c``."""
    return f"{started.strftime('%Y-%m-%dT%H-%M-%SZ')}-{token_hex(3)}"


def committed_manifests(processed: Storage) -> list[dict[str, Any]]:
    """The manifests since (and including) the newest reprocess, oldest first."""
    manifests = []
    for info in processed.list_files(RUNS_PREFIX):
        if not info.key.endswith(".json"):
            continue
        try:
            manifest = json.loads(processed.read_text(info.key))
        except json.JSONDecodeError as err:
            raise ValueError(
                f"run manifest {processed.uri(info.key)} is not JSON ({err}); fix or remove it"
            ) from err
        manifests.append(manifest)
    manifests.sort(key=lambda m: m["run_id"])
    reprocessed = [i for i, m in enumerate(manifests) if m.get("mode") == "reprocess"]
    return manifests[reprocessed[-1] :] if reprocessed else manifests


def build_manifest(
    *,
    run_id: str,
    started: datetime,
    finished: datetime,
    reprocess: bool,
    objects: Sequence[ObjectInfo],
    counts: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "duration_seconds": round((finished - started).total_seconds(), 3),
        "mode": "reprocess" if reprocess else "incremental",
        "objects": [{"key": o.key, "size": o.size} for o in objects],
        **counts,
        "settings": dict(settings),
    }


def check_counts(counts: Mapping[str, Any]) -> None:
    """records_in = valid + quarantined + duplicates, and the demand rows reflect exactly the valid events."""
    total = counts["valid"] + counts["quarantined"] + counts["duplicates"]
    if counts["records_in"] != total:
        raise RuntimeError(
            f"counts do not reconcile: records_in {counts['records_in']} != valid {counts['valid']} + "
            f"quarantined {counts['quarantined']} + duplicates {counts['duplicates']}"
        )
    if sum(counts["quarantined_by_reason"].values()) != counts["quarantined"]:
        raise RuntimeError(f"quarantine reasons do not add up: {counts['quarantined_by_reason']}")
    if sum(counts["duplicates_by_kind"].values()) != counts["duplicates"]:
        raise RuntimeError(f"duplicate kinds do not add up: {counts['duplicates_by_kind']}")
    if counts["demand_events_reflected"] != counts["events_in_rewritten_partitions"]:
        raise RuntimeError(
            f"demand_daily reflects {counts['demand_events_reflected']} events in the rewritten partitions, "
            f"but {counts['events_in_rewritten_partitions']} valid events fall in them"
        )


def write_manifest(processed: Storage, manifest: Mapping[str, Any]) -> str:
    key = f"{RUNS_PREFIX}{manifest['run_id']}.json"
    # One line: Athena's JSON SerDe reads one object per line.
    processed.write_text(key, json.dumps(manifest) + "\n")
    return processed.uri(key)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
