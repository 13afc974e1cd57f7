"""The tuned-hyperparameters document, and the search space it comes from.

``warecast tune`` and the stack's SageMaker tuning job (its completion step, functions/tune.ts) write the same
JSON shape, and ``warecast train --params``, ``warecast backtest --params`` and retraining read it::

    {"tuningJobName": "warecast-prod-tune-2612010400" | null, "source": "sagemaker" | "local",
     "objective": {"metric": "tuning:model:rmsse", "type": "Minimize"}, "score": 0.8123,
     "hyperParameters": {"learning_rate": "0.06", ...}, ...}

Only ``hyperParameters`` is applied; the rest says where the values came from. The search space and the
objective live in ``search_space.json`` beside this module, read here and by the TypeScript request builder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["SPACE", "OBJECTIVE", "params_document", "read_params", "hyperparameters_of"]

_SPEC = json.loads((Path(__file__).parent / "search_space.json").read_text())

#: Values each searched hyperparameter may take.
SPACE: dict[str, list[Any]] = _SPEC["space"]
#: The tuning objective: its SageMaker metric name and direction.
OBJECTIVE: dict[str, str] = {k: _SPEC["objective"][k] for k in ("metric", "type")}


def params_document(
    hyperparameters: dict[str, Any],
    score: float,
    *,
    source: str = "local",
    tuning_job_name: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The document for ``hyperparameters`` that scored ``score`` on the objective."""
    return {
        "tuningJobName": tuning_job_name,
        "source": source,
        "objective": dict(OBJECTIVE),
        "score": score,
        "hyperParameters": dict(hyperparameters),
        **extra,
    }


def hyperparameters_of(document: Any, where: str = "params") -> dict[str, Any]:
    """The ``hyperParameters`` of a parsed document; a ValueError names what is wrong."""
    if not isinstance(document, dict) or not isinstance(document.get("hyperParameters"), dict):
        raise ValueError(
            f"{where}: expected a tuned-hyperparameters document with a hyperParameters object "
            '(as `warecast tune --out` writes), e.g. {"hyperParameters": {"learning_rate": 0.06}}'
        )
    hps = document["hyperParameters"]
    bad = sorted(k for k, v in hps.items() if not isinstance(v, str | int | float | bool))
    if bad:
        raise ValueError(f"{where}: hyperParameters {bad} must be strings, numbers or booleans")
    return dict(hps)


def read_params(path: Path) -> dict[str, Any]:
    """The hyperparameters of the document at ``path``."""
    try:
        document = json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not JSON ({err})") from err
    return hyperparameters_of(document, str(path))
