#!/usr/bin/env bash
# Builds the single-file binary dist/buildkit with `bun build --compile` (works offline).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist
node_modules/.bin/bun build --compile --minify --bytecode --format=esm cli.ts --outfile dist/buildkit
ls -l dist/buildkit
