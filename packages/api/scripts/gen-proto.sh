#!/usr/bin/env bash
# Regenerates src/gen from proto/ with protoc (Debian protobuf-compiler) and ts-proto.
# Usage: gen-proto.sh [OUT_DIR]   (default src/gen; the freshness test passes a temp dir)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/src/gen}"
command -v protoc >/dev/null || { echo "gen-proto: protoc not found (apt-get install -y protobuf-compiler)" >&2; exit 1; }
# Generate beside the output and swap it in at the end: a build or a commit running meanwhile
# (several engineers share a checkout) must never see the directory empty or half written.
tmp="$(mktemp -d "$(dirname "$out")/.gen-tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cd "$here"
protoc \
  --plugin=protoc-gen-ts_proto="$here/node_modules/.bin/protoc-gen-ts_proto" \
  --ts_proto_out="$tmp" \
  --ts_proto_opt=esModuleInterop=true,importSuffix=.js,outputServices=grpc-js,forceLong=number,stringEnums=true,useOptionals=messages,oneof=unions-value,env=node,useExactTypes=false,exportCommonSymbols=false,outputIndex=false,useDate=false \
  -I proto $(find proto -name '*.proto' | sort)
old="$(dirname "$out")/.gen-old.$$"
if [ -d "$out" ]; then mv "$out" "$old"; fi
mv "$tmp" "$out"
rm -rf "$old"
