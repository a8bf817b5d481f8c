#!/usr/bin/env bash
# The whole test suite: format, lint, type-check, import-direction check, the compiled binary,
# the unit/golden/conformance/e2e tests under Deno AND Bun, and the conformance report.
# Installs what it needs on first use. Last line: "N passed, M failed, K skipped" summed over
# every runner and check.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/.cache/test-results"
rm -rf "$OUT"
mkdir -p "$OUT"

if ! bash scripts/bootstrap.sh; then
  echo "bootstrap failed: the toolchain could not be installed"
  echo "0 passed, 1 failed"
  exit 1
fi
DENO="$ROOT/node_modules/.bin/deno"
BUN="$ROOT/node_modules/.bin/bun"
export NO_COLOR=1

# step NAME CMD...: runs a check, records it as one passed or failed test.
step() {
  local name=$1
  shift
  echo "=== $name: $*"
  if "$@" >"$OUT/$name.log" 2>&1; then
    echo "pass $name" >>"$OUT/steps.txt"
    tail -n 1 "$OUT/$name.log"
  else
    echo "fail $name" >>"$OUT/steps.txt"
    tail -n 40 "$OUT/$name.log"
    echo "--- $name FAILED (full log: $OUT/$name.log)"
  fi
}

step fmt "$DENO" fmt --check
step lint "$DENO" lint
step typecheck "$DENO" check mod.ts cli.ts scripts/ tests/
step deps "$DENO" run -A scripts/check_deps.ts
step compile bash scripts/compile.sh
if [ -x dist/buildkit ]; then export BUILDKIT_BIN="$ROOT/dist/buildkit"; fi

echo "=== deno test"
"$DENO" test -A --no-check --parallel --junit-path="$OUT/deno.xml" tests/ 2>&1 | tail -n 60
echo "=== bun test"
"$BUN" test --timeout 60000 --reporter=junit --reporter-outfile="$OUT/bun.xml" ./tests 2>&1 | tail -n 60

step conformance "$DENO" run -A scripts/conformance.ts --min 98
cat "$OUT/conformance.log" | tail -n 60

"$DENO" run -A scripts/count_results.ts "$OUT"
