"""Checks an AWS API request (JSON on stdin) against the operation's documented input shape, from botocore's
service model: required members, unknown members, types, enums, lengths, ranges and patterns. Prints the
problems as a JSON list (empty when the request conforms).

Usage: python api_shape.py <service> <Operation> < request.json
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import botocore.session
from botocore.model import Shape
from botocore.validate import ParamValidator


def _check(value: Any, shape: Shape, where: str, out: list[str]) -> None:
    meta = shape.metadata
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in value:
                _check(value[name], member, f"{where}.{name}", out)
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            _check(item, shape.member, f"{where}[{i}]", out)
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"{where}: {len(value)} items, more than {meta['max']}")
    elif shape.type_name == "map":
        for key, item in value.items():
            _check(key, shape.key, f"{where} key {key!r}", out)
            _check(item, shape.value, f"{where}.{key}", out)
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"{where}: {len(value)} entries, more than {meta['max']}")
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            out.append(f"{where}: {value!r} is not one of {shape.enum}")
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"{where}: {len(value)} characters, more than {meta['max']}")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            out.append(f"{where}: {value!r} does not match {meta['pattern']}")
    elif shape.type_name in ("integer", "long") and "max" in meta and value > meta["max"]:
        out.append(f"{where}: {value} is more than {meta['max']}")


def main() -> int:
    service, operation = sys.argv[1:3]
    request = json.load(sys.stdin)
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    report = ParamValidator().validate(request, shape)
    problems = report.generate_report().splitlines() if report.has_errors() else []
    if not problems:
        _check(request, shape, operation, problems)
    print(json.dumps(problems))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
