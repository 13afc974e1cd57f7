"""CPU cost per line of the ETL's validation path, without Spark: the full shared rules (etl/records.py), the
fast path that vouches for plain valid lines (etl/typed_decoder.py) one line at a time and a batch at a time
(as the job runs it), and the whole per-object work of etl/raw_objects.py (gunzip, split, fast path or full
rules, build columns).

    .venv/bin/python -m bench.etl.checker [--lines 100000]

CPU time of this process (not wall time), so a busy machine distorts it less; still, compare numbers from the
same run only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from etl.raw_objects import _BATCH_ROWS, _check_object
from etl.records import RecordChecker
from etl.schema_rules import compile_schema, load_limits, load_schema

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "event.schema.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    n = parser.parse_args().lines
    schema = load_schema(SCHEMA)
    checker = RecordChecker(compile_schema(schema), load_limits(schema))
    record = {
        "schema_version": 1,
        "event_type": "sale",
        "warehouse_id": "W1",
        "sku": "SKU-001",
        "quantity": 3,
        "unit_price": 1.99,
        "promo": False,
    }
    lines = [
        json.dumps(
            {**record, "event_id": f"e{i}", "occurred_at": f"2020-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"},
            separators=(",", ":"),
        ).encode()
        for i in range(n)
    ]
    content = gzip.compress(b"\n".join(lines) + b"\n", 1)
    latest = checker.latest_us(datetime(2024, 1, 2, tzinfo=UTC))

    start = time.process_time()
    for line in lines:
        checker.check(line, latest)
    check = time.process_time() - start
    start = time.process_time()
    for line in lines:
        checker.check_fast(line, latest)
    fast = time.process_time() - start
    start = time.process_time()
    for first in range(0, n, _BATCH_ROWS):
        checker.check_fast_lines(lines[first : first + _BATCH_ROWS], latest, plain_bytes=True)
    batched = time.process_time() - start
    start = time.process_time()
    batches = _check_object(checker, "events/dt=2024-01-01/x", datetime.now(UTC), content)
    rows = sum(len(batch["line"]) for batch in batches)
    whole = time.process_time() - start
    assert rows == n
    per_line = {
        "full rules": check,
        "fast path, line by line": fast,
        "fast path, in batches": batched,
        "object to columns (gunzip, split, check)": whole,
    }
    print("; ".join(f"{name} {seconds / n * 1e6:.1f} µs/line" for name, seconds in per_line.items()), "(CPU)")


if __name__ == "__main__":
    main()
