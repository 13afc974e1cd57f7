"""Serves requests from an extracted model.tar.gz as the SageMaker scikit-learn container does.

The container reads ``SAGEMAKER_PROGRAM`` and ``SAGEMAKER_SUBMIT_DIRECTORY`` (the model's environment),
brings that directory's code into its own code directory, imports the program as a module, and wraps the
module's model_fn / input_fn / predict_fn / output_fn: the model is loaded once from the model directory,
and each request is ``output_fn(predict_fn(input_fn(body, content_type), model), accept)``; an ``output_fn``
may return the body or ``(body, content_type)``. Here the code directory is put on ``sys.path`` where the
container pip-installs it (docs/model-operations.md lists the differences).

Usage: python serve.py MODEL_DIR CODE_DIR < requests.json > responses.json, where requests.json is a list of
``{"body": str, "content_type": str, "accept": str}``; /opt/ml paths in the environment are read under the
root given by WARECAST_SAGEMAKER_ROOT.
"""

import importlib
import json
import os
import shutil
import sys


def _local(path: str) -> str:
    root = os.environ.get("WARECAST_SAGEMAKER_ROOT", "")
    return root + path if path.startswith("/opt/ml/") else path


def main() -> None:
    model_dir, code_dir = sys.argv[1], sys.argv[2]
    submit_dir = _local(os.environ["SAGEMAKER_SUBMIT_DIRECTORY"])
    program = os.environ["SAGEMAKER_PROGRAM"]
    shutil.copytree(submit_dir, code_dir)
    sys.path.insert(0, code_dir)
    module = importlib.import_module(program[: -len(".py")] if program.endswith(".py") else program)
    handlers = {name: getattr(module, name) for name in ("model_fn", "input_fn", "predict_fn", "output_fn")}
    model = handlers["model_fn"](model_dir)
    responses = []
    for request in json.load(sys.stdin):
        try:
            data = handlers["input_fn"](request["body"], request["content_type"])
            result = handlers["output_fn"](handlers["predict_fn"](data, model), request["accept"])
            body, content_type = result if isinstance(result, tuple) else (result, request["accept"])
            if isinstance(body, bytes):
                body = body.decode("utf-8")
            responses.append({"status": 200, "content_type": content_type, "body": body})
        except Exception as err:  # noqa: BLE001 - the container answers a handler error with a 4xx/5xx
            status = getattr(err, "status_code", 500)
            responses.append({"status": status, "error": f"{type(err).__name__}: {err}"})
    json.dump(responses, sys.stdout)


if __name__ == "__main__":
    main()
