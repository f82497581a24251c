#!/usr/bin/env bash
# Lays out this machine's Node.js as an official Linux tarball would (DIR/bin/node, DIR/bin/npm,
# DIR/lib/node_modules/npm), for test hosts and dev-stack images: Debian 12's nodejs (18.19) is
# too old for Flotilla, and no other Node.js is reachable from here.
#   node-dist.sh DIR
set -euo pipefail
dir="${1:?usage: node-dist.sh DIR}"
node_bin="$(readlink -f "$(command -v node)")"
node_prefix="$(dirname "$(dirname "$node_bin")")"
mkdir -p "$dir/bin" "$dir/lib/node_modules"
cp "$node_bin" "$dir/bin/node"
cp -a "$node_prefix/lib/node_modules/npm" "$dir/lib/node_modules/npm"
ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$dir/bin/npm"
