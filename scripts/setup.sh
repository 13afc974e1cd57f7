#!/usr/bin/env bash
# Idempotent set-up, one part at a time, so each command sets up only what it uses:
#   node     node_modules from package-lock.json (every command; the only part Node-only commands need)
#   python   the Python 3.11 venv (.venv) from requirements.lock (train, backtest, tune, serve, etl, demo)
#   java     a JVM for Spark (etl, demo)
#   container  the SageMaker container's libraries (.venv-container) for the artifact tests
#   browser  Chromium for the dashboard tests
# With no part named, it sets up node, python, java and container (plus the browser with --browser): a fresh
# machine, ./test.sh.
# A part is skipped when its lockfile has not changed since it last ran. Work that runs shows its progress on
# stderr (a ticking line on a terminal, start and end lines otherwise); a failure names the missing piece and,
# with --for, the command that needs it.
# Usage: scripts/setup.sh [--browser] [--quiet] [--for "warecast etl"] [node] [python] [java] [container] [browser]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quiet=0
for_what=""
parts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --browser) parts+=(browser) ;;
    --quiet) quiet=1 ;;
    --for) for_what=${2:?--for needs a command name}; shift ;;
    node | python | java | container | browser) parts+=("$1") ;;
    *) echo "setup: unknown argument $1 (expected node, python, java, container, browser, --browser, --quiet or --for CMD)" >&2; exit 2 ;;
  esac
  shift
