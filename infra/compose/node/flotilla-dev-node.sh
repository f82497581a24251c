#!/bin/sh
# Entry point of a dev-stack node container (infra/compose): its own Docker Engine (tasks run
# there, docker-in-docker), then flotillad, then `swarm init` (FLOTILLA_DEV_ROLE=init) or
# `swarm join` as manager/worker with the token the first manager left in /shared. A restarted
# container keeps its data dir (a volume) and rejoins by itself: init/join run only when the
# node is not in a swarm yet.
set -eu
role="${FLOTILLA_DEV_ROLE:?FLOTILLA_DEV_ROLE must be init, manager or worker}"
first="${FLOTILLA_DEV_FIRST_MANAGER:?FLOTILLA_DEV_FIRST_MANAGER must be the first manager address}"
addr="$(hostname -i | awk '{print $1}')"
sock=/run/flotilla/flotilla.sock
say() { echo "flotilla-dev-node[$(hostname) $role]: $*" >&2; }
flotilla() { command flotilla -H "unix://$sock" "$@"; }
deadline() { echo $(( $(date +%s) + $1 )); }

mkdir -p /run/flotilla /var/log/flotilla
dockerd >/var/log/flotilla/dockerd.log 2>&1 &
dockerd_pid=$!
until docker info >/dev/null 2>&1; do
  kill -0 "$dockerd_pid" 2>/dev/null || { tail -20 /var/log/flotilla/dockerd.log >&2; say "dockerd exited"; exit 1; }
  sleep 0.2
done
# Images for tasks: the stack never pulls; what the host saved into /images is loaded.
for image in /images/*.tar; do [ -e "$image" ] && docker load -q -i "$image" >/dev/null; done

# shellcheck disable=SC2086 # word-split on purpose: extra flags and labels
flotillad --data-dir /var/lib/flotilla --control-socket "$sock" --node-name "$(hostname)" \
  --advertise-addr "$addr" ${FLOTILLA_DEV_LABELS:-} ${FLOTILLA_DEV_DAEMON_ARGS:-} &
daemon_pid=$!
stop() {
  say "stopping"
  kill -TERM "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true
  kill -TERM "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true
  exit 0
}
trap stop TERM INT

until_by=$(deadline 60)
until flotilla info >/dev/null 2>&1; do
  kill -0 "$daemon_pid" 2>/dev/null || { say "flotillad exited"; exit 1; }
  [ "$(date +%s)" -lt "$until_by" ] || { say "flotillad did not answer on $sock within 60 s"; exit 1; }
  sleep 0.2
done

if ! flotilla info | grep -q 'Swarm: active'; then
  case "$role" in
    init)
      flotilla swarm init --advertise-addr "$addr" >&2
      for kind in manager worker service; do
        flotilla swarm join-token -q "$kind" >"/shared/$kind.token.part"
        mv "/shared/$kind.token.part" "/shared/$kind.token"
      done
      ;;
    manager|worker)
      until_by=$(deadline 180)
      until [ -s "/shared/$role.token" ]; do
        [ "$(date +%s)" -lt "$until_by" ] || { say "no $role join token in /shared after 180 s"; exit 1; }
        sleep 0.5
      done
      # A manager joins only once the one before it is in the Raft group (the compose file
      # orders them); a join refused while the leader is busy is retried.
      until_by=$(deadline 120)
      until flotilla swarm join --advertise-addr "$addr" --token "$(cat "/shared/$role.token")" "$first:2377" >&2; do
        [ "$(date +%s)" -lt "$until_by" ] || { say "swarm join kept failing for 120 s"; exit 1; }
        sleep 2
      done
      ;;
    *) say "unknown role"; exit 1 ;;
  esac
fi
say "ready ($addr)"
touch /run/flotilla/ready
wait "$daemon_pid"
