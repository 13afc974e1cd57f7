"""Fixtures for the ETL tests: raw stores written in Firehose's layout, and a job runner."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from etl.options import JobOptions

SCHEMA = str(Path(__file__).resolve().parents[3] / "schemas" / "event.schema.json")


def event(
    event_id: str, event_type: str, occurred_at: str, sku: str = "S1", warehouse: str = "W1", **fields: Any
):
    """One contract event (schemas/event.schema.json)."""
    record = {
        "schema_version": 1,
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "warehouse_id": warehouse,
        "sku": sku,
    }
    if event_type != "inventory_snapshot" and "quantity" not in fields:
        fields["quantity"] = 1
    record.update(fields)
    return record


class RawStore:
    """A raw store directory: ``put`` writes one gzip NDJSON object under events/dt=<arrival date>/."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, name: str, records: list[Any], arrival: str = "2024-03-10") -> str:
        key = f"events/dt={arrival}/{name}.ndjson.gz"
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
        return key

    def put_bytes(self, name: str, content: bytes, arrival: str = "2024-03-10") -> str:
        """Writes an object exactly as given (hostile bytes, broken gzip)."""
        key = f"events/dt={arrival}/{name}.ndjson.gz"
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return key

    def calendar(self, days: dict[str, list[str]]) -> None:
        path = self.root / "calendar" / "closed-days.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(days))


@pytest.fixture
def raw_store(tmp_path: Path) -> RawStore:
    return RawStore(tmp_path / "raw")


@pytest.fixture
def run_job(spark, tmp_path: Path) -> Callable[..., dict]:
    """Runs the job on tmp_path/raw → tmp_path/processed and returns its manifest."""
    from etl.job import run

    def _run(**options: Any) -> dict:
        opts = JobOptions(
            raw=str(tmp_path / "raw"), processed=str(tmp_path / "processed"), schema=SCHEMA, **options
        )
        return run(spark, opts)

    return _run


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    return tmp_path / "processed"


def gzip_lines(lines: list[bytes]) -> bytes:
    """A gzip NDJSON object's bytes, each line ended by ``\\n``."""
    return gzip.compress(b"".join(line + b"\n" for line in lines))


@pytest.fixture
def run_manifest() -> dict[str, Any]:
    """A run manifest's metric fields with two accuracy rows (a warehouse and the ``__all__`` roll-up)."""
    from etl.accuracy import ALL

    return {
        "records_in": 10,
        "valid": 9,
        "quarantined": 1,
        "duplicates": 0,
        "demand_rows_written": 4,
        "partitions_rewritten": 1,
        "duration_seconds": 12.5,
        "finished_at": "2024-01-04T06:30:00.000Z",
        "accuracy": {
            "rows": [
                {"date": "2024-01-02", "group": "W1", "n": 2, "wape": 7 / 18, "bias": -3 / 18},
                {"date": "2024-01-02", "group": ALL, "n": 3, "wape": 7 / 22, "bias": -3 / 22},
            ]
        },
    }
