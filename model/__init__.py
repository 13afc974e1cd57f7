"""Warecast forecasting model: training entry point, backtest, baselines and the SageMaker inference handler.

The same sources run locally (``warecast train``/``backtest``/``tune``), in the SageMaker scikit-learn
container (script mode, no internet) and behind ``model/local_endpoint.py``. See docs/model.md.
"""

__all__: list[str] = []
