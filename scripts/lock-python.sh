#!/usr/bin/env bash
# Re-resolves requirements/*.in into requirements.lock (every transitive pin) and installs it into .venv, and
# requirements/container.in into requirements/container.lock (installed into .venv-container by scripts/setup.sh).
# Run after editing a requirements/*.in file; commit both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x .venv/bin/uv ] || .venv/bin/python -m pip install -q uv==0.13.9
.venv/bin/uv pip compile -q requirements/all.in -o requirements.lock --python .venv/bin/python --no-header
.venv/bin/uv pip install -q --python .venv/bin/python -r requirements.lock
# The SageMaker container's own set (requirements/container.in) has its own lock and venv (scripts/setup.sh).
.venv/bin/uv pip compile -q requirements/container.in -o requirements/container.lock --python-version 3.11 --no-header
