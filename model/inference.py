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
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.artifact import Forecaster, load_forecaster
from model.distribution import window_quantiles
from model.request import ForecastRequest, RequestError, Window, parse_request, quantile_key

__all__ = [
    "model_fn",
    "transform_fn",
    "input_fn",
    "predict_fn",
    "output_fn",
    "invoke",
    "forecast_response",
    "forecast_json",
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


@dataclass(frozen=True)
class _Shaped:
    """A forecast rounded and converted to Python values in numpy at once, ready for dicts or JSON text."""

    request: ForecastRequest
    model_version: str
    model_kind: str
    keys: list[str]  # the requested quantiles' response keys, in request order
    method: list[str]
    dates: list[list[str]]  # (series, step)
    mean: np.ndarray  # (series, step), rounded
    quantiles: np.ndarray  # (series, step, requested quantile), rounded
    windows: list[tuple[Window, list[float], list[list[float]]]]  # per window: means, quantiles per series
    samples: list[list[list[float]]]  # (series, sample, step)


def _shape(request: ForecastRequest, model: Forecaster) -> _Shaped:
    levels = np.array(sorted(set(request.quantiles)))
    n_paths = max(request.num_samples, WINDOW_PATHS if request.windows else 0)
    rng = np.random.default_rng(request.seed)
    fc = model.predict(request.panel, request.horizon, levels, n_paths, rng)
    order = [int(np.flatnonzero(levels == q)[0]) for q in request.quantiles]
    dates = np.datetime_as_string(request.panel.dates(np.arange(1, request.horizon + 1)[None, :])).tolist()
    mean = np.maximum(fc.mean, 0.0)
    wins = []
    for w in request.windows:
        wq = window_quantiles(fc.paths, w.start, w.end, levels)[:, order]
        wins.append(
            (w, np.round(mean[:, w.start - 1 : w.end].sum(axis=1), 4).tolist(), np.round(wq, 4).tolist())
        )
    return _Shaped(
        request=request,
        model_version=model.version,
        model_kind=model.kind,
        keys=[quantile_key(q) for q in request.quantiles],
        method=list(fc.method),
        dates=dates,
        mean=np.round(mean, 4),
        quantiles=np.round(fc.quantiles[:, :, order], 4),
        windows=wins,
        samples=np.round(fc.paths[:, : request.num_samples].astype(np.float64), 4).tolist(),
    )


def _head(shaped: _Shaped) -> dict[str, Any]:
    r = shaped.request
    return {
        "model_version": shaped.model_version,
        "model_kind": shaped.model_kind,
        "freq": r.freq,
        "horizon": r.horizon,
        "quantiles": r.quantiles,
    }


def _windows_of(shaped: _Shaped, i: int) -> list[dict[str, Any]]:
    return [
        {
            "name": w.name,
            "start": w.start,
            "end": w.end,
            "mean": wm[i],
            "quantiles": dict(zip(shaped.keys, wq[i], strict=True)),
        }
        for w, wm, wq in shaped.windows
    ]


def _as_dict(shaped: _Shaped) -> dict[str, Any]:
    steps = list(range(1, shaped.request.horizon + 1))
    means, quants = shaped.mean.tolist(), shaped.quantiles.tolist()
    keys = shaped.keys
    out = []
    for i, sid in enumerate(shaped.request.panel.ids):
        points = [
            {"date": d, "step": h, "mean": m, "quantiles": dict(zip(keys, q, strict=True))}
            for d, h, m, q in zip(shaped.dates[i], steps, means[i], quants[i], strict=True)
        ]
        out.append(
            {
                "id": sid,
                "method": shaped.method[i],
                "forecast": points,
                "windows": _windows_of(shaped, i),
                "samples": shaped.samples[i],
            }
        )
    return {**_head(shaped), "series": out}


def forecast_response(request: ForecastRequest, model: Forecaster) -> dict[str, Any]:
    """Run ``model`` on the request's series and shape the response of the contract as Python objects.

    The whole batch is rounded and converted in numpy at once (dates, means, quantiles, windows); Python only
    assembles the dicts. :func:`invoke` writes the same response as JSON text without the dicts
    (:func:`forecast_json`).
    """
    return _as_dict(_shape(request, model))


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _points_template(dates: list[str], keys: list[str]) -> str:
    """One series' ``forecast`` array as a %-format string: dates and steps written in, ``%r`` for each mean
    and quantile (``repr`` of a float is what :mod:`json` writes for a finite one)."""
    quantiles = ",".join(f"{_dumps(k)}:%r" for k in keys)
    return ",".join(
        _dumps({"date": d, "step": h}).replace("%", "%%")[:-1] + ',"mean":%r,"quantiles":{' + quantiles + "}}"
        for h, d in enumerate(dates, start=1)
    )


def forecast_json(request: ForecastRequest, model: Forecaster) -> str:
    """:func:`forecast_response` as compact JSON, the bytes ``json.dumps`` would write, without building the
    1,400 dicts of a 50-series answer: each series' points are one %-format of its rounded numbers into a
    template shared by the series that end on the same date. Numbers that are not finite (which ``json``
    writes as NaN or Infinity) take the dicts' path."""
    shaped = _shape(request, model)
    if not (np.isfinite(shaped.mean).all() and np.isfinite(shaped.quantiles).all()):
        return _dumps(_as_dict(shaped))
    # (series, step × (mean, quantiles...)) in the order the template reads them.
    numbers = np.concatenate([shaped.mean[:, :, None], shaped.quantiles], axis=2)
    rows = numbers.reshape(len(numbers), -1).tolist()
    templates: dict[str, str] = {}
    parts = []
    for i, sid in enumerate(request.panel.ids):
        dates = shaped.dates[i]
        # Every series has `horizon` (≥ 1: the request schema) dates, so the first one names them all.
        key = dates[0]
        template = templates.get(key)
        if template is None:
            template = templates[key] = _points_template(dates, shaped.keys)
        points = template % tuple(rows[i])
        windows = _dumps(_windows_of(shaped, i))
        parts.append(
            f'{{"id":{_dumps(sid)},"method":{_dumps(shaped.method[i])},"forecast":[{points}],'
            f'"windows":{windows},"samples":{_dumps(shaped.samples[i])}}}'
        )
    return _dumps(_head(shaped))[:-1] + ',"series":[' + ",".join(parts) + "]}"


def predict_fn(input_data: ForecastRequest, model: Forecaster) -> dict[str, Any]:
    """Forecast the request with the loaded model."""
    return forecast_response(input_data, model)


def _check_accept(accept: str) -> None:
    wanted = (accept or _JSON).split(",")
    if not any(a.split(";")[0].strip() in (_JSON, "*/*", "application/*") for a in wanted):
        raise RequestError(f"accept must allow {_JSON}, got {accept!r}")


def output_fn(prediction: dict[str, Any], accept: str = _JSON) -> str:
    """Serialise the response as JSON (the only content type the contract defines)."""
    _check_accept(accept)
    return _dumps(prediction)


def invoke(model: Forecaster, body: str | bytes, content_type: str, accept: str) -> tuple[int, str]:
    """One invocation: (HTTP status, JSON body); a request that breaks the contract gives 400."""
    with _collection_paused():
        try:
            request = input_fn(body, content_type)
            _check_accept(accept)
            return 200, forecast_json(request, model)
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
