"""The `warecast backtest` and `warecast tune` entry points on a small long CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import model
from model.backtest import evaluation_origins
from model.evaluate import main as evaluate_main
from model.evaluate import parse_hp
from model.gbm import Hyperparameters
from model.params import OBJECTIVE, SPACE, params_document, read_params
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


def test_tune_writes_the_tuned_hyperparameters_document(csv, tmp_path, capsys):
    out = tmp_path / "best.json"
    args = ["--data", str(csv), "--horizon", "7", "--origins", "2", "--tuning-origins", "1", "--trials", "2"]
    assert tune_main([*args, "--out", str(out), "--json", *FAST]) == 0
    document = json.loads(out.read_text())
    printed = json.loads(capsys.readouterr().out)
    assert len(printed["trials"]) == 2
    # The shape the SageMaker tuning job's completion step writes (functions/model/tuned-params.ts).
    assert document == {
        "tuningJobName": None,
        "source": "local",
        "objective": {"metric": "tuning:model:rmsse", "type": "Minimize"},
        "score": printed["score"]["rmsse"],
        "hyperParameters": printed["tuned"],
        "scores": printed["score"],
        "tuningWindowsEnd": "2018-02-11",
        "trials": 2,
    }
    # Searched keys plus the fixed --hp values, each as the winning trial used it.
    tuned = document["hyperParameters"]
    assert set(tuned) == set(SPACE) | {"max_iter", "max_train_origins"}
    best = printed["best"]
    assert {k: best[k] for k in tuned} == {k: type(best[k])(v) for k, v in tuned.items()}
    # The data ends 2018-02-25; the evaluation windows are the last 2 x 7 days, so tuning stops at 02-11.
    assert printed["tuning_windows_end"] == "2018-02-11"


def test_backtest_reads_the_document_tune_writes(csv, tmp_path, capsys):
    out = tmp_path / "best.json"
    out.write_text(json.dumps(params_document({"max_iter": 30, "learning_rate": "0.06"}, 0.9)))
    expected = {"max_iter": 30, "learning_rate": "0.06", "max_leaf_nodes": "15"}
    assert parse_hp(["max_leaf_nodes=15"], out) == expected
    args = ["--data", str(csv), "--horizon", "7", "--origins", "2", "--json", "--params", str(out)]
    assert evaluate_main([*args, "--hp", "max_train_origins=15"]) == 0
    hps = json.loads(capsys.readouterr().out)["hyperparameters"]
    assert (hps["max_iter"], hps["learning_rate"]) == (30, 0.06)


def test_a_file_that_is_not_the_document_is_refused_by_name(tmp_path):
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"max_iter": 30}))
    with pytest.raises(ValueError, match="flat.json: expected a tuned-hyperparameters document"):
        read_params(flat)
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({"hyperParameters": {"max_iter": [30]}}))
    with pytest.raises(ValueError, match=r"hyperParameters \['max_iter'\] must be strings"):
        read_params(nested)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ValueError, match="broken.json: not JSON"):
        read_params(broken)


def test_the_search_space_is_the_shared_file():
    spec = json.loads((Path(model.__file__).parent / "search_space.json").read_text())
    assert SPACE == spec["space"] and OBJECTIVE == {k: spec["objective"][k] for k in ("metric", "type")}
    # Every searched name is a hyperparameter the model takes, and every value is one it accepts.
    for name, values in SPACE.items():
        for value in values:
            assert getattr(Hyperparameters.from_dict({name: str(value)}), name) == value


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
    assert "short history: training origins from period 2 of the 56 (default 53)" in out
    assert "note: model series x origins by method: global-gbm 18" in out
