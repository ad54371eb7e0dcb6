#!/usr/bin/env bash
# What only the tests (and bench:ssh) need beyond scripts/setup.sh: the SSH e2e tests' stand-in remote host
# (scripts/test-host.sh) runs sshd (openssh-server) in a network namespace (iproute2's ip) entered with nsenter
# (util-linux); the Swarm e2e tests (scripts/test-swarm.sh) push to Debian's docker-registry. `npm run deploy` never installs these; scripts/test.sh runs this after scripts/setup.sh.
# Idempotent, and quiet when there is nothing to do.
set -euo pipefail

say() { echo "setup-test: $*" >&2; }

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
# The Swarm e2e tests' registry (scripts/test-swarm.sh).
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  say "missing ${missing[*]}; run this script as root to install them"
  exit 1
fi
say "installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
