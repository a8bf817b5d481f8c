#!/usr/bin/env bash
# The main job: build examples/hello (a Dockerfile, a context and a .dockerignore) into an
# OCI image layout at out/hello-oci (tag hello:latest), offline, with the store under
# .cache/store. Installs the pinned toolchain on first use. Extra arguments go to
# `buildkit build` (e.g. --progress=plain).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
mkdir -p out
node_modules/.bin/deno run -A cli.ts build --cache-dir .cache/store -t hello:latest \
  -o type=oci,dest=out/hello-oci,tar=false "$@" examples/hello
echo "OCI layout written to out/hello-oci (inspect: skopeo inspect oci:out/hello-oci:latest)"
