"""Serves requests from an extracted model.tar.gz through the scikit-learn container's serving stack.

The container reads ``SAGEMAKER_PROGRAM`` and ``SAGEMAKER_SUBMIT_DIRECTORY`` (the model's environment), brings
that directory's code into its own code directory, and gunicorn serves
``sagemaker_sklearn_container.serving:main`` (the stand-in beside this file, on the real sagemaker-containers
Transformer and Flask Worker): the model is loaded once from the model directory and each
``POST /invocations`` runs the program's handlers. Here the code
directory is put on ``sys.path`` where the container pip-installs it, and the requests go to that WSGI app
in-process instead of through gunicorn and nginx (docs/model-operations.md lists the differences).

Usage: python serve.py MODEL_DIR CODE_DIR < requests.json > responses.json, where requests.json is a list of
``{"body": str, "content_type": str, "accept": str}`` and each response is ``{"status", "content_type",
"body"}``; /opt/ml paths in the environment are read under the root given by WARECAST_SAGEMAKER_ROOT.
"""

import json
import os
import shutil
import sys


def _local(path: str) -> str:
    root = os.environ.get("WARECAST_SAGEMAKER_ROOT", "")
    return root + path if path.startswith("/opt/ml/") else path


def main() -> None:
    model_dir, code_dir = sys.argv[1], sys.argv[2]
    # The toolkit reads the model from $SAGEMAKER_BASE_DIR/model (/opt/ml/model in the container).
    os.environ["SAGEMAKER_BASE_DIR"] = os.path.dirname(model_dir)
    shutil.copytree(_local(os.environ["SAGEMAKER_SUBMIT_DIRECTORY"]), code_dir)
    sys.path.insert(0, code_dir)
    from sagemaker_sklearn_container import serving
    from werkzeug.test import Client

    client = Client(serving.main)
    responses = []
    for request in json.load(sys.stdin):
        res = client.post(
            "/invocations",
            data=request["body"],
            content_type=request["content_type"],
            headers={"Accept": request["accept"]},
        )
        responses.append(
            {"status": res.status_code, "content_type": res.mimetype, "body": res.get_data(as_text=True)}
        )
    json.dump(responses, sys.stdout)


if __name__ == "__main__":
    main()