done
all=0
if [ ${#parts[@]} -eq 0 ] || { [ ${#parts[@]} -eq 1 ] && [ "${parts[0]}" = browser ]; }; then
  all=1
  parts=(node python java container "${parts[@]}")
fi
wants() { [[ " ${parts[*]} " == *" $1 "* ]]; }

stamps=.setup-stamps
mkdir -p "$stamps"

needed_by() { [ -n "$for_what" ] && echo " ($for_what needs it)" || true; }
fail() { # fail PIECE HOW: what is missing, who needs it, and how to get it
  echo "setup: $1 is missing$(needed_by). $2" >&2
  exit 1
}

# run_step LABEL STAMP COMMAND...: runs COMMAND with its output in a log; prints progress (elapsed, and the
# previous duration of the same step as the ETA when there was one) and, on failure, the log's tail.
run_step() {
  local label=$1 stamp=$2
  shift 2
  local log="$stamps/$stamp.log" last="" t0=$SECONDS
  [ -f "$stamps/$stamp.seconds" ] && last=" (last time $(cat "$stamps/$stamp.seconds") s)"
  local tty=0
  [ "$quiet" = 0 ] && [ -t 2 ] && tty=1
  [ "$quiet" = 1 ] || [ "$tty" = 1 ] || echo "setup: $label$last ..." >&2
  "$@" >"$log" 2>&1 &
  local pid=$!
  if [ "$tty" = 1 ]; then
    while kill -0 "$pid" 2>/dev/null; do
      printf '\r\033[Ksetup: %s%s ... %d s' "$label" "$last" $((SECONDS - t0)) >&2
      sleep 1
    done
  fi
  local rc=0
  wait "$pid" || rc=$?
  local took=$((SECONDS - t0))
  [ "$tty" = 1 ] && printf '\r\033[K' >&2
  if [ "$rc" != 0 ]; then
    echo "setup: $label failed after $took s$(needed_by); its output ($log) ends with:" >&2
    tail -n 20 "$log" >&2
    exit "$rc"
  fi
  echo "$took" >"$stamps/$stamp.seconds"
  [ "$quiet" = 1 ] || echo "setup: $label done in $took s" >&2
}

apt_updated=0
apt_install() { # apt_install PIECE PACKAGE...: Debian packages, as root or through sudo
  local piece=$1 sudo=""
  shift
  command -v apt-get >/dev/null 2>&1 || fail "$piece" "Install it (Debian/Ubuntu package: $*) and run the command again."
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "$piece" "Install $* as root and run the command again."
    sudo="sudo"
  fi
  if [ "$apt_updated" = 0 ]; then
    run_step "apt-get update" apt-update $sudo apt-get update -qq
    apt_updated=1
  fi
  run_step "installing $piece (Debian: $*)" apt-install \
    env DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

find_python() { # sets PY to a Python 3.11
  PY=${WARECAST_PYTHON:-python3}
  if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    if command -v python3.11 >/dev/null 2>&1; then PY=python3.11; else
      local found
      found=$("$PY" --version 2>&1 || true)
      fail "Python 3.11" "Glue 5.0 and the SageMaker container run 3.11; found ${found:-no $PY}. Install python3.11 (or set WARECAST_PYTHON to one)."
    fi
  fi
}

if wants node; then
  command -v node >/dev/null 2>&1 || fail "Node.js" "Install Node.js 20 (package.json engines: >=20.9 <23)."
  command -v npm >/dev/null 2>&1 || fail "npm" "Install npm (it ships with Node.js)."
  # Stale when the lock file's bytes differ from the installed ones', not when it is newer: a checkout or a
  # worktree rewrites it with the same bytes, and each reinstall costs ~40 s. The hash lives in node_modules, so
  # a checkout that shares them (bench/etl/run.py's baseline) shares it too.
  npm_hash=$(sha256sum <package-lock.json | cut -d' ' -f1)
  if [ ! -f node_modules/.package-lock.json ] || [ "$(cat node_modules/.warecast-lock 2>/dev/null)" != "$npm_hash" ]; then
    run_step "npm packages (npm ci, $(grep -c '"node_modules/' package-lock.json) packages from package-lock.json)" npm-ci \
      npm ci --no-audit --no-fund --loglevel=error
    echo "$npm_hash" >node_modules/.warecast-lock
  fi
fi

if wants java && ! command -v java >/dev/null 2>&1; then
  apt_install "Java (a JVM 17 for Spark, as on Glue 5.0)" openjdk-17-jre-headless
fi

if wants browser && [ ! -x /usr/bin/chromium ]; then
  apt_install "Chromium (the dashboard tests)" chromium
fi

if wants python; then
  lock_hash=$(sha256sum <requirements.lock | cut -d' ' -f1)
  if [ ! -x .venv/bin/python ] || [ "$(cat "$stamps/venv" 2>/dev/null)" != "$lock_hash" ]; then
    find_python
    [ -x .venv/bin/python ] || run_step "Python venv (.venv, $PY)" venv "$PY" -m venv .venv
    run_step "uv for the venv" uv .venv/bin/python -m pip install -q --disable-pip-version-check uv==0.13.9
    run_step "Python packages ($(grep -c '==' requirements.lock) from requirements.lock)" venv-packages \
      .venv/bin/uv pip install -q --python .venv/bin/python -r requirements.lock
    echo "$lock_hash" >"$stamps/venv"
  fi
fi
# The SageMaker scikit-learn container's Python packages (requirements/container.in): the artifact tests train
# and serve the uploaded tarballs on these versions. sagemaker-training builds a C extension from its sdist.
if wants container; then
  lock_hash=$(sha256sum <requirements/container.lock | cut -d' ' -f1)
  if [ ! -x .venv-container/bin/python ] || [ "$(cat "$stamps/container" 2>/dev/null)" != "$lock_hash" ]; then
    [ -x .venv/bin/uv ] || fail "the main venv (.venv)" "Run scripts/setup.sh python first."
    find_python
    if ! "$PY" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
      || ! command -v gcc >/dev/null 2>&1; then
      apt_install "a C compiler and Python headers (sagemaker-training builds from source)" python3-dev gcc
    fi
    [ -x .venv-container/bin/python ] || run_step "SageMaker container venv (.venv-container, $PY)" container-venv "$PY" -m venv .venv-container
    run_step "SageMaker container packages ($(grep -c '==' requirements/container.lock) from requirements/container.lock)" container-packages \
      .venv/bin/uv pip install -q --python .venv-container/bin/python -r requirements/container.lock
    echo "$lock_hash" >"$stamps/container"
  fi
fi
[ "$all" = 1 ] && [ "$quiet" = 0 ] && echo "setup: ready (${parts[*]})" >&2
exit 0
