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
step "jest" node_modules/.bin/jest --ci
step "pytest" .venv/bin/pytest -q
# api/openapi.yaml against `warecast serve` with Schemathesis: bounded by its time budget (tests/api/schemathesis/).
step "schemathesis" node_modules/.bin/tsx tests/api/schemathesis/run.ts
if [ -f cli/commands/policy-check.ts ]; then
  for stack in dev prod; do step "policy-check $stack" ./warecast policy-check --stack "$stack"; done
fi
exit $status
