#!/usr/bin/env bash
# Regenerates src/gen from proto/ with protoc (Debian protobuf-compiler) and ts-proto.
# Usage: gen-proto.sh [OUT_DIR]   (default src/gen; the freshness test passes a temp dir)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/src/gen}"
command -v protoc >/dev/null || { echo "gen-proto: protoc not found (apt-get install -y protobuf-compiler)" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out"
cd "$here"
protoc \
  --plugin=protoc-gen-ts_proto="$here/node_modules/.bin/protoc-gen-ts_proto" \
  --ts_proto_out="$out" \
  --ts_proto_opt=esModuleInterop=true,importSuffix=.js,outputServices=grpc-js,forceLong=number,stringEnums=true,useOptionals=messages,oneof=unions-value,env=node,useExactTypes=false,exportCommonSymbols=false,outputIndex=false,useDate=false \
  -I proto $(find proto -name '*.proto' | sort)
