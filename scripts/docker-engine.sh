#!/usr/bin/env bash
# ensure: start dockerd if no engine answers; prints the pid it started (empty if it was already up).
set -euo pipefail
case "${1:-}" in
  ensure)
    if docker info >/dev/null 2>&1; then exit 0; fi
    log="${DOCKERD_LOG:-/var/log/flotilla-dockerd.log}"
    nohup dockerd >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
      if docker info >/dev/null 2>&1; then echo "$pid"; exit 0; fi
      if ! kill -0 "$pid" 2>/dev/null; then echo "dockerd exited; see $log" >&2; tail -5 "$log" >&2; exit 1; fi
      sleep 0.2
    done
    echo "dockerd did not answer within 30 s; see $log" >&2; exit 1 ;;
  *) echo "usage: docker-engine.sh ensure" >&2; exit 2 ;;
esac
