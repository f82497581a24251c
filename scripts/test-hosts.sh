#!/usr/bin/env bash
# Inspect or clean up test-host runs (network namespaces + bridge + per-host dockerd)
# made by @flotilla/testkit's createTestHosts.
#   test-hosts.sh list  [prefix]   runs on this machine, live or left over
#   test-hosts.sh sweep [prefix]   remove what dead runs left behind (never touches live runs)
#   test-hosts.sh up N [--docker]  make N hosts and keep them until Ctrl-C (for poking around)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
harness="$root/packages/testkit/src/test-hosts/index.ts"
if [ "$(id -u)" != 0 ]; then echo "test-hosts.sh: needs root (network namespaces, iptables)" >&2; exit 1; fi
run_ts() { (cd "$root/packages/testkit" && node --import tsx --input-type=module -e "const h = await import('$harness'); $1"); }
prefix="${2:-flt}"
case "${1:-}" in
  list)
    run_ts "for (const r of h.listRuns('$prefix')) console.log(r.runId, r.live ? 'live (pid ' + r.ownerPid + ')' : 'leftover');" ;;
  sweep)
    run_ts "const r = h.sweepLeftovers('$prefix'); console.log('swept:', r.swept.join(' ') || '(nothing)'); for (const [id, p] of Object.entries(r.problems)) console.error(id + ': ' + p.join('; ')); if (Object.keys(r.problems).length) process.exit(1);" ;;
  up)
    count="${2:?usage: test-hosts.sh up N [--docker]}"
    docker=false; [ "${3:-}" = "--docker" ] && docker=true
    run_ts "const th = await h.createTestHosts({ count: $count, withDocker: $docker });
      for (const x of th.hosts) console.log(x.name, x.netns, x.addr, x.dockerHost ?? '');
      console.log('gateway', th.gateway, 'bridge', th.bridge, '- Ctrl-C to destroy');
      const stop = async () => { await th.destroy(); process.exit(0); };
      process.once('SIGINT', stop); process.once('SIGTERM', stop); setInterval(() => {}, 1 << 30);" ;;
  *) echo "usage: test-hosts.sh list|sweep [prefix] | up N [--docker]" >&2; exit 2 ;;
esac
