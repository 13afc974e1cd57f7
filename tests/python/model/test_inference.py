"""Round trips through the SageMaker handler functions: request JSON in, schema-valid response JSON out."""

from __future__ import annotations

import gc
import json

import jsonschema
import numpy as np
import pytest

from model.bootstrap import build_bootstrap
from model.distribution import Forecast
from model.inference import (
    forecast_json,
    forecast_response,
    input_fn,
    invoke,
    model_fn,
    output_fn,
    predict_fn,
    transform_fn,
)
from model.request import RequestError


@pytest.fixture(scope="module")
def bootstrap_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("boot")
    build_bootstrap(out, version="bootstrap-test")
    return model_fn(str(out / "model"))


def _request(**overrides):
    rng = np.random.default_rng(3)
    units = rng.poisson(6 + 4 * np.sin(np.arange(120) * 2 * np.pi / 7)).astype(float).tolist()
    body = {
        "freq": "D",
        "horizon": 14,
        "quantiles": [0.9, 0.1, 0.5, 0.05],
        "windows": [{"name": "lead_time_plus_review", "start": 1, "end": 10}],
        "num_samples": 3,
        "series": [
            {"id": "WH1/SKU-1", "history": {"start": "2018-01-01", "units": units}},
            {"id": "WH1/NEW", "history": {"start": "2018-04-28", "units": [2, 0, 3]}},
            {"id": "WH1/SLOW", "history": {"start": "2018-01-01", "units": [0.0] * 60 + [4.0] + [0.0] * 30}},
        ],
    }
    body.update(overrides)
    return body


def test_round_trip_is_schema_valid(bootstrap_model, endpoint_schema):
    req = _request()
    jsonschema.validate(req, {**endpoint_schema, "$ref": "#/$defs/request"})
    status, body = invoke(bootstrap_model, json.dumps(req).encode(), "application/json", "application/json")
    assert status == 200
    resp = json.loads(body)
    jsonschema.validate(resp, {**endpoint_schema, "$ref": "#/$defs/response"})
    assert resp["model_kind"] == "bootstrap-baseline" and resp["model_version"] == "bootstrap-test"
    methods = {s["id"]: s["method"] for s in resp["series"]}
    assert methods == {"WH1/SKU-1": "seasonal-naive", "WH1/NEW": "cold-start", "WH1/SLOW": "intermittent"}
    first = resp["series"][0]
    assert first["forecast"][0]["date"] == "2018-05-01" and len(first["forecast"]) == 14
    assert len(first["samples"]) == 3 and all(len(p) == 14 for p in first["samples"])


def test_quantiles_never_cross_and_are_non_negative(bootstrap_model):
    resp = predict_fn(input_fn(json.dumps(_request()), "application/json"), bootstrap_model)
    for series in resp["series"]:
        for item in series["forecast"] + series["windows"]:
            q = item["quantiles"]
            values = [q["0.05"], q["0.1"], q["0.5"], q["0.9"]]
            assert values == sorted(values) and min(values) >= 0 and item["mean"] >= 0


def test_window_quantiles_come_from_paths_not_sums(bootstrap_model):
    resp = predict_fn(input_fn(json.dumps(_request()), "application/json"), bootstrap_model)
    s = resp["series"][0]
    summed_p90 = sum(p["quantiles"]["0.9"] for p in s["forecast"][:10])
    window_p90 = s["windows"][0]["quantiles"]["0.9"]
    # Summing daily P90s overstates the P90 of the total: errors partly cancel across days.
    assert window_p90 < summed_p90


def test_same_request_same_response(bootstrap_model):
    body = json.dumps(_request()).encode()
    assert invoke(bootstrap_model, body, "application/json", "*/*") == invoke(
        bootstrap_model, body, "application/json", "*/*"
    )


def test_weekly_dates_step_by_seven_days_after_the_last_history_period(bootstrap_model):
    req = _request(freq="W", horizon=4, windows=[])
    req["series"][0]["future"] = {"promo": [True, False]}
    resp = predict_fn(input_fn(json.dumps(req)), bootstrap_model)
    last = np.datetime64("2018-01-01") + np.timedelta64(119 * 7, "D")
    expected = [str(last + np.timedelta64(7 * k, "D")) for k in range(1, 5)]
    assert [p["date"] for p in resp["series"][0]["forecast"]] == expected


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"horizon": 0}, "horizon"),
        ({"quantiles": [0.5, 1.0]}, "quantiles"),
        ({"windows": [{"name": "w", "start": 3, "end": 40}]}, "windows[0]"),
        ({"freq": "M"}, "freq"),
        ({"series": []}, "series"),
        ({"extra": 1}, "unknown fields"),
    ],
)
def test_bad_requests_name_the_field(bootstrap_model, endpoint_schema, patch, field):
    req = _request(**patch)
    status, body = invoke(bootstrap_model, json.dumps(req).encode(), "application/json", "application/json")
    assert status == 400 and field in json.loads(body)["message"]
    if field != "windows[0]":  # window end > horizon is a rule JSON Schema cannot state
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(req, {**endpoint_schema, "$ref": "#/$defs/request"})


