#!/usr/bin/env bash
# The main job at this stage of the project: parse and plan examples/hello (a Dockerfile,
# a context and a .dockerignore) and print its build graph with vertex digests.
# Installs the pinned toolchain on first use; needs no network after that.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node_modules/.bin/deno run -A cli.ts debug llb "${@:-examples/hello}"
