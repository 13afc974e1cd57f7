#!/usr/bin/env bash
# `warecast --help`, before and after the cached build: the CLI of BASE (default ec7c656, the last commit before
# the build) run through tsx as its ./warecast ran it, against this checkout's ./warecast, alternating, N runs
# each; prints the medians and their ratio with the load average. Usage: bench/cli/help.sh [BASE] [N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
base=${1:-ec7c656}
n=${2:-9}
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add --detach "$tmp/base" "$base" >/dev/null 2>&1
ln -s "$PWD/node_modules" "$tmp/base/node_modules"
./warecast --help >/dev/null # builds .build/ if a source changed

# milliseconds of wall time of one run of "$@"
wall() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

before=()
after=()
for _ in $(seq "$n"); do
  before+=("$(wall "$tmp/base/node_modules/.bin/tsx" "$tmp/base/cli/main.ts" --help)")
  after+=("$(wall ./warecast --help)")
done
b=$(printf '%s\n' "${before[@]}" | median)
a=$(printf '%s\n' "${after[@]}" | median)
echo "base $base via tsx: median $b ms; ./warecast (cached build): median $a ms; ratio $(awk "BEGIN {printf \"%.1f\", $b / $a}")x"
echo "runs: $n each, alternating; $(uptime | sed 's/.*load/load/'); $(nproc) cores"
