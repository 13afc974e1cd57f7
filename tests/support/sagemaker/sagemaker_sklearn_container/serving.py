"""The container's serving entry (``SAGEMAKER_SERVING_MODULE=sagemaker_sklearn_container.serving:main``).

What the image's own module does for a single-model endpoint (aws/sagemaker-scikit-learn-container,
serving.py): import the program named by ``SAGEMAKER_PROGRAM``, wrap its handlers in sagemaker-containers'
Transformer (``transform_fn``, or ``input_fn`` / ``predict_fn`` / ``output_fn``, never both), load the model
once and serve ``/ping`` and ``/invocations`` from the toolkit's Flask Worker. gunicorn runs ``main`` as its
WSGI app.
"""

import collections
import collections.abc
import importlib

# sagemaker-containers 2.8.6 still names collections.Mapping (gone since Python 3.10); the image rewrites the
# toolkit's _mapping.py to collections.abc.Mapping when it is built, which this does at run time.
collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]

from sagemaker_containers.beta.framework import env, modules, transformer, worker  # noqa: E402

__all__ = ["main"]


def _user_module_transformer(user_module):
    model_fn = getattr(user_module, "model_fn", transformer.default_model_fn)
    input_fn = getattr(user_module, "input_fn", None)
    predict_fn = getattr(user_module, "predict_fn", None)
    output_fn = getattr(user_module, "output_fn", None)
    transform_fn = getattr(user_module, "transform_fn", None)
    if transform_fn and (input_fn or predict_fn or output_fn):
        raise ValueError("Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn")
    if transform_fn is not None:
        return transformer.Transformer(model_fn=model_fn, transform_fn=transform_fn)
    return transformer.Transformer(
        model_fn=model_fn,
        input_fn=input_fn or transformer.default_input_fn,
        predict_fn=predict_fn or transformer.default_predict_fn,
        output_fn=output_fn or transformer.default_output_fn,
    )


def _import_module(module_name, module_dir):
    try:
        user_module = importlib.import_module(module_name)
    except ImportError:  # not installed yet: the toolkit installs the code directory and imports it
        user_module = modules.import_module(module_dir, module_name)
    user_transformer = _user_module_transformer(user_module)
    user_transformer.initialize()
    return user_transformer


_app = None


def main(environ, start_response):
    global _app
    if _app is None:
        serving_env = env.ServingEnv()
        user_transformer = _import_module(serving_env.module_name, serving_env.module_dir)
        _app = worker.Worker(transform_fn=user_transformer.transform, module_name=serving_env.module_name)
    return _app(environ, start_response)
