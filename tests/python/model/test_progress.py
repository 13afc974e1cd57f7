"""Progress reports for the CLI (model/progress.py): JSON lines on WARECAST_PROGRESS_FD, or nothing."""

from __future__ import annotations

import json
import os

import pytest

import model.progress
from model.evaluate import main as evaluate_main

FAST = ["--hp", "max_iter=30", "--hp", "max_train_origins=15"]


@pytest.fixture
def progress_pipe(monkeypatch):
    """A pipe the reports go to; yields a function that returns the reports sent so far."""
    read_fd, write_fd = os.pipe()
    monkeypatch.setenv("WARECAST_PROGRESS_FD", str(write_fd))
    monkeypatch.setattr(model.progress, "_streams", {})
    reader = os.fdopen(read_fd)

    def reports():
        os.close(write_fd)
        return [json.loads(line) for line in reader]

    yield reports
    reader.close()


def test_backtest_reports_origins_and_its_fit(progress_pipe, tmp_path, long_df, capsys):
    csv = tmp_path / "sales.csv"
    long_df.to_csv(csv, index=False)
    assert evaluate_main(["--data", str(csv), "--horizon", "7", "--origins", "2", *FAST]) == 0
    sent = progress_pipe()
    assert {r["stage"] for r in sent} == {"backtest"}
    assert {(r["total"], r["unit"]) for r in sent} == {(2, "origins")}
    assert [r["done"] for r in sent] == [0, 0, 1, 2]
    assert [r.get("detail", "") for r in sent][:2] == ["origin 2018-02-11", "fitting the model"]
    assert "12 series" in capsys.readouterr().out  # the result still goes to stdout


def test_without_the_variable_nothing_is_sent(monkeypatch):
    monkeypatch.delenv("WARECAST_PROGRESS_FD", raising=False)
    monkeypatch.setattr(model.progress, "_streams", {})
    model.progress.report("backtest", 0, 2)
    assert model.progress._streams == {}


def test_a_descriptor_that_is_not_open_is_ignored(monkeypatch):
    monkeypatch.setenv("WARECAST_PROGRESS_FD", "987")
    monkeypatch.setattr(model.progress, "_streams", {})
    model.progress.report("backtest", 0, 2)
    model.progress.report("backtest", 1, 2)
    assert model.progress._streams == {"987": None}
