"""Stand-in for the scikit-learn container's own package, which is built into the image and not published.

Only its training entry (``SAGEMAKER_TRAINING_MODULE=sagemaker_sklearn_container.training:main``) is needed:
the real sagemaker-training toolkit (requirements/container.in) does the rest. See
tests/artifacts/sagemaker.test.ts.
"""
