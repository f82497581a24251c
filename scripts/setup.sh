#!/usr/bin/env bash
# Installs whatever is missing for building, testing and running Flotilla, then builds.
# Safe to run again: each step checks first.
#   --no-system   skip the apt packages (for plain rebuilds)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export TURBO_TELEMETRY_DISABLED=1
PNPM_VERSION=12.4.2

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

system=1
for a in "$@"; do [ "$a" = "--no-system" ] && system=0; done

if [ "$system" = 1 ]; then
  missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v nats-server >/dev/null || missing+=(nats-server)
  dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)  # the test image needs the static build
  command -v iptables >/dev/null || missing+=(iptables)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v protoc >/dev/null || missing+=(protobuf-compiler)
  command -v openssl >/dev/null || missing+=(openssl)       # testkit's throwaway PKI
  command -v cfssl >/dev/null || missing+=(golang-cfssl)    # the external-CA tests run a real cfssl
  dpkg -s libfaketime >/dev/null 2>&1 || missing+=(libfaketime)  # the chaos suite steps daemons' wall clocks
  command -v zsh >/dev/null || missing+=(zsh)                # the CLI's completion scripts are tested in each shell
  command -v fish >/dev/null || missing+=(fish)
  command -v docker-compose >/dev/null || missing+=(docker-compose)  # the dev stack (infra/compose) is checked by npm test
  command -v prometheus >/dev/null || missing+=(prometheus)   # flotillad metrics e2e: a real Prometheus scrapes /metrics
  command -v tmux >/dev/null || missing+=(tmux)   # flotilla top is tested on a real terminal (tmux)
  command -v ansible-playbook >/dev/null || missing+=(ansible-core)  # syntax check of infra/ansible (npm run test:ansible adds the full ansible)
  command -v gcc >/dev/null && [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing+=(gcc libc6-dev)  # builds the static example plugins (examples/plugins)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup: missing ${missing[*]}; run as root (or: apt-get install -y ${missing[*]})" >&2; exit 1
    fi
    say "installing ${missing[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION (npm)"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

# Reinstall only when the lockfile changed since the last install.
stamp="node_modules/.flotilla-lock-stamp"
lockhash="$(sha256sum pnpm-lock.yaml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lockhash" ]; then
  say "installing workspace dependencies (pnpm)"
  pnpm install --frozen-lockfile --reporter=silent
  echo "$lockhash" > "$stamp"
fi

say "building (turbo)"
pnpm exec turbo run build --output-logs=errors-only
