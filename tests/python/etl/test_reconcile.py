"""Property: whatever arrives, in however many runs, the counts reconcile and demand_daily reflects each valid
event exactly once."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.job import run
from etl.options import JobOptions
from tests.python.etl.conftest import SCHEMA, RawStore, event

pytestmark = pytest.mark.spark

_ids = st.sampled_from([f"e{i}" for i in range(12)])  # few ids: duplicates within and across runs
_valid = st.builds(
    lambda i, kind, day, hour, sku, q: event(
        i, kind, f"2024-0{day // 28 + 1}-{day % 28 + 1:02d}T{hour:02d}:30:00Z", sku=sku, quantity=q
    )
    if kind != "inventory_snapshot"
    else event(i, kind, f"2024-0{day // 28 + 1}-{day % 28 + 1:02d}T{hour:02d}:30:00Z", sku=sku, on_hand=q),
    _ids,
    st.sampled_from(["sale", "return", "receipt", "inventory_snapshot"]),
    st.integers(0, 80),
    st.integers(0, 23),
    st.sampled_from(["S1", "S2"]),
    st.integers(0, 9),
)
_broken = st.sampled_from(
    ["", "{", "[1]", '{"event_id": "x"}', json.dumps(event("b", "sale", "2024-13-01T00:00:00Z"))]
)
_line = st.one_of(_valid, _valid, _valid, _broken)
_runs = st.lists(
    st.lists(st.lists(_line, min_size=0, max_size=8), min_size=1, max_size=2), min_size=1, max_size=2
)


# Each example runs the job once per batch: few examples, no deadline.
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(batches=_runs)
def test_counts_reconcile_and_demand_reflects_every_valid_event(spark, batches):
    with tempfile.TemporaryDirectory() as tmp:
        store = RawStore(Path(tmp) / "raw")
        opts = JobOptions(raw=str(store.root), processed=str(Path(tmp) / "processed"), schema=SCHEMA)
        valid_total = 0
        for r, objects in enumerate(batches):
            for o, lines in enumerate(objects):
                store.put(f"run{r}-object{o}", lines, arrival=f"2024-04-0{r + 1}")
            manifest = run(spark, opts)
            lines_in = sum(len(lines) for lines in objects)
            assert manifest["records_in"] == lines_in
            assert (
                manifest["records_in"] == manifest["valid"] + manifest["quarantined"] + manifest["duplicates"]
            )
            valid_total += manifest["valid"]
        demand = Path(tmp) / "processed" / "demand_daily"
        reflected = (
            spark.read.option("basePath", str(demand))
            .parquet(str(demand))
            .agg({"event_count": "sum"})
            .first()[0]
            if demand.exists()
            else 0
        )
        assert (reflected or 0) == valid_total
        ids = {
            line["event_id"]
            for objects in batches
            for lines in objects
            for line in lines
            if isinstance(line, dict)
        }
        assert valid_total == len(ids)  # every distinct valid id counted once, across runs
