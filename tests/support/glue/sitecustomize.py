"""Glue's Python environment in the Glue artifact test (tests/artifacts/glue-job.test.ts).

The project's venv stands in for the libraries Glue 5.0 provides, but it also holds libraries Glue does not
have. Those (``WARECAST_GLUE_ABSENT``: comma-separated top-level module names) may only be imported from
``WARECAST_GLUE_MODULES``, the directory the test installs the job's ``--additional-python-modules`` into as
Glue's pip does: a wheel the job needs and does not ship fails the run here as it would in Glue. Python
imports this module at start (it is on PYTHONPATH), in the driver and in Spark's Python workers alike.
"""

import os
import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder


class _OnlyFromJobModules(MetaPathFinder):
    def __init__(self, absent: set[str], modules: str) -> None:
        self.absent = absent
        self.modules = [modules] if modules else []

    def find_spec(self, name: str, path=None, target=None) -> ModuleSpec | None:
        if name.partition(".")[0] not in self.absent:
            return None
        # A submodule's path is its package's, already inside the job's modules.
        spec = PathFinder.find_spec(name, path if path is not None else self.modules)
        if spec is None:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return spec


_absent = {m for m in os.environ.get("WARECAST_GLUE_ABSENT", "").split(",") if m}
if _absent:
    sys.meta_path.insert(0, _OnlyFromJobModules(_absent, os.environ.get("WARECAST_GLUE_MODULES", "")))
