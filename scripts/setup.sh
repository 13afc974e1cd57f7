#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: Debian packages, npm packages, the Python venv.
# Each step is skipped when its lockfile has not changed since it last ran (stamps in .setup-stamps/).
# Usage: scripts/setup.sh [--browser] [--quiet]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

browser=0
quiet=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    --quiet) quiet=1 ;;
    *) echo "setup: unknown option $arg (expected --browser or --quiet)" >&2; exit 2 ;;
  esac
done

say() { [ "$quiet" = 1 ] || echo "setup: $*" >&2; }
stamps=.setup-stamps
mkdir -p "$stamps"

fresh() { # fresh NAME FILE...: true when the stamp matches the files' hash
  local want
  want=$(cat "${@:2}" | sha256sum | cut -d' ' -f1)
  [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$want" ]
}
stamp() { cat "${@:2}" | sha256sum | cut -d' ' -f1 >"$stamps/$1"; }

apt_updated=0
apt_install() { # apt_install PACKAGE...: Debian packages, as root or through sudo
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ "$apt_updated" = 0 ]; then
    $sudo apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Spark needs a JVM (17, as on Glue 5.0).
if ! command -v java >/dev/null 2>&1; then
  apt_install openjdk-17-jre-headless
fi
if [ "$browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi

if [ ! -d node_modules ] || ! fresh npm package-lock.json; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  stamp npm package-lock.json
fi

PY=${WARECAST_PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  if command -v python3.11 >/dev/null 2>&1; then PY=python3.11; else
    echo "setup: Python 3.11 is required (Glue 5.0 and the SageMaker container run 3.11); found $("$PY" --version 2>&1)" >&2
    exit 1
  fi
fi
if [ ! -x .venv/bin/python ] || ! fresh venv requirements.lock scripts/setup.sh; then
  say "Python venv (.venv) from requirements.lock"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check uv==0.13.9
  .venv/bin/uv pip install -q --python .venv/bin/python -r requirements.lock
  stamp venv requirements.lock scripts/setup.sh
fi

# The SageMaker scikit-learn container's Python packages (requirements/container.in): the artifact tests train
# and serve the uploaded tarballs on these versions. sagemaker-training builds a C extension from its sdist.
if [ ! -x .venv-container/bin/python ] || ! fresh container requirements/container.lock scripts/setup.sh; then
  say "SageMaker container venv (.venv-container) from requirements/container.lock"
  if ! "$PY" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || ! command -v gcc >/dev/null 2>&1; then
    apt_install python3-dev gcc
  fi
  [ -x .venv-container/bin/python ] || "$PY" -m venv .venv-container
  .venv/bin/uv pip install -q --python .venv-container/bin/python -r requirements/container.lock
  stamp container requirements/container.lock scripts/setup.sh
fi
