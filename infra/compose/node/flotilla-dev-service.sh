#!/bin/sh
# Entry point of a dev-stack service container (infra/compose): one `flotillad service NAME`
# process, with the service join token the first manager left in /shared. Several containers
# of the same service may run: one holds the service's lease and acts, the others wait.
set -eu
name="${1:?usage: flotilla-dev-service NAME}"
first="${FLOTILLA_DEV_FIRST_MANAGER:?FLOTILLA_DEV_FIRST_MANAGER must be the first manager address}"
say() { echo "flotilla-dev-service[$(hostname) $name]: $*" >&2; }
until_by=$(( $(date +%s) + 180 ))
until [ -s /shared/service.token ]; do
  [ "$(date +%s)" -lt "$until_by" ] || { say "no service join token in /shared after 180 s"; exit 1; }
  sleep 0.5
done
FLOTILLA_SERVICE_TOKEN="$(cat /shared/service.token)"
export FLOTILLA_SERVICE_TOKEN
exec flotillad service "$name" --join "$first:2377" ${FLOTILLA_DEV_SERVICE_ARGS:-}