@pytest.mark.parametrize(
    ("key", "values", "bad"),
    [
        ("units", [1, 2, True, 4], "units[2]: must be a finite number or null, got True"),
        ("units", [1, "2", 3, 4], "units[1]: must be a finite number or null, got '2'"),
        ("units", [1, 2, 3, float("nan")], "units[3]: must be a finite number or null, got nan"),
        ("units", [1, 10**400, 3, 4], "units[1]: must be a finite number or null"),
        ("price", [1.5, None, -0.5, 1.0], "price[2]: must be >= 0, got -0.5"),
        ("promo", [True, None, 1, False], "promo[2]: must be true, false or null, got 1"),
    ],
)
def test_bad_history_values_are_named_by_index(key, values, bad):
    req = _request()
    req["series"][1]["history"] = {"start": "2018-04-28", "units": [2, 0, 3, 1]}
    req["series"][1]["history"][key] = values
    with pytest.raises(RequestError) as err:
        input_fn(json.dumps(req), "application/json")
    assert str(err.value).startswith("series[1].history.") and bad in str(err.value)


def test_history_nulls_are_unknown_and_values_are_kept():
    req = _request()
    req["series"][1]["history"] = {
        "start": "2018-04-28",
        "units": [2, None, 3, 1.5],
        "promo": [True, None, False, False],
        "price": [1, 2.5, None, 0],
    }
    panel = input_fn(json.dumps(req), "application/json").panel
    row = 1
    np.testing.assert_array_equal(panel.y[row, -4:], [2, np.nan, 3, 1.5])
    np.testing.assert_array_equal(panel.promo[row, panel.n_periods - 4 : panel.n_periods], [1, np.nan, 0, 0])
    np.testing.assert_array_equal(
        panel.price[row, panel.n_periods - 4 : panel.n_periods], [1, 2.5, np.nan, 0]
    )


def test_history_arrays_must_align(bootstrap_model):
    req = _request()
    req["series"][1]["history"]["promo"] = [True]
    with pytest.raises(RequestError, match=r"series\[1\]\.history\.promo"):
        input_fn(json.dumps(req), "application/json")


def test_content_types_are_checked():
    with pytest.raises(RequestError, match="content type"):
        input_fn("{}", "text/csv")
    with pytest.raises(RequestError, match="accept"):
        output_fn({}, "text/csv")


def test_transform_fn_answers_as_invoke_with_the_status_kept(bootstrap_model):
    body = json.dumps(_request())
    ok = transform_fn(bootstrap_model, body, "application/json", "application/json")
    assert (ok.status_code, ok.mimetype) == (200, "application/json")
    _, expected = invoke(bootstrap_model, body, "application/json", "application/json")
    assert ok.get_data(as_text=True) == expected
    bad = transform_fn(bootstrap_model, json.dumps(_request(horizon=-1)), "application/json", "*/*")
    assert (bad.status_code, bad.mimetype) == (400, "application/json")
    assert json.loads(bad.get_data(as_text=True))["message"].startswith("horizon: must be an integer")


def test_invoke_pauses_cyclic_collection_and_gives_back_the_callers_setting(bootstrap_model, monkeypatch):
    seen = []
    predict = bootstrap_model.predict

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return predict(*args, **kwargs)

    monkeypatch.setattr(bootstrap_model, "predict", spy)
    assert gc.isenabled()
    assert invoke(bootstrap_model, json.dumps(_request()), "application/json", "*/*")[0] == 200
    assert seen == [False] and gc.isenabled()
    assert invoke(bootstrap_model, json.dumps(_request(horizon=0)), "application/json", "*/*")[0] == 400
    assert gc.isenabled()
    gc.disable()
    try:
        invoke(bootstrap_model, json.dumps(_request()), "application/json", "*/*")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_model_fn_takes_the_loaded_model_out_of_the_collectors_generations(tmp_path):
    build_bootstrap(tmp_path, version="bootstrap-frozen")
    try:
        model = model_fn(str(tmp_path / "model"))
        assert gc.is_tracked(model) and gc.get_freeze_count() > 0
        assert not any(o is model for o in gc.get_objects())  # the permanent generation is not listed
    finally:
        gc.unfreeze()


class _Fixed:
    """A model answering every series with the same numbers, whatever they are (inf and NaN included)."""

    kind, version = "fixed", "fixed-1"

    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, panel, horizon, levels, n_paths, rng):
        n = len(panel.ids)
        q = np.full((n, horizon, len(levels)), self.value)
        paths = np.full((n, n_paths, horizon), self.value, dtype=np.float32)
        return Forecast(np.full((n, horizon), self.value), levels, q, paths, ["fixed"] * n)


@pytest.mark.parametrize("value", [1.23456789, 0.0, 1e-9, 3e17, float("inf"), float("nan")])
def test_the_json_writer_writes_what_json_dumps_writes_of_the_response(value):
    """invoke writes its answer as text (forecast_json); it must be json.dumps of forecast_response's dicts,
    for any number (json writes NaN and Infinity, repr would not), id and date."""
    req = _request(quantiles=[0.975, 0.025, 0.5])
    req["series"][1]["id"] = 'WH1/"Ünïcødé" %s 100%'
    parsed = input_fn(json.dumps(req))
    model = _Fixed(value)
    expected = json.dumps(forecast_response(parsed, model), separators=(",", ":"))
    assert forecast_json(parsed, model) == expected
    assert invoke(model, json.dumps(req), "application/json", "*/*") == (200, expected)
    status, body = invoke(model, json.dumps(req), "application/json", "text/csv")
    assert status == 400 and "accept" in json.loads(body)["message"]
