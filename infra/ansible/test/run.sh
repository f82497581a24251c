#!/usr/bin/env bash
# npm run test:ansible — the Ansible install, for real, against test hosts made here:
#   Debian 12 containers (root filesystem from debootstrap, rootfs.sh, imported with docker import:
#   no registry) running systemd as PID 1, each with its own Docker Engine inside, on a private
#   Docker network 198.18.200.0/24, reached by Ansible's community.docker.docker connection.
# Then: release tarballs → playbook → playbook again (must report changed=0) → every node Ready
# in `node ls` → a replicated service running on several hosts → flotilla_state=absent (nothing
# of Flotilla left) → hosts, network and image removed, also when a step fails.
#   FLOTILLA_ANSIBLE_KEEP=1   keep the hosts after the run (for poking around; remove them with
#                             `run.sh clean`)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
playbook_dir="$(cd "$here/.." && pwd)"
prefix=flt-ansible
net="$prefix-net"
subnet=198.18.200
image="flotilla-ansible-test/debian12:run"
managers=(mgr1 mgr2 mgr3)
workers=(wrk1)
hosts=("${managers[@]}" "${workers[@]}")
work=""
started=$SECONDS

say() { printf '\033[1m==> [%4ds] %s\033[0m\n' "$((SECONDS - started))" "$*" >&2; }
fail() { echo "test:ansible: FAILED: $*" >&2; exit 1; }

clean() {
  for h in "${hosts[@]}"; do docker rm -f -v "$prefix-$h" >/dev/null 2>&1 || true; done
  docker network rm "$net" >/dev/null 2>&1 || true
  docker rmi "$image" >/dev/null 2>&1 || true
  [ -n "$work" ] && rm -rf "$work"
  return 0
}

if [ "${1:-}" = clean ]; then clean; exit 0; fi
[ "$(id -u)" = 0 ] || fail "needs root (containers with systemd, their own Docker Engines)"
# Its containers, Docker network and subnet (198.18.200.0/24, used by nothing else) are fixed:
# one such run on this machine at a time. The hosts' firewall chains live in the containers'
# own network namespaces, so it needs no other test to wait.
if [ -z "${FLOTILLA_ANSIBLE_LOCKED:-}" ]; then
  exec env FLOTILLA_ANSIBLE_LOCKED=1 flock /tmp/flotilla-ansible.lock "$0" "$@"
fi

missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
ansible-doc -t connection community.docker.docker >/dev/null 2>&1 || missing+=(ansible)  # the full ansible brings community.docker
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

trap '[ -n "${FLOTILLA_ANSIBLE_KEEP:-}" ] || clean' EXIT
clean   # what an interrupted run left
work="$(mktemp -d /tmp/flt-ansible.XXXXXX)"

say "release tarballs (npm run release)"
node "$root/packages/release/dist/main.js" --out "$root/release" >&2

say "root filesystem (cached under /var/cache/flotilla/ansible-test)"
rootfs="$(bash "$here/rootfs.sh")"
docker import -c 'CMD ["/sbin/init"]' -c 'ENV container=docker' "$rootfs" "$image" >/dev/null

# Node.js for the hosts, as an official tarball would give it (bin/node, bin/npm, lib/node_modules/npm),
# made from this machine's own: Debian 12's nodejs (18.19) is too old, and nothing else is reachable.
say "Node.js tarball from this machine's node $(node --version)"
bash "$root/infra/lib/node-dist.sh" "$work/node"
tar -C "$work" -czf "$work/node-linux-x64.tar.gz" --transform 's,^node,node-linux-x64,' node

say "hosts: ${hosts[*]} (systemd containers on $net ${subnet}.0/24)"
docker network create --subnet "${subnet}.0/24" "$net" >/dev/null
i=10
declare -A addr
for h in "${hosts[@]}"; do
  i=$((i + 1)); addr[$h]="${subnet}.$i"
  # Not --privileged: this machine's own bounding set lacks CAP_SYS_RESOURCE, which
  # --privileged asks for. Everything else a host with systemd and dockerd needs is given.
  docker run -d --name "$prefix-$h" --hostname "$h" --network "$net" --ip "${addr[$h]}" \
    --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm' \
    --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    -v /var/lib/docker -v /lib/modules:/lib/modules:ro \
    --stop-signal SIGRTMIN+3 "$image" >/dev/null
done
for h in "${hosts[@]}"; do
  for _ in $(seq 1 60); do
    state="$(docker exec "$prefix-$h" systemctl is-system-running 2>/dev/null || true)"
    case "$state" in running|degraded) break ;; esac
    sleep 1
  done
  case "$state" in running|degraded) ;; *) fail "$h: systemd did not come up ($state)" ;; esac
done

