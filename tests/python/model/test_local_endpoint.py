"""The local SageMaker endpoint, as `warecast serve` runs it: gunicorn worker processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

from model.bootstrap import build_bootstrap
from model.local_endpoint import server_settings

ROOT = Path(__file__).resolve().parents[3]
WORKERS = 2


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    return build_bootstrap(tmp_path_factory.mktemp("endpoint"), version="bootstrap-http")


@pytest.fixture(scope="module")
def server(artifact):
    """`python -m model.local_endpoint` with two workers; yields (url, master process)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "model.local_endpoint", "--artifact", str(artifact), "--port", "0"]
        + ["--endpoint-name", "warecast-dev", "--workers", str(WORKERS)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = json.loads(proc.stdout.readline())
        assert ready["model_version"] == "bootstrap-http" and ready["workers"] == WORKERS
        yield ready["listening"], proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _post(url: str, body: dict) -> tuple[int, dict, dict]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def _series(sid: str = "a") -> dict:
    return {"id": sid, "history": {"start": "2018-01-01", "units": [1, 2, 3] * 10}}


def test_ping(server):
    url, _ = server
    with urllib.request.urlopen(f"{url}/ping", timeout=10) as resp:
        assert resp.status == 200


def test_invoke_endpoint_route(server, endpoint_schema):
    url, _ = server
    status, _, resp = _post(
        f"{url}/endpoints/warecast-dev/invocations", {"horizon": 7, "series": [_series()]}
    )
    assert status == 200
    jsonschema.validate(resp, {**endpoint_schema, "$ref": "#/$defs/response"})
    assert resp["model_version"] == "bootstrap-http" and len(resp["series"][0]["forecast"]) == 7


def test_contract_errors_come_back_as_model_errors(server):
    url, _ = server
    status, headers, resp = _post(f"{url}/endpoints/warecast-dev/invocations", {"horizon": 0, "series": []})
    assert status == 424 and headers["x-amzn-ErrorType"] == "ModelError"
    assert resp["OriginalStatusCode"] == 400 and "horizon" in resp["OriginalMessage"]


def test_unknown_endpoint_name(server):
    url, _ = server
    status, headers, _ = _post(f"{url}/endpoints/other/invocations", {"series": []})
    assert status == 400 and headers["x-amzn-ErrorType"] == "ValidationError"


def test_runs_the_worker_processes_it_announced(server):
    # gunicorn announces ready (when_ready) once its socket listens, before it forks the workers; requests
    # queue on the socket meanwhile. So wait for the forks, then require exactly the announced number.
    _, proc = server
    deadline = time.monotonic() + 60
    while True:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        if len(children) >= WORKERS or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(children) == WORKERS


def test_concurrent_requests_each_get_their_own_answer(server):
    url, _ = server
    ids = [f"s{i}" for i in range(24)]
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(
                lambda sid: _post(f"{url}/invocations", {"horizon": 3, "series": [_series(sid)]}),
                ids,
            )
        )
    assert [status for status, _, _ in results] == [200] * len(ids)
    assert [resp["series"][0]["id"] for _, _, resp in results] == ids


def test_every_worker_picks_up_a_new_artifact(server, artifact):
    url, _ = server
    build_bootstrap(artifact.parent, version="bootstrap-next")
    # A changed mtime and size tell the workers; each reloads on its next request.
    os.utime(artifact, (time.time() + 5, time.time() + 5))
    with ThreadPoolExecutor(4) as pool:
        versions = set(
            pool.map(
                lambda _: _post(f"{url}/invocations", {"horizon": 1, "series": [_series()]})[2][
                    "model_version"
                ],
                range(12),
            )
        )
    assert versions == {"bootstrap-next"}


def test_worker_settings_follow_the_container_variables():
    assert server_settings(
        {"SAGEMAKER_MODEL_SERVER_WORKERS": "3", "SAGEMAKER_MODEL_SERVER_TIMEOUT": "20"}
    ) == (3, 20)
    assert server_settings({}) == (os.cpu_count(), 60)
    with pytest.raises(ValueError, match="must be >= 1"):
        server_settings({"SAGEMAKER_MODEL_SERVER_WORKERS": "0"})
