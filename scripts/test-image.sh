#!/usr/bin/env bash
# Builds flotilla/busybox:latest from infra/images/busybox unless it exists already.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
image="flotilla/busybox:latest"
if docker image inspect "$image" >/dev/null 2>&1 && [ "${1:-}" != "--rebuild" ]; then exit 0; fi
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$root/infra/images/busybox/Dockerfile" "$ctx/"
cp /bin/busybox "$ctx/busybox"
DOCKER_BUILDKIT=0 docker build -q -t "$image" "$ctx" >/dev/null 2>"$ctx/build.err" || { cat "$ctx/build.err" >&2; exit 1; }
echo "built $image" >&2
