"""metrics.json against schemas/training-metrics.schema.json: a real small training run on the bundled pasta
data writes a file that follows the schema and has the shape of the checked-in fixture the promotion gate's
tests read (tests/fixtures/training-metrics.json, by scripts/training_metrics_fixture.py); its ``metric`` log
lines are the scraped metrics the schema names."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "schemas" / "training-metrics.schema.json").read_text())
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "training-metrics.json").read_text())
_spec = importlib.util.spec_from_file_location(
    "fixture_gen", ROOT / "scripts" / "training_metrics_fixture.py"
)
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def _errors(doc: Any) -> list[str]:
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def _shape(value: Any) -> Any:
    """Keys and kinds, not values (numbers and nulls alike: a score may be undefined)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return ["list", sorted({json.dumps(_shape(v), sort_keys=True) for v in value})]
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    return type(value).__name__


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> tuple[dict[str, Any], str]:
    """A training run now, with the fixture's data and settings; metrics.json and what train.py printed."""
    root = tmp_path_factory.mktemp("train")
    log = root / "stdout.txt"
    with log.open("w") as out, contextlib.redirect_stdout(out):
        metrics = gen.train_on_pasta(root)
    return metrics, log.read_text()


def test_schema_is_valid_json_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_fixture_follows_the_schema():
    assert _errors(FIXTURE) == []


def test_a_fresh_training_run_follows_the_schema(fresh):
    assert _errors(fresh[0]) == []


def test_the_fixture_has_the_shape_training_writes_today(fresh):
    """Run scripts/training_metrics_fixture.py when train.py's output changes shape."""
    assert _shape(fresh[0]) == _shape(FIXTURE)


def test_schema_catches_a_broken_file():
    broken = json.loads(json.dumps(FIXTURE))
    del broken["metrics"]["model"]["wape"]
    broken["setup"]["windows"][0]["origin"] = "2018-13-01"
    assert len(_errors(broken)) == 2


def test_scraped_metrics_are_what_train_prints_and_every_row_has(fresh):
    scraped = SCHEMA["x-warecast-scraped"]
    assert set(scraped["metrics"]) <= set(SCHEMA["$defs"]["scores"]["required"])
    assert SCHEMA["properties"]["primary_metric"]["enum"] == scraped["metrics"]
    printed = set(re.findall(r"^metric ([a-z_0-9]+)=[-+0-9.eE]+$", fresh[1], re.M))
    for method in scraped["methods"]:
        for metric in scraped["metrics"]:
            if fresh[0]["metrics"][method][metric] is not None:
                assert f"{method}_{metric}" in printed
