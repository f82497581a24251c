#!/usr/bin/env bash
# npm run test:compose — the development stack for real: dev.sh up (3 managers, 2 workers, each
# with its own Docker Engine; the scheduler in 2 containers of its own), a replicated service
# spread over both workers, the active scheduler's container killed (SIGKILL) and a new service
# still placed by the other, the leading
# manager's container killed (SIGKILL) and a new service still placed and running through the
# others, the killed manager back and Ready, then dev.sh down leaving no container, volume,
# network or directory behind — also when a step fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dev="$here/../dev.sh"
export COMPOSE_PROJECT_NAME=flotilla-devtest
export FLOTILLA_DEV_DIR="/tmp/flotilla-devtest"
project=$COMPOSE_PROJECT_NAME
started=$SECONDS
say() { printf '==> [%4ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
fail() { echo "test:compose: FAILED: $*" >&2; exit 1; }
# The stack's fixed subnet: one such run on this machine at a time.
if [ -z "${FLOTILLA_COMPOSE_LOCKED:-}" ]; then
  exec env FLOTILLA_COMPOSE_LOCKED=1 flock /tmp/flotilla-compose.lock "$0" "$@"
fi
trap 'bash "$dev" down >/dev/null 2>&1 || true' EXIT

# The CLI inside a node container (the host holds only the first manager's socket, and that
# manager is killed below).
on() { docker exec "${project}_$1_1" flotilla -H unix:///run/flotilla/flotilla.sock "${@:2}"; }
wait_for() {  # what, deadline (s), command...
  local what="$1" seconds="$2" by=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $by ] || fail "timed out after $seconds s waiting for $what"; sleep 1; done
}
running_nodes() {  # service → the nodes its running tasks are on, one per line
  on "$1" service ps "$2" | awk '$5 == "Running" && $6 == "Running" {print $4}'
}

say "dev.sh up"
bash "$dev" up

say "a replicated service across the workers"
on mgr1 service create --detach --name web --replicas 4 --constraint node.role==worker flotilla/busybox:latest sleep 3600 >/dev/null
spread() { [ "$(running_nodes mgr1 web | wc -l)" = 4 ] && [ "$(running_nodes mgr1 web | sort -u | tr '\n' ' ')" = "wrk1 wrk2 " ]; }
wait_for "web 4/4 running on wrk1 and wrk2" 120 spread
on mgr1 service ps web >&2

# The scheduler runs in two containers of its own (sched1, sched2): kill the one holding the lease.
sched_holder() { on mgr1 info | sed -n 's/^ *scheduler: held by .* on \(sched[12]\)).*/\1/p'; }
active="$(sched_holder)"
[ -n "$active" ] || { on mgr1 info >&2; fail "no scheduler container holds the scheduler lease"; }
say "killing the active scheduler's container ($active, SIGKILL)"
docker kill -s KILL "${project}_${active}_1" >/dev/null
t0=$SECONDS
on mgr1 service create --detach --name after-sched --replicas 2 --constraint node.role==worker flotilla/busybox:latest sleep 3600 >/dev/null
placed_after_sched() { [ "$(running_nodes mgr1 after-sched | wc -l)" = 2 ]; }
wait_for "a service created after the scheduler kill placed and running" 120 placed_after_sched
other="$(sched_holder)"
[ -n "$other" ] && [ "$other" != "$active" ] || fail "the scheduler lease did not move to the other container (holder: ${other:-none})"
say "placed and running $((SECONDS - t0)) s after the scheduler kill; $other holds the lease"
on mgr1 info | grep -E '^ *(scheduler|orchestrator|allocator):' >&2 || true

leader="$(on mgr1 node ls | awk '/Leader/ {print ($2 == "*" ? $3 : $2)}')"
[ -n "$leader" ] || fail "no Leader in node ls"
others=(); for m in mgr1 mgr2 mgr3; do [ "$m" = "$leader" ] || others+=("$m"); done
say "killing the leading manager's container ($leader, SIGKILL)"
docker kill -s KILL "${project}_${leader}_1" >/dev/null
t0=$SECONDS
new_leader() { on "${others[0]}" node ls | grep -q Leader; }
wait_for "a new leader among ${others[*]}" 60 new_leader
say "new leader after $((SECONDS - t0)) s"
on "${others[0]}" service create --detach --name after --replicas 2 --constraint node.role==worker flotilla/busybox:latest sleep 3600 >/dev/null
placed() { [ "$(running_nodes "${others[0]}" after | wc -l)" = 2 ]; }
wait_for "a service created after the kill placed and running" 120 placed
say "placed and running $((SECONDS - t0)) s after the kill"
[ "$(running_nodes "${others[1]}" web | wc -l)" = 4 ] || fail "web is not 4/4 running after the leader was killed"

say "the killed manager comes back"
docker start "${project}_${leader}_1" >/dev/null
all_ready() { [ "$(on "${others[0]}" node ls | grep -c ' Ready ')" = 5 ]; }
wait_for "5 nodes Ready again" 180 all_ready
on "$leader" node ls >&2

say "dev.sh down"
trap - EXIT
bash "$dev" down
left="$(docker ps -aq --filter "label=com.docker.compose.project=$project")$(docker volume ls -q --filter "label=com.docker.compose.project=$project")$(docker network ls -q --filter "label=com.docker.compose.project=$project")"
[ -z "$left" ] || fail "left behind after down: $left"
[ ! -e "$FLOTILLA_DEV_DIR" ] || fail "$FLOTILLA_DEV_DIR left behind"
say "passed in $((SECONDS - started)) s"
echo "1 passed, 0 failed"
