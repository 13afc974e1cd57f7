"""The local SageMaker endpoint answers InvokeEndpoint and /ping over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import jsonschema
import pytest

from model.bootstrap import build_bootstrap
from model.local_endpoint import ModelSource, make_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = tmp_path_factory.mktemp("endpoint")
    artifact = build_bootstrap(out, version="bootstrap-http")
    srv = make_server(ModelSource(artifact), port=0, endpoint_name="warecast-dev")
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    host, port = srv.server_address[:2]
    yield f"http://{host}:{port}"
    srv.shutdown()
    srv.server_close()


def _post(url: str, body: dict) -> tuple[int, dict, dict]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def test_ping(server):
    with urllib.request.urlopen(f"{server}/ping", timeout=10) as resp:
        assert resp.status == 200


def test_invoke_endpoint_route(server, endpoint_schema):
    series = [{"id": "a", "history": {"start": "2018-01-01", "units": [1, 2, 3] * 10}}]
    status, _, resp = _post(f"{server}/endpoints/warecast-dev/invocations", {"horizon": 7, "series": series})
    assert status == 200
    jsonschema.validate(resp, {**endpoint_schema, "$ref": "#/$defs/response"})
    assert resp["model_version"] == "bootstrap-http" and len(resp["series"][0]["forecast"]) == 7


def test_contract_errors_come_back_as_model_errors(server):
    url = f"{server}/endpoints/warecast-dev/invocations"
    status, headers, resp = _post(url, {"horizon": 0, "series": []})
    assert status == 424 and headers["x-amzn-ErrorType"] == "ModelError"
    assert resp["OriginalStatusCode"] == 400 and "horizon" in resp["OriginalMessage"]


def test_unknown_endpoint_name(server):
    status, headers, _ = _post(f"{server}/endpoints/other/invocations", {"series": []})
    assert status == 400 and headers["x-amzn-ErrorType"] == "ValidationError"
