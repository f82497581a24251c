#!/usr/bin/env bash
# Builds the example plugins into OUT/<name>/{config.json,rootfs/}: each rootfs holds one static
# program and the empty folders it needs, nothing else (FROM-scratch style, no registry).
#   bash examples/plugins/build.sh OUT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUTDIR}"
mkdir -p "$out"
command -v gcc >/dev/null || { echo "build.sh: gcc is needed (apt-get install gcc libc6-dev)" >&2; exit 1; }

build() { # name source config
  local name="$1" src="$2" config="$3" dir="$out/$1"
  rm -rf "$dir" && mkdir -p "$dir/rootfs/run/docker/plugins" "$dir/rootfs/tmp"
  gcc -static -Os -s -Wall -Wextra -Werror -o "$dir/rootfs/$name" "$here/$src" "$here/common/plugin-http.c"
  cp "$here/$config" "$dir/config.json"
}

build no-remove no-remove/no-remove.c no-remove/config.json
build local-dir local-dir/local-dir.c local-dir/config.json
mkdir -p "$out/local-dir/rootfs/volumes"
build crash-authz fixtures/crash-authz.c fixtures/crash-authz.json
