#!/usr/bin/env bash
# Installs what the builder and its tests need on a fresh Debian machine with Node and npm:
# the pinned Deno and Bun toolchains and the npm dependencies (package-lock.json).
# Safe to run again: it does nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

need_npm=0
[ -x node_modules/.bin/deno ] && [ -x node_modules/.bin/bun ] || need_npm=1
# A lock file newer than the installed tree means the pins changed since the last install.
[ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || need_npm=1
if [ "$need_npm" = 1 ]; then
  echo "bootstrap: installing the pinned toolchain (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
node_modules/.bin/deno --version >/dev/null
node_modules/.bin/bun --version >/dev/null
