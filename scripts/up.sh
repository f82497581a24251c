#!/usr/bin/env bash
# Brings up a working one-node swarm on this machine: installs what is missing, builds,
# starts the Docker Engine and one flotillad, initialises the swarm, and says what to type next.
# Running it again does no harm: every step checks first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

data_dir="${FLOTILLA_DATA_DIR:-/var/lib/flotilla}"
socket="${FLOTILLA_SOCKET:-/var/run/flotilla.sock}"
log="${FLOTILLA_LOG:-/var/log/flotillad.log}"
host="unix://$socket"
cli() { "$root/bin/flotilla" -H "$host" "$@"; }

bash scripts/setup.sh

say "Docker Engine"
bash scripts/docker-engine.sh ensure >/dev/null
bash scripts/test-image.sh

if cli info >/dev/null 2>&1; then
  say "flotillad already running on $socket"
else
  say "starting flotillad (data dir $data_dir, log $log)"
  mkdir -p "$data_dir" "$(dirname "$log")"
  nohup "$root/bin/flotillad" --data-dir "$data_dir" --control-socket "$socket" >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do
    cli info >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "flotillad exited; last lines of $log:" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.2
  done
  cli info >/dev/null 2>&1 || { echo "flotillad did not answer on $socket within 30 s; see $log" >&2; exit 1; }
fi

if ! cli info 2>/dev/null | grep -qi 'swarm: active'; then
  # Overlay networks, service VIPs and the routing mesh need a non-loopback address (a loopback
  # one means "several nodes in one namespace" to flotillad): use the default route's source.
  addr=$(ip -4 route get 192.0.2.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1)
  if [ -z "$addr" ]; then
    addr=127.0.0.1
    say "no non-loopback IPv4 address found: advertising 127.0.0.1 (services run, overlay networks and published ports do not)"
  fi
  say "initialising the swarm (advertise address $addr)"
  cli swarm init --advertise-addr "$addr"
fi

cli info
cat <<MSG

Flotilla is up. Next:
  export PATH="$root/bin:\$PATH" FLOTILLA_HOST=$host
  flotilla node ls
  flotilla service create --name web --replicas 3 --publish 8080:80 flotilla/busybox:latest httpd -f -p 80 -h /etc
  flotilla service ls
  flotilla service ps web
  curl http://127.0.0.1:8080/hostname      # answered by any replica, on every node (routing mesh)
  flotilla service scale web=5
  flotilla service logs web
  flotilla service rm web
Logs: $log    Stop: kill \$(cat $data_dir/flotillad.pid)
MSG
