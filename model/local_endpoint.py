"""Local stand-in for a SageMaker endpoint: SageMaker Runtime's routes on 127.0.0.1, same inference handler.

Routes:
    POST /endpoints/{name}/invocations   InvokeEndpoint (what the AWS SDK calls with an endpoint override)
    POST /invocations, GET /ping         the container's own routes
Contract errors answer as SageMaker Runtime does when the container rejects a request: HTTP 424 with
``x-amzn-ErrorType: ModelError`` and the container's status and message (OriginalStatusCode 400).

The worker model is the container's: the SageMaker scikit-learn container serves ``inference.py`` with
gunicorn, ``SAGEMAKER_MODEL_SERVER_WORKERS`` worker processes (default: one per CPU) and
``SAGEMAKER_MODEL_SERVER_TIMEOUT`` seconds per request (default 60). This server runs its routes under
gunicorn with the same two settings, so requests are forecast in parallel, one per worker process (inference
is CPU-bound: threads would share one interpreter lock). The model is loaded once before the workers fork, so
they share its memory.

Usage: ``python -m model.local_endpoint --artifact .warecast/artifacts/current/model.tar.gz [--port 8081]
[--workers N]``. It prints one JSON line ``{"listening": URL, "model_version": V, "workers": N}`` when ready.
A new artifact at the same path is picked up on the next request (the local "UpdateEndpoint"), by each worker.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from model.artifact import Forecaster, unpack
from model.inference import invoke, model_fn

__all__ = ["ModelSource", "make_app", "server_settings", "main"]

_INVOKE = re.compile(r"^/endpoints/(?P<name>[A-Za-z0-9-]{1,63})/invocations$")
_MAX_BODY = 6 * 1024 * 1024  # SageMaker's real-time payload limit
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    413: "Payload Too Large",
    424: "Failed Dependency",
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ModelSource:
    """Loads the model from an artifact (model.tar.gz, reloaded when it changes) or an extracted directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no model artifact at {self.path}")
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._model: Forecaster | None = None

    def get(self) -> Forecaster:
        with self._lock:
            stat = self.path.stat()
            stamp = (stat.st_mtime, stat.st_size)
            if self._model is None or (self.path.is_file() and stamp != self._stamp):
                self._model = None  # so that loading the new one can collect the old (model_fn)
                self._model = self._load()
                self._stamp = stamp
            return self._model

    def _load(self) -> Forecaster:
        if not self.path.is_file():
            return model_fn(str(self.path))
        # A directory of this process's own: workers reload independently, and the model is fully in memory
        # once loaded, so nothing of the extraction is kept.
        target = Path(tempfile.mkdtemp(prefix="warecast-endpoint-"))
        try:
            return model_fn(str(unpack(self.path, target)))
        finally:
            shutil.rmtree(target, ignore_errors=True)


def make_app(source: ModelSource, endpoint_name: str | None = None) -> WSGIApp:
    """The endpoint's routes as a WSGI application (served by gunicorn; any WSGI server works in tests)."""

    def respond(
        start_response: Callable[..., Any], status: int, body: str, headers: dict[str, str] | None = None
    ):
        data = body.encode()
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                *(headers or {}).items(),
            ],
        )
        return [data]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        if method == "GET":
            if path != "/ping":
                return respond(start_response, 404, json.dumps({"message": f"no route GET {path}"}))
            source.get()
            return respond(start_response, 200, json.dumps({"status": "ok"}))
        match = _INVOKE.match(path)
        if method != "POST" or (not match and path != "/invocations"):
            return respond(start_response, 404, json.dumps({"message": f"no route {method} {path}"}))
        name = match.group("name") if match else None
        if name and endpoint_name and name != endpoint_name:
            msg = f"Endpoint {name} of account local not found."
            return respond(
                start_response, 400, json.dumps({"message": msg}), {"x-amzn-ErrorType": "ValidationError"}
            )
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > _MAX_BODY:
            return respond(start_response, 413, json.dumps({"message": f"payload over {_MAX_BODY} bytes"}))
        body = environ["wsgi.input"].read(length)
        status, out = invoke(
            source.get(),
            body,
            environ.get("CONTENT_TYPE") or "application/json",
            environ.get("HTTP_ACCEPT") or "application/json",
        )
        if status == 200:
            return respond(start_response, 200, out, {"x-Amzn-Invoked-Production-Variant": "local"})
        if match:
            error = {"Message": "Received client error (400) from model", "OriginalStatusCode": status}
            error["OriginalMessage"] = out
            return respond(start_response, 424, json.dumps(error), {"x-amzn-ErrorType": "ModelError"})
        return respond(start_response, status, out)

    return app


def server_settings(environ: dict[str, str] | None = None) -> tuple[int, int]:
    """(workers, timeout seconds) from the container's variables, with the container's defaults."""
    env = os.environ if environ is None else environ
    workers = int(env.get("SAGEMAKER_MODEL_SERVER_WORKERS") or os.cpu_count() or 1)
    timeout = int(env.get("SAGEMAKER_MODEL_SERVER_TIMEOUT") or 60)
    if workers < 1 or timeout < 1:
        raise ValueError(f"model server workers and timeout must be >= 1, got {workers} and {timeout}")
    return workers, timeout


class _Gunicorn(BaseApplication):
    """gunicorn run from Python (no config file, no command line of its own)."""

    def __init__(self, app: WSGIApp, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        return self._app


def _announce(version: str, workers: int) -> Callable[[Any], None]:
    """gunicorn's when_ready hook: the ready line, with the port the socket got (port 0 = any free port)."""

    def when_ready(arbiter: Any) -> None:
        host, port = arbiter.LISTENERS[0].sock.getsockname()[:2]
        line = {"listening": f"http://{host}:{port}", "model_version": version, "workers": workers}
        print(json.dumps(line), flush=True)

    return when_ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model.local_endpoint", description=__doc__.splitlines()[0]
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--artifact", type=Path, help="model.tar.gz (reloaded when the file changes)")
    where.add_argument("--model-dir", type=Path, help="an extracted artifact directory")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--endpoint-name", help="answer only this endpoint name (default: any)")
    parser.add_argument(
        "--workers",
        type=int,
        help="worker processes (default: SAGEMAKER_MODEL_SERVER_WORKERS, else one per CPU, as the container)",
    )
    args = parser.parse_args(argv)
    workers, timeout = server_settings()
    if args.workers is not None:
        if args.workers < 1:
            parser.error(f"--workers must be >= 1, got {args.workers}")
        workers = args.workers
    source = ModelSource(args.artifact or args.model_dir)
    model = source.get()  # before the fork: a broken artifact stops here, and workers share the loaded model
    options = {
        "bind": f"127.0.0.1:{args.port}",
        "workers": workers,
        # Sync workers: one request at a time each, taken from the shared listen queue in arrival order.
        "worker_class": "sync",
        "timeout": timeout,
        "graceful_timeout": 5,
        "loglevel": "warning",
        "accesslog": None,
        "when_ready": _announce(model.version, workers),
    }
    _Gunicorn(make_app(source, args.endpoint_name), options).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
