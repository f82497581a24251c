#!/usr/bin/env bash
# npm run dev:up / dev:down — the development stack (docker-compose.yml here).
#   dev.sh up      build the node image (once per release build) and start 3 managers + 2 workers,
#                  waiting until every node is Ready in `node ls`
#   dev.sh down    stop and remove the containers, their volumes, the network and the dev dir
#   dev.sh cli ARGS  the flotilla CLI against the first manager (e.g. dev.sh cli node ls)
# The CLI from the host: flotilla -H unix://$FLOTILLA_DEV_DIR/mgr1/flotilla.sock …
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export FLOTILLA_DEV_DIR="${FLOTILLA_DEV_DIR:-$root/.data/dev}"
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-flotilla-dev}"
base_image=flotilla-dev/debian12:base
node_image=flotilla-dev/node:latest
started=$SECONDS

say() { printf '==> [%4ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
fail() { echo "dev.sh: $*" >&2; exit 1; }
compose() {
  if command -v docker-compose >/dev/null; then docker-compose -f "$here/docker-compose.yml" "$@"
  else docker compose -f "$here/docker-compose.yml" "$@"; fi
}
cli() { node "$root/packages/cli/dist/main.js" -H "unix://$FLOTILLA_DEV_DIR/mgr1/flotilla.sock" "$@"; }

build_image() {
  docker image inspect "$base_image" >/dev/null 2>&1 || {
    say "base image from the Debian 12 root filesystem (debootstrap, cached)"
    docker import "$(bash "$root/infra/ansible/test/rootfs.sh")" "$base_image" >/dev/null
  }
  local ctx; ctx="$(mktemp -d /tmp/flotilla-dev-image.XXXXXX)"
  # shellcheck disable=SC2064
  trap "rm -rf '$ctx'" RETURN
  say "release bundles (npm run release)"
  node "$root/packages/release/dist/main.js" --out "$ctx/release" >/dev/null
  bash "$root/infra/lib/node-dist.sh" "$ctx/node"
  cp "$here/node/Dockerfile" "$here/node/flotilla-dev-node.sh" "$here/node/flotilla-dev-service.sh" "$ctx/"
  say "node image $node_image"
  docker build -q -t "$node_image" "$ctx" >/dev/null
}

up() {
  command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 \
    || fail "needs docker-compose (apt-get install docker-compose)"
  [ -f "$root/packages/cli/dist/main.js" ] || fail "build first (bash scripts/setup.sh)"
  build_image
  mkdir -p "$FLOTILLA_DEV_DIR"/{images,shared,mgr1}
  # Tasks run the test image; the nodes cannot pull.
  docker image inspect flotilla/busybox >/dev/null 2>&1 || bash "$root/scripts/test-image.sh" >/dev/null
  docker save flotilla/busybox -o "$FLOTILLA_DEV_DIR/images/busybox.tar"
  say "starting 3 managers and 2 workers (each waits for the one it joins through)"
  compose up -d >&2
  say "waiting for 5 nodes Ready"
  local by=$((SECONDS + 300))
  until [ "$(cli node ls 2>/dev/null | grep -c ' Ready ')" = 5 ]; do
    [ $SECONDS -lt $by ] || { compose ps >&2; fail "not every node Ready after 300 s (docker-compose logs for why)"; }
    sleep 1
  done
  cli node ls >&2
  say "up: flotilla -H unix://$FLOTILLA_DEV_DIR/mgr1/flotilla.sock …  (or: bash infra/compose/dev.sh cli …)"
}

down() {
  compose down -v --remove-orphans >&2 || true
  rm -rf "$FLOTILLA_DEV_DIR"
  say "down: containers, volumes, network and $FLOTILLA_DEV_DIR removed"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  cli) shift; cli "$@" ;;
  *) echo "usage: dev.sh up | down | cli ARGS…" >&2; exit 2 ;;
esac
