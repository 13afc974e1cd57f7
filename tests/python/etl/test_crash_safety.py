"""Nothing lost, whatever happens: crashes, reprocess, concurrent runs, bad objects, hostile bytes."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

import etl.job
from etl.demand import DEMAND_COLUMNS
from etl.lock import LOCK_NAME, StoreLocked
from etl.storage import Storage
from tests.python.etl.conftest import event, gzip_lines

pytestmark = pytest.mark.spark


def _rows(spark, processed: Path, table: str, columns=None) -> list[tuple]:
    path = processed / table
    if not path.exists():
        return []
    df = spark.read.option("basePath", str(path)).parquet(str(path))
    return sorted(tuple(r) for r in df.select(*(columns or sorted(df.columns))).collect())


def _state(spark, processed: Path) -> tuple:
    """What a reader sees: demand_daily, series_state and quarantine, sorted, plus the committed runs."""
    runs = sorted(p.name for p in (processed / "runs").glob("*.json"))
    return (
        _rows(spark, processed, "demand_daily", DEMAND_COLUMNS),
        _rows(spark, processed, "series_state", ["warehouse_id", "sku", "end_date", "units", "run_id"]),
        _rows(spark, processed, "quarantine", ["run_id", "source", "line", "reason"]),
        runs,
    )


def _week(prefix: str, day: int, quantity: int = 1, warehouse: str = "W1") -> list[dict]:
    return [
        event(f"{prefix}{i}", "sale", f"2024-03-0{day}T1{i}:00:00Z", quantity=quantity, warehouse=warehouse)
        for i in range(3)
    ]


class Crash(Exception):
    """Stands for a kill: the run stops where it is."""


def _crash_in(monkeypatch, name: str) -> None:
    def crash(*_args, **_kwargs):
        raise Crash(name)

    monkeypatch.setattr(etl.job, name, crash)


def test_a_killed_reprocess_loses_nothing_and_the_next_run_goes_on(
    spark, raw_store, run_job, processed, monkeypatch
):
    raw_store.put("a", _week("a", 1))
    raw_store.put("b", _week("b", 2, warehouse="W2"), arrival="2024-03-11")
    run_job()
    committed = _state(spark, processed)

    with monkeypatch.context() as patch:
        _crash_in(patch, "_write_state")  # after demand_daily and accuracy are staged
        with pytest.raises(Crash):
            run_job(reprocess=True)
    assert _state(spark, processed) == committed
    assert list((processed / "_staging").iterdir())  # the crashed run's output, never visible

    raw_store.put("c", _week("c", 3), arrival="2024-03-12")
    after = run_job()
    assert [o["key"] for o in after["objects"]] == ["events/dt=2024-03-12/c.ndjson.gz"]
    assert not (processed / "_staging").exists()
    demand = _rows(spark, processed, "demand_daily", ["warehouse_id", "date", "units_sold", "event_count"])
    assert sum(r[3] for r in demand) == 9  # every event of a, b and c: history survived


def test_uncommitted_output_is_never_visible_and_a_crash_after_the_commit_is_finished(
    spark, raw_store, run_job, processed, monkeypatch
):
    raw_store.put("a", _week("a", 1))
    run_job()
    committed = _state(spark, processed)
    raw_store.put("b", _week("b", 1, quantity=5), arrival="2024-03-11")

    # Killed after the demand_daily step: demand_daily and series_state still agree with the last commit.
    with monkeypatch.context() as patch:
        _crash_in(patch, "_write_state")
        with pytest.raises(Crash):
            run_job()
    assert _state(spark, processed) == committed

    # Killed while the committed run's files move into place: the next run finishes the move first.
    moves = []
    original = Storage.move

    def move_then_crash(self, source, target):
        if source.startswith("_staging/") and source.endswith(".parquet"):  # a staged file moving into place
            if len(moves) == 2:
                raise Crash("mid-move")
            moves.append(target)
        return original(self, source, target)

    with monkeypatch.context() as patch:
        patch.setattr(Storage, "move", move_then_crash)
        with pytest.raises(Crash):
            run_job()
    assert len(moves) == 2  # killed with some of the committed run's files in place, others not
    crashed = json.loads(
        next(p for p in (processed / "runs").glob("*.json") if p.name > committed[3][-1]).read_text()
    )
    assert crashed["valid"] == 3
    nothing_new = run_job()
    assert nothing_new["records_in"] == 0
    state = _state(spark, processed)
    assert not (processed / "_staging").exists()
    demand = _rows(spark, processed, "demand_daily", ["date", "units_sold", "event_count"])
    assert [(d.isoformat(), units, n) for d, units, n in demand] == [("2024-03-01", 18.0, 6)]
    assert [r[4] for r in state[1]] == [crashed["run_id"]]  # series_state of the committed run


def test_one_writer_at_a_time(spark, raw_store, run_job, processed, tmp_path):
    raw_store.put("a", _week("a", 1))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from datetime import datetime, timezone; from etl.lock import store_lock\n"
            "with store_lock(sys.argv[1], 'run-holding', datetime.now(timezone.utc)):\n"
            "    print('held', flush=True); time.sleep(60)",
            str(processed),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreLocked, match=rf"in use by run run-holding \(pid {holder.pid} on "):
            run_job()
        assert not (processed / "runs").exists()
    finally:
        holder.kill()
        holder.wait()
    # The holder died without releasing: its lock is stale and the next run takes it over.
    assert (processed / LOCK_NAME).exists()
    assert run_job()["valid"] == 3
    assert not (processed / LOCK_NAME).exists()


def test_bad_objects_and_hostile_lines_never_block_the_store(spark, raw_store, run_job, processed):
    good = [json.dumps(e).encode() for e in _week("g", 1)]
    many = [json.dumps(event(f"t{i}", "sale", "2024-03-02T10:00:00Z")).encode() for i in range(3000)]
    truncated = gzip_lines(many)
    raw_store.put_bytes("1-truncated", truncated[: len(truncated) // 2])
    raw_store.put_bytes("2-not-gzip", b"\n".join(good) + b"\n")
    sale = json.dumps(event("u\u0000", "sale", "2024-03-03T10:00:00Z", quantity=3))
    hostile = [
        sale.replace("\\u0000", "\xff").encode("latin-1"),  # invalid UTF-8: must not merge with \xfe
        sale.replace("\\u0000", "\xfe").encode("latin-1"),
        json.dumps(event("ancient", "sale", "1899-06-01T00:00:00Z")).encode(),
        json.dumps(event("future", "sale", "9999-12-31T00:00:00Z")).encode(),
        (json.dumps(event("two", "sale", "2024-03-03T10:00:00Z")) + json.dumps(GOOD_TWO)).encode(),
        json.dumps(event("cr", "sale", "2024-03-03T10:00:00Z")).replace(", ", ",\r", 1).encode(),
        json.dumps(event("ok", "sale", "2024-03-03T11:00:00Z", quantity=2)).encode(),
    ]
    raw_store.put_bytes("3-hostile", gzip_lines(hostile))
    manifest = run_job()

    complete = manifest["unreadable_objects"][0]["complete_lines"]
    assert 0 < complete < 3000
    assert manifest["unreadable_objects"] == [
        {
            "key": "events/dt=2024-03-10/1-truncated.ndjson.gz",
            "reason": "unreadable_object:EOFError",
            "complete_lines": complete,
        },
        {
            "key": "events/dt=2024-03-10/2-not-gzip.ndjson.gz",
            "reason": "unreadable_object:BadGzipFile",
            "complete_lines": 0,
        },
    ]
    assert manifest["records_in"] == complete + 1 + 1 + len(hostile)
    assert manifest["quarantined_by_reason"] == {
        "invalid_json": 1,
        "invalid_utf8": 2,
        "line_break": 1,
        "unreadable_object:BadGzipFile": 1,
        "unreadable_object:EOFError": 1,
        "window:occurred_at": 2,
    }
    assert manifest["valid"] == complete + 1
    quarantine = processed / "quarantine"
    # Readable by pyarrow, pandas and DuckDB, with the exact bytes beside a text preview.
    table = pq.read_table(quarantine).to_pylist()
    by_line = {(r["source"].split("/")[-1], r["line"]): r for r in table}
    first = by_line[("3-hostile.ndjson.gz", 1)]
    assert (first["reason"], first["raw_bytes"]) == ("invalid_utf8", hostile[0])
    assert '"u\\xff"' in first["raw"]
    assert len(pd.read_parquet(quarantine)) == 8
    count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{quarantine}/**/*.parquet')").fetchone()[0]
    assert count == 8

    raw_store.put("later", [event("l1", "sale", "2024-03-04T10:00:00Z")], arrival="2024-03-11")
    assert run_job()["valid"] == 1  # later objects are still processed


GOOD_TWO = event("second", "sale", "2024-03-03T10:00:00Z")


def test_a_lone_carriage_return_does_not_split_a_record(spark, raw_store, run_job, processed):
    lines = [json.dumps(e) for e in _week("r", 1)]
    content = (lines[0] + "\n" + lines[1].replace(", ", ",\r", 1) + "\n" + lines[2] + "\r\n").encode()
    raw_store.put_bytes("cr", gzip.compress(content))
    manifest = run_job()
    assert (manifest["records_in"], manifest["valid"], manifest["quarantined_by_reason"]) == (
        3,
        2,
        {"line_break": 1},
    )
    rows = _rows(spark, processed, "quarantine", ["line", "reason"])
    assert rows == [(2, "line_break")]


def test_a_stale_lock_of_an_unwritten_file_is_taken_over_only_after_a_grace_period(tmp_path):
    from datetime import UTC, datetime

    from etl.lock import store_lock

    (tmp_path / LOCK_NAME).write_text("")
    with pytest.raises(StoreLocked):
        with store_lock(str(tmp_path), "r1", datetime.now(UTC)):
            pass
    old = time.time() - 60
    os.utime(tmp_path / LOCK_NAME, (old, old))
    with store_lock(str(tmp_path), "r2", datetime.now(UTC)):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["run_id"] == "r2"
