"""train.py end to end on a small CSV: SageMaker env vars in, artifact + metrics.json (with champion) out,
and the trained model served through the inference handler."""

from __future__ import annotations

import json
import tarfile

import jsonschema
import numpy as np
import pytest

from model.bootstrap import build_bootstrap
from model.data import load_panel
from model.gbm import Hyperparameters
from model.inference import invoke, model_fn
from model.train import main
from model.tune import tuning_score

HPS = {
    "freq": "D",
    "horizon": 7,
    "origins": 2,
    "max_iter": 40,
    "max_train_origins": 20,
    "version": "t-1",
    # The inventory backtest's protection interval (lead time + review period) must fit in the horizon.
    "lead_time_days": 3,
    "review_period_days": 4,
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, long_df):
    root = tmp_path_factory.mktemp("train")
    csv = root / "data.csv"
    df = long_df.astype({"units_sold": object})
    df.loc[df.index[:3], "units_sold"] = "lots"  # bad rows are rejected and counted, not fatal
    df.to_csv(csv, index=False)
    champion = build_bootstrap(root / "champion", version="bootstrap-v0")
    env = {
        "SM_CHANNEL_TRAIN": str(csv),
        "SM_CHANNEL_CHAMPION": str(champion),
        "SM_MODEL_DIR": str(root / "model"),
        "SM_OUTPUT_DATA_DIR": str(root / "output"),
        "SM_HPS": json.dumps(HPS),
    }
    (root / "ckpt").mkdir()  # SageMaker creates the checkpoint directory when checkpointing is on
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    code = main(["--checkpoint-dir", str(root / "ckpt"), "--pack", str(root / "model.tar.gz")])
    mp.undo()
    assert code == 0
    return root


def test_artifact_layout(trained):
    with tarfile.open(trained / "model.tar.gz") as tar:
        names = set(tar.getnames())
    expected = {"model_version", "feature_config.json", "metrics.json", "training_window.json", "model.pkl"}
    assert expected | {"code/inference.py", "code/model/inference.py"} <= names
    config = json.loads((trained / "model" / "feature_config.json").read_text())
    assert config["model_kind"] == "global-gbm" and config["model_version"] == "t-1"
    assert len(config["feature_names"]) > 20


def test_metrics_score_model_and_champion_on_the_same_windows(trained):
    metrics = json.loads((trained / "model" / "metrics.json").read_text())
    assert metrics["setup"]["horizon"] == 7 and len(metrics["setup"]["windows"]) == 2
    rows = metrics["metrics"]
    assert {"model", "champion", "seasonal_naive", "naive", "auto_ets"} <= set(rows)
    assert rows["model"]["points"] == rows["champion"]["points"] > 0
    assert metrics["champion_model"] == {"model_version": "bootstrap-v0", "model_kind": "bootstrap-baseline"}
    window = json.loads((trained / "model" / "training_window.json").read_text())
    assert window["rows_rejected"] == {"units_sold_not_a_number": 3}
    assert window["rows_in"] == window["rows_used"] + 3


def test_metrics_carry_the_inventory_backtest(trained):
    metrics = json.loads((trained / "model" / "metrics.json").read_text())
    stock = metrics["inventory"]
    assert stock["settings"]["lead_time_days"] == 3 and stock["settings"]["service_level"] == 0.95
    assert stock["settings"]["days"] == 14 and stock["settings"]["series"] == 12
    assert set(stock["policies"]) == {"model", "seasonal_naive", "weeks_of_cover"}
    for policy in stock["policies"].values():
        assert len(policy["series"]) == 12 and policy["pooled"]["cycles"] > 0
    assert isinstance(stock["goal"]["met"], bool)
    # The sweep and the comparison at matched service travel with it (the API serves both).
    assert all(len(p["curve"]) == len(stock["settings"]["sweep_levels"]) for p in stock["policies"].values())
    assert {"cycle_service_level", "fill_rate", "goal"} <= set(stock["matched"])
    assert "inventory backtest: 12 series" in (trained / "output" / "backtest.txt").read_text()


