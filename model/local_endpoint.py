"""Local stand-in for a SageMaker endpoint: SageMaker Runtime's routes on 127.0.0.1, same inference handler.

Routes:
    POST /endpoints/{name}/invocations   InvokeEndpoint (what the AWS SDK calls with an endpoint override)
    POST /invocations, GET /ping         the container's own routes
Contract errors answer as SageMaker Runtime does when the container rejects a request: HTTP 424 with
``x-amzn-ErrorType: ModelError`` and the container's status and message (OriginalStatusCode 400).

Usage: ``python -m model.local_endpoint --artifact .warecast/artifacts/current/model.tar.gz [--port 8081]``.
A new artifact at the same path is picked up on the next request (the local "UpdateEndpoint").
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from model.artifact import Forecaster, unpack
from model.inference import invoke, model_fn

__all__ = ["ModelSource", "make_server", "main"]

_INVOKE = re.compile(r"^/endpoints/(?P<name>[A-Za-z0-9-]{1,63})/invocations$")
_MAX_BODY = 6 * 1024 * 1024  # SageMaker's real-time payload limit


class ModelSource:
    """Loads the model from an artifact (model.tar.gz, reloaded when it changes) or an extracted directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no model artifact at {self.path}")
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._model: Forecaster | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="warecast-endpoint-")

    def get(self) -> Forecaster:
        with self._lock:
            stat = self.path.stat()
            stamp = (stat.st_mtime, stat.st_size)
            if self._model is None or (self.path.is_file() and stamp != self._stamp):
                if self.path.is_file():
                    target = Path(self._tmp.name) / f"m{int(stat.st_mtime_ns)}"
                    self._model = model_fn(str(unpack(self.path, target)))
                else:
                    self._model = model_fn(str(self.path))
                self._stamp = stamp
            return self._model


def _handler(source: ModelSource, endpoint_name: str | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "warecast-local-endpoint"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

        def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path != "/ping":
                self._send(404, json.dumps({"message": f"no route GET {self.path}"}))
                return
            source.get()
            self._send(200, json.dumps({"status": "ok"}))

        def do_POST(self) -> None:
            match = _INVOKE.match(self.path)
            if not match and self.path != "/invocations":
                self._send(404, json.dumps({"message": f"no route POST {self.path}"}))
                return
            name = match.group("name") if match else None
            if name and endpoint_name and name != endpoint_name:
                msg = f"Endpoint {name} of account local not found."
                self._send(400, json.dumps({"message": msg}), {"x-amzn-ErrorType": "ValidationError"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                self._send(413, json.dumps({"message": f"payload over {_MAX_BODY} bytes"}))
                return
            body = self.rfile.read(length)
            status, out = invoke(
                source.get(),
                body,
                self.headers.get("Content-Type", "application/json"),
                self.headers.get("Accept", "application/json"),
            )
            if status == 200:
                self._send(200, out, {"x-Amzn-Invoked-Production-Variant": "local"})
            elif match:
                error = {"Message": "Received client error (400) from model", "OriginalStatusCode": status}
                error["OriginalMessage"] = out
                self._send(424, json.dumps(error), {"x-amzn-ErrorType": "ModelError"})
            else:
                self._send(status, out)

    return Handler


def make_server(
    source: ModelSource, port: int = 8081, endpoint_name: str | None = None
) -> ThreadingHTTPServer:
    """An HTTP server bound to 127.0.0.1 (port 0 = any free port); call ``serve_forever`` to run it."""
    return ThreadingHTTPServer(("127.0.0.1", port), _handler(source, endpoint_name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model.local_endpoint", description=__doc__.splitlines()[0]
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--artifact", type=Path, help="model.tar.gz (reloaded when the file changes)")
    where.add_argument("--model-dir", type=Path, help="an extracted artifact directory")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--endpoint-name", help="answer only this endpoint name (default: any)")
    args = parser.parse_args(argv)
    source = ModelSource(args.artifact or args.model_dir)
    model = source.get()
    server = make_server(source, args.port, args.endpoint_name)
    host, port = server.server_address[:2]
    print(json.dumps({"listening": f"http://{host}:{port}", "model_version": model.version}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
