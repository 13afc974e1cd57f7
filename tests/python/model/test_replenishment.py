"""model/replenishment.py gives the API's numbers: the cases functions/replenishment.ts answers in
tests/functions/replenishment-rule.test.ts (tests/fixtures/replenishment-rule.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.replenishment import PolicyInputs, order_up_to, suggested_order

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "replenishment-rule.json").read_text())
CASES = FIXTURE["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_rule_matches_the_shared_cases(case):
    i = case["inputs"]
    up = order_up_to(np.array([case["quantiles"][str(i["service_level"])]]))
    q = suggested_order(np.array([i["on_hand"] + i["on_order"]]), up, i["moq"], i["pack_size"])
    # The API reports the reorder point beside S; under the (R, S) rule they are the same number.
    got = {"reorder_point": up[0], "order_up_to_level": up[0], "suggested_order_quantity": q[0]}
    assert got == case["expected"]


def test_defaults_are_the_api_s():
    # functions/predict/config.ts's defaults, checked against the same record in the jest test.
    assert vars(PolicyInputs()) == FIXTURE["api_defaults"]


def test_inputs_are_checked():
    with pytest.raises(ValueError, match="at least 1"):
        PolicyInputs(0, 0)
    with pytest.raises(ValueError, match="service_level"):
        PolicyInputs(service_level=1.0)
    with pytest.raises(ValueError, match="pack_size"):
        PolicyInputs(pack_size=0)
