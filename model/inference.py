"""SageMaker inference handler implementing the endpoint contract.

The SageMaker scikit-learn container loads the model with :func:`model_fn` and answers each invocation with
:func:`transform_fn` (the artifact's ``code/inference.py`` exports these two); ``model/local_endpoint.py``
calls :func:`invoke`, which both share. :func:`input_fn`, :func:`predict_fn` and :func:`output_fn` are its
steps. The response is a pure function of the request: sample paths are drawn from a generator seeded by the
request's ``seed``.

Garbage collection stays out of a request's time. A request's objects (the decoded JSON, the response's dicts)
hold no reference cycles, so reference counting frees them when it returns. Left to its allocation thresholds,
the cyclic collector would instead run in the middle of requests, and a full collection walks every object the
worker holds (the model, numpy, every imported module): about 20 ms, in one call of 50 series in 25 (measured
with the bootstrap model). So :func:`model_fn` moves what it loads, and all that was loaded before, out of the
collector's reach (``gc.freeze``, as Python's documentation advises before a server forks its workers), and
:func:`invoke` pauses automatic collection while it runs; the few cycles a request leaves (e.g. scipy's frozen
distributions of cold-start series) are collected after it, when the collector's thresholds next call for it.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from model.artifact import Forecaster, load_forecaster
from model.distribution import window_quantiles
from model.request import ForecastRequest, RequestError, parse_request, quantile_key

__all__ = [
    "model_fn",
    "transform_fn",
    "input_fn",
    "predict_fn",
    "output_fn",
    "invoke",
    "forecast_response",
    "WINDOW_PATHS",
]

#: Sample paths drawn per series when windows are asked for (more than the caller may want back).
WINDOW_PATHS = 1000
_JSON = "application/json"


def model_fn(model_dir: str) -> Forecaster:
    """Load the artifact extracted into ``model_dir``; it and everything loaded so far leave the collector's
    generations (module docstring). A model loaded before, no longer referenced, is collected first."""
    gc.unfreeze()
    gc.collect()
    model = load_forecaster(model_dir)
    gc.freeze()
    return model


@contextlib.contextmanager
def _collection_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection inside the block (module docstring); the caller's setting after.

    Should two threads overlap here, the collector is on again once the first to enter has left.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def input_fn(request_body: str | bytes, request_content_type: str = _JSON) -> ForecastRequest:
    """Decode and check a JSON request; :class:`RequestError` names the offending field."""
    if (request_content_type or _JSON).split(";")[0].strip().lower() != _JSON:
        raise RequestError(f"content type must be {_JSON}, got {request_content_type!r}")
    try:
        body = json.loads(request_body)
    except (ValueError, UnicodeDecodeError) as err:
        raise RequestError(f"request: not valid JSON ({err})") from None
    return parse_request(body)


def forecast_response(request: ForecastRequest, model: Forecaster) -> dict[str, Any]:
    """Run ``model`` on the request's series and shape the response of the contract.

    The whole batch is rounded and converted in numpy at once (dates, means, quantiles, windows); Python only
    assembles the dicts, so a 100-series request costs little more than the model's own work.
    """
    levels = np.array(sorted(set(request.quantiles)))
    n_paths = max(request.num_samples, WINDOW_PATHS if request.windows else 0)
    rng = np.random.default_rng(request.seed)
    fc = model.predict(request.panel, request.horizon, levels, n_paths, rng)
    order = [int(np.flatnonzero(levels == q)[0]) for q in request.quantiles]
    keys = [quantile_key(q) for q in request.quantiles]
    panel = request.panel
    steps = list(range(1, request.horizon + 1))
    dates = np.datetime_as_string(panel.dates(np.arange(1, request.horizon + 1)[None, :])).tolist()
    mean = np.maximum(fc.mean, 0.0)
    means = np.round(mean, 4).tolist()
    # (series, step, requested quantile) in request order.
    quants = np.round(fc.quantiles[:, :, order], 4).tolist()
    wins = []
    for w in request.windows:
        wq = window_quantiles(fc.paths, w.start, w.end, levels)[:, order]
        wins.append(
            (w, np.round(mean[:, w.start - 1 : w.end].sum(axis=1), 4).tolist(), np.round(wq, 4).tolist())
        )
    samples = np.round(fc.paths[:, : request.num_samples].astype(np.float64), 4).tolist()
    out = []
    for i, sid in enumerate(panel.ids):
        points = [
            {"date": d, "step": h, "mean": m, "quantiles": dict(zip(keys, q, strict=True))}
            for d, h, m, q in zip(dates[i], steps, means[i], quants[i], strict=True)
        ]
        windows = [
            {
                "name": w.name,
                "start": w.start,
                "end": w.end,
                "mean": wm[i],
                "quantiles": dict(zip(keys, wq[i], strict=True)),
            }
            for w, wm, wq in wins
        ]
        out.append(
            {"id": sid, "method": fc.method[i], "forecast": points, "windows": windows, "samples": samples[i]}
        )
    return {
        "model_version": model.version,
        "model_kind": model.kind,
        "freq": request.freq,
        "horizon": request.horizon,
        "quantiles": request.quantiles,
        "series": out,
    }


def predict_fn(input_data: ForecastRequest, model: Forecaster) -> dict[str, Any]:
    """Forecast the request with the loaded model."""
    return forecast_response(input_data, model)


def output_fn(prediction: dict[str, Any], accept: str = _JSON) -> str:
    """Serialise the response as JSON (the only content type the contract defines)."""
    wanted = (accept or _JSON).split(",")
    if not any(a.split(";")[0].strip() in (_JSON, "*/*", "application/*") for a in wanted):
        raise RequestError(f"accept must allow {_JSON}, got {accept!r}")
    return json.dumps(prediction, separators=(",", ":"))


def invoke(model: Forecaster, body: str | bytes, content_type: str, accept: str) -> tuple[int, str]:
    """One invocation: (HTTP status, JSON body); a request that breaks the contract gives 400."""
    with _collection_paused():
        try:
            return 200, output_fn(predict_fn(input_fn(body, content_type), model), accept)
        except RequestError as err:
            return 400, json.dumps({"error": "invalid_request", "message": str(err)})


def transform_fn(model: Forecaster, request_body: str | bytes, content_type: str, accept: str) -> Any:
    """One invocation in the container: :func:`invoke`'s status and body as a response object.

    A single-model endpoint of the scikit-learn container serves through sagemaker-containers' Transformer in
    a Flask app under gunicorn. The Transformer wraps whatever a handler raises into its ``ClientError``,
    which Flask answers with 500 (the sagemaker-inference toolkit's ``GenericInferenceToolkitError`` would
    fare no better: that toolkit serves only multi-model endpoints there). A response object the handler
    returns is sent as it is, so a bad request keeps its 400 and SageMaker reports it as a ModelError with
    OriginalStatusCode 400, which the predict function does not retry.
    """
    # The container's Flask runs on Werkzeug; only the container calls this function.
    from werkzeug.wrappers import Response

    status, body = invoke(model, request_body, content_type, accept)
    return Response(body, status=status, mimetype=_JSON)
