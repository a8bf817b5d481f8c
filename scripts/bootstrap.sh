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

# Debian packages the tests use as independent checkers and peers (skopeo and umoci
# validate every exported image; pigz is a peer in the benchmarks). Installed when
# missing and when we are root; otherwise the tests that need them fail saying so.
APT_PACKAGES=(skopeo umoci pigz busybox-static crun runc uidmap docker-registry apache2-utils git)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${missing[@]}" >&2 || { apt-get update -qq >&2 && apt-get install -y -qq "${missing[@]}" >&2; }
  else
    echo "bootstrap: missing Debian packages (install them as root): ${missing[*]}" >&2
  fi
fi

# crun needs the cgroup controllers that sit in cgroup2 on hybrid hosts mounted as v1.
if [ "$(id -u)" = 0 ] && command -v crun >/dev/null; then
  node_modules/.bin/deno run -A scripts/prepare_host.ts >&2 || echo "bootstrap: could not prepare cgroups for crun (runc still works)" >&2
fi