inventory="$work/inventory.ini"
{
  echo "[managers]"
  for h in "${managers[@]}"; do echo "$h ansible_host=$prefix-$h flotilla_advertise_addr=${addr[$h]}"; done
  echo "[workers]"
  for h in "${workers[@]}"; do echo "$h ansible_host=$prefix-$h flotilla_advertise_addr=${addr[$h]} flotilla_node_labels='{\"role\": \"edge\"}'"; done
  echo "[flotilla:children]"; echo managers; echo workers
  echo "[flotilla:vars]"
  echo "ansible_connection=community.docker.docker"
  echo "flotilla_node_archive=$work/node-linux-x64.tar.gz"
} >"$inventory"

playbook() {
  ANSIBLE_CONFIG="$playbook_dir/ansible.cfg" ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1 \
    ansible-playbook -i "$inventory" "$playbook_dir/site.yml" "$@"
}
# "host : ok=N changed=N unreachable=N failed=N ..." lines of the play recap.
recap() { sed -n '/^PLAY RECAP/,$p' "$1" | grep -E 'ok=[0-9]+'; }

say "playbook, first run"
t0=$SECONDS
playbook >"$work/run1.log" 2>&1 || { tail -40 "$work/run1.log" >&2; fail "first run failed (log above)"; }
recap "$work/run1.log" >&2
say "first run took $((SECONDS - t0)) s"

say "playbook, second run (must change nothing)"
t0=$SECONDS
playbook >"$work/run2.log" 2>&1 || { tail -40 "$work/run2.log" >&2; fail "second run failed (log above)"; }
recap "$work/run2.log" >&2
say "second run took $((SECONDS - t0)) s"
if recap "$work/run2.log" | grep -vq 'changed=0 '; then
  grep -E '^(changed|TASK)' "$work/run2.log" | grep -B1 '^changed' >&2 || true
  fail "the second run changed something"
fi

on() { docker exec "$prefix-$1" "${@:2}"; }
flotilla() { on mgr1 flotilla -H unix:///run/flotilla.sock "$@"; }
wait_for() {  # what, deadline (s), command...
  local what="$1" deadline=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"; sleep 1; done
}

say "node ls: every host Ready"
all_ready() { [ "$(flotilla node ls | grep -c ' Ready ')" = "${#hosts[@]}" ]; }
wait_for "${#hosts[@]} nodes Ready" 120 all_ready
flotilla node ls >&2
for h in "${managers[@]}"; do flotilla node ls | grep -E " $h .*(Leader|Reachable)" >/dev/null || fail "$h is not a reachable manager"; done

say "a service across the hosts"
# -i: docker exec passes no standard input without it, and the load would read nothing.
for h in "${hosts[@]}"; do
  docker save flotilla/busybox | docker exec -i "$prefix-$h" docker load -q >/dev/null || fail "$h: loading the test image failed"
done
flotilla service create --name web --replicas 4 flotilla/busybox:latest sleep 3600 >/dev/null
running_on_hosts() {
  # ID NAME IMAGE NODE DESIRED-STATE CURRENT-STATE ...
  local ps; ps="$(flotilla service ps web --filter desired-state=running | awk '$5 == "Running" && $6 == "Running"')"
  [ "$(echo "$ps" | grep -c .)" = 4 ] && [ "$(echo "$ps" | awk '{print $4}' | sort -u | wc -l)" -ge 2 ]
}
wait_for "web 4/4 running on 2 or more hosts" 180 running_on_hosts
flotilla service ps web >&2
flotilla service rm web >/dev/null

say "firewall chain on every host"
for h in "${hosts[@]}"; do
  on "$h" iptables -S FLOTILLA-INPUT | grep -q -- "--dport 4789 -j DROP" || fail "$h: FLOTILLA-INPUT lacks the VXLAN drop"
  on "$h" iptables -C INPUT -j FLOTILLA-INPUT || fail "$h: INPUT does not jump to FLOTILLA-INPUT"
done

say "flotilla_state=absent"
t0=$SECONDS
playbook -e flotilla_state=absent >"$work/absent.log" 2>&1 || { tail -40 "$work/absent.log" >&2; fail "absent run failed (log above)"; }
recap "$work/absent.log" >&2
say "absent run took $((SECONDS - t0)) s"
for h in "${hosts[@]}"; do
  # The check is read from standard input, so no command line names what it looks for (pgrep -f
  # would find the checking shell itself). nats-server: none at all, the OS package's own
  # service included (the playbook disables it).
  left="$(docker exec -i "$prefix-$h" sh -s <<'CHECK'
pgrep -x nats-server >/dev/null && echo nats-server
pgrep -f flotillad >/dev/null && echo "a flotillad process"
for f in /usr/local/bin/flotilla /usr/local/bin/flotillad /etc/systemd/system/flotillad.service /var/lib/flotilla; do test -e "$f" && echo "$f"; done
iptables -n -L FLOTILLA-INPUT >/dev/null 2>&1 && echo "the FLOTILLA-INPUT chain"
true
CHECK
)"
  [ -z "$left" ] || fail "$h: left after flotilla_state=absent: $(echo $left)"
done

say "passed in $((SECONDS - started)) s (first run, second run changed=0, ${#hosts[@]} nodes Ready, service across hosts, absent clean)"
echo "1 passed, 0 failed"
