"""The `warecast backtest` and `warecast tune` entry points on a small long CSV."""

from __future__ import annotations

import json

import pytest

from model.backtest import evaluation_origins
from model.evaluate import main as evaluate_main
from model.evaluate import parse_hp
from model.tune import main as tune_main
from tests.python.model.conftest import make_long

FAST = ["--hp", "max_iter=30", "--hp", "max_train_origins=15"]


@pytest.fixture(scope="module")
def csv(tmp_path_factory, long_df):
    path = tmp_path_factory.mktemp("csv") / "sales.csv"
    long_df.to_csv(path, index=False)
    return path


def test_origins_are_the_last_non_overlapping_windows():
    assert evaluation_origins(100, 10, 3) == [69, 79, 89]
    with pytest.raises(ValueError, match="more history"):
        evaluation_origins(40, 10, 3)


def test_backtest_prints_a_table_of_model_and_baselines(csv, capsys):
    assert evaluate_main(["--data", str(csv), "--horizon", "7", "--origins", "2", *FAST]) == 0
    out = capsys.readouterr().out
    assert "12 series" in out
    for name in ("model", "seasonal_naive", "naive", "auto_ets"):
        assert f"\n{name} " in out


def test_backtest_json(csv, capsys):
    assert evaluate_main(["--data", str(csv), "--horizon", "7", "--origins", "2", "--json", *FAST]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["setup"]["origins"] == 2 and result["data"]["rows_out"] == 12 * 420
    assert [w["last"] for w in result["setup"]["windows"]] == ["2018-02-18", "2018-02-25"]


def test_backtest_refits_at_every_origin_when_asked(csv, capsys):
    args = ["--data", str(csv), "--horizon", "7", "--origins", "2", "--json", *FAST]
    assert evaluate_main([*args, "--refit", "every"]) == 0
    every = json.loads(capsys.readouterr().out)
    assert evaluate_main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert (every["setup"]["refit"], first["setup"]["refit"]) == ("every", "first")
    # Two fits against one: the second window's model has seen the first window's data.
    assert every["metrics"]["model"]["rmsse"] != first["metrics"]["model"]["rmsse"]
    assert every["metrics"]["seasonal_naive"] == first["metrics"]["seasonal_naive"]


def test_backtest_names_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("day,sku,units\n2018-01-01,a,1\n")
    assert evaluate_main(["--data", str(bad)]) == 2
    assert "missing required column(s)" in capsys.readouterr().err
    with pytest.raises(ValueError, match="key=value"):
        parse_hp(["max_iter"])


def test_tune_writes_the_best_params(csv, tmp_path, capsys):
    out = tmp_path / "best.json"
    args = ["--data", str(csv), "--horizon", "7", "--origins", "2", "--tuning-origins", "1", "--trials", "2"]
    assert tune_main([*args, "--out", str(out), "--json", *FAST]) == 0
    best = json.loads(out.read_text())
    assert best["max_iter"] in (30, 150, 250, 400) and "learning_rate" in best
    printed = json.loads(capsys.readouterr().out)
    assert printed["best"] == best and len(printed["trials"]) == 2
    # The data ends 2018-02-25; the evaluation windows are the last 2 x 7 days, so tuning stops at 02-11.
    assert printed["tuning_windows_end"] == "2018-02-11"


def test_backtest_on_80_weeks_prints_its_settings_and_short_history_notes(tmp_path, capsys):
    """The issue's case: 80 weeks, three 8-week windows (56 weeks to train on) used to stop with
    "not enough history to train"; now it runs and says what the short history changed."""
    path = tmp_path / "weekly80.csv"
    make_long(n_series=6, days=7 * 80, start="2017-01-02").to_csv(path, index=False)
    args = ["--data", str(path), "--freq", "W", "--horizon", "8", "--origins", "3", *FAST]
    assert evaluate_main(args) == 0
    out = capsys.readouterr().out
    assert "settings: freq W, horizon 8, 3 origins, refit first, season 52" in out
    assert "model hyperparameters: " in out and "baseline auto_ets: statsforecast" in out
    assert "short history: training origins from period 25 of the 56 (default 53)" in out
    assert "note: model series x origins by method: global-gbm 18" in out
