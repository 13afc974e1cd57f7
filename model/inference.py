"""SageMaker inference handler (model_fn, input_fn, predict_fn, output_fn) implementing the endpoint contract.

The SageMaker scikit-learn container calls these four functions; ``model/local_endpoint.py`` calls
:func:`invoke` with the same functions. The response is a pure function of the request: sample paths are drawn
from a generator seeded by the request's ``seed``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from model.artifact import Forecaster, load_forecaster
from model.distribution import window_quantiles
from model.request import ForecastRequest, RequestError, parse_request, quantile_key

__all__ = ["model_fn", "input_fn", "predict_fn", "output_fn", "invoke", "forecast_response", "WINDOW_PATHS"]

#: Sample paths drawn per series when windows are asked for (more than the caller may want back).
WINDOW_PATHS = 1000
_JSON = "application/json"


def model_fn(model_dir: str) -> Forecaster:
    """Load the artifact extracted into ``model_dir``."""
    return load_forecaster(model_dir)


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


def invoke(model: Forecaster, body: bytes, content_type: str, accept: str) -> tuple[int, str]:
    """One invocation as the container runs it: (HTTP status, JSON body); contract errors give 400."""
    try:
        return 200, output_fn(predict_fn(input_fn(body, content_type), model), accept)
    except RequestError as err:
        return 400, json.dumps({"error": "invalid_request", "message": str(err)})
