"""Stand-in for the scikit-learn container's own package, which is built into the image and not published.

Its training entry (``SAGEMAKER_TRAINING_MODULE=sagemaker_sklearn_container.training:main``) and its serving
entry (``SAGEMAKER_SERVING_MODULE=sagemaker_sklearn_container.serving:main``) are thin: the real
sagemaker-training and sagemaker-containers toolkits (requirements/container.in) do the rest. See
tests/artifacts/sagemaker.test.ts.
"""
