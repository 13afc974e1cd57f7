#!/usr/bin/env bash
# Runs every check and test: lint, type-check, jest, pytest, and the offline policy check of both stacks.
# Usage: ./test.sh   (sets itself up on a fresh machine; see scripts/setup.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/setup.sh --browser

# Tests never reach AWS: dummy credentials, and every endpoint they use is on 127.0.0.1.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE
mkdir -p test-artifacts
# Every temporary directory the tests make (os.tmpdir(), Python's tempfile, pytest's, Chromium's) goes under one
# directory removed at the end, pass or fail: test files that make a temp dir per fixture do not each clean up.
# Jest's transform cache stays where it was (jest_<uid> in the usual temp directory), shared across runs.
jest_cache="${TMPDIR:-/tmp}/jest_$(id -u)"
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/warecast-test.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

status=0
step() { # step NAME COMMAND...: runs every step, reports each, fails at the end if any failed
  local name=$1; shift
  local t0=$SECONDS
  echo "==> $name"
  if "$@"; then echo "<== $name: ok ($((SECONDS - t0)) s)"; else echo "<== $name: FAILED ($((SECONDS - t0)) s)"; status=1; fi
}

step "ruff" bash -c '.venv/bin/ruff check . && .venv/bin/ruff format --check .'
step "eslint" node_modules/.bin/eslint .
step "prettier" node_modules/.bin/prettier --check .
step "tsc" node_modules/.bin/tsc --noEmit -p tsconfig.json
step "jest" node_modules/.bin/jest --ci --cacheDirectory "$jest_cache"
step "pytest" .venv/bin/pytest -q
# api/openapi.yaml against `warecast serve` with Schemathesis: bounded by its time budget (tests/api/schemathesis/).
step "schemathesis" node_modules/.bin/tsx tests/api/schemathesis/run.ts
if [ -f cli/commands/policy-check.ts ]; then
  for stack in dev prod; do step "policy-check $stack" ./warecast policy-check --stack "$stack"; done
fi
exit $status
