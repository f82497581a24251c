#!/usr/bin/env bash
# The whole suite: installs and builds what is missing, starts a Docker Engine if none
# is running (and stops it afterwards), then runs every package's tests through turbo.
# Ends with one line "N passed, N failed" summed over all packages.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export TURBO_TELEMETRY_DISABLED=1

bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

started_dockerd=""
cleanup() {
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.1; done
  fi
}
trap cleanup EXIT
started_dockerd="$(bash scripts/docker-engine.sh ensure)" || { echo "0 passed, 1 failed"; exit 1; }
bash scripts/test-image.sh || { echo "0 passed, 1 failed"; exit 1; }

find packages apps -maxdepth 2 -name .test-results.json -delete
# turbo's run summaries carry each package's test exit code (an error outside any test leaves
# vitest's JSON report green): sum-test-results.mjs reads them.
rm -rf .turbo/runs
if [ $# -gt 0 ]; then
  pnpm exec turbo run test --summarize --continue --concurrency=2 --output-logs=full "$@"
  rc=$?
else
  # flotillad's end-to-end files are the long pole (about as long as every other package
  # together) and mostly wait on daemons and engines: start them at once beside the rest
  # instead of whenever turbo reaches them. Everything is built by setup.sh (--only).
  pnpm exec turbo run test --summarize --only --continue --filter=@flotilla/flotillad --output-logs=full &
  e2e_pid=$!
  pnpm exec turbo run test --summarize --only --continue --concurrency=2 --filter='!@flotilla/flotillad' --output-logs=full
  rc=$?
  wait "$e2e_pid" || rc=$?
fi
node scripts/sum-test-results.mjs
sum_rc=$?
[ $rc -ne 0 ] && exit $rc
exit $sum_rc