def test_checkpoint_keeps_the_backtest(trained):
    saved = json.loads((trained / "ckpt" / "backtest.json").read_text())
    metrics = json.loads((trained / "model" / "metrics.json").read_text())
    assert saved["backtest"]["metrics"] == metrics["metrics"]


def test_trained_model_round_trip(trained, endpoint_schema):
    model = model_fn(str(trained / "model"))
    rng = np.random.default_rng(0)
    units = rng.poisson(8, 200).astype(float).tolist()
    request = {
        "horizon": 10,
        "quantiles": [0.1, 0.5, 0.9],
        "windows": [{"name": "lt", "start": 1, "end": 7}],
        "num_samples": 2,
        "series": [
            {
                "id": "A",
                "history": {"start": "2018-01-01", "units": units, "promo": [False] * 200},
                "future": {"promo": [True, True, False]},
            },
            {"id": "B", "history": {"start": "2018-07-01", "units": [1, 2]}},
        ],
    }
    status, body = invoke(model, json.dumps(request).encode(), "application/json", "application/json")
    assert status == 200
    resp = json.loads(body)
    jsonschema.validate(resp, {**endpoint_schema, "$ref": "#/$defs/response"})
    assert resp["model_kind"] == "global-gbm" and resp["model_version"] == "t-1"
    a, b = resp["series"]
    assert a["method"] == "global-gbm" and b["method"] == "cold-start"
    assert a["forecast"][0]["mean"] > a["forecast"][2]["mean"]  # promo on steps 1-2 lifts them
    q = a["windows"][0]["quantiles"]
    assert 0 <= q["0.1"] <= q["0.5"] <= q["0.9"]


def test_a_tuning_trial_scores_the_tuning_windows_only(tmp_path, long_df, monkeypatch, capsys):
    """What a trial of the SageMaker tuning job runs: the objective on the windows before the evaluation
    windows, the same number `warecast tune` computes, and no model; a spot restart reuses the checkpoint."""
    csv = tmp_path / "data.csv"
    long_df.to_csv(csv, index=False)
    hps = {"freq": "D", "horizon": 7, "origins": 2, "max_train_origins": 15, "version": "trial-1"}
    monkeypatch.setenv("SM_CHANNEL_TRAIN", str(csv))
    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path / "model"))
    monkeypatch.setenv("SM_OUTPUT_DATA_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("SM_HPS", json.dumps(hps))
    (tmp_path / "ckpt").mkdir()
    # As the tuning job passes them: the trial's values on the command line, over the static ones.
    argv = ["--checkpoint-dir", str(tmp_path / "ckpt"), "--tuning_origins", "1", "--max_iter", "30"]
    assert main([*argv, "--learning_rate", "0.06"]) == 0
    out = capsys.readouterr().out
    objective = [line for line in out.splitlines() if line.startswith("metric tuning_model_rmsse=")]
    assert len(objective) == 1
    assert "metric model_" not in out and "metric champion_" not in out
    trial = json.loads((tmp_path / "model" / "tuning.json").read_text())
    assert not (tmp_path / "model" / "model.pkl").exists()
    assert trial["tuning"]["tuning_windows_end"] == "2018-02-11"
    assert float(objective[0].split("=")[1]) == pytest.approx(trial["tuning"]["rmsse"], abs=1e-6)
    panel, _ = load_panel(csv, "D")
    params = Hyperparameters.for_freq("D", max_train_origins=15, max_iter=30, learning_rate=0.06)
    expected = tuning_score(panel, 7, 2, 1, params)
    assert trial["tuning"]["rmsse"] == pytest.approx(expected["rmsse"])
    checkpoints = list((tmp_path / "ckpt").glob("tuning-*.json"))
    assert len(checkpoints) == 1
    # A restart after a spot interruption reads the checkpoint instead of scoring again.
    checkpoints[0].write_text(json.dumps({**expected, "rmsse": 0.123}))
    assert main([*argv, "--learning_rate", "0.06"]) == 0
    assert "metric tuning_model_rmsse=0.123000" in capsys.readouterr().out
