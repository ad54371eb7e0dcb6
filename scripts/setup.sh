#!/usr/bin/env bash
# Bring a machine (Debian 12, run as root when something must be installed) to the point where `npm run deploy`
# works, doing only what it lacks:
#   1. apt packages: git; docker.io (engine + CLI) only when no engine answers `docker info` (DOCKER_HOST, the
#      docker context or /var/run/docker.sock) and none is installed; busybox-static (the base image's only
#      binary) only when the engine lacks busybox:latest
#   2. node_modules from package-lock.json (npm ci), when missing or older than the lock file
#   3. dist/ (npm run build), when missing or older than src/, the build script or the lock file
#   4. a running Docker engine (scripts/engine.sh ensure): an engine that already answers is used, never a second
#   5. the busybox:latest base image (scripts/base-image.sh), built locally: no registry is needed
# What only the tests need (sshd, iproute2, nsenter) is scripts/setup-test.sh's, which scripts/test.sh runs.
# Idempotent, and quiet when there is nothing to do. Progress goes to stderr, so stdout stays the product's.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# Any engine answering, where the docker CLI looks (DOCKER_HOST, its context) or on the default socket.
engine_answers() {
  command -v docker >/dev/null 2>&1 || return 1
  docker info >/dev/null 2>&1 || docker --host unix:///var/run/docker.sock info >/dev/null 2>&1
}

# 1. System packages.
missing=()
engine=0
engine_answers && engine=1
[ "$engine" -eq 1 ] || command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
# A dynamically linked busybox (package busybox) cannot run inside an image that holds nothing else.
if [ "$engine" -eq 1 ] && docker image inspect busybox:latest >/dev/null 2>&1; then
  : # the base image is there: no busybox needed
elif [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
  missing+=(busybox-static)
fi
command -v git >/dev/null 2>&1 || missing+=(git)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; run this script as root to install them"
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Node dependencies, exactly as locked.
command -v node >/dev/null 2>&1 || die "node is not installed (Node >= 20.19 is needed)"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node modules (npm ci)"
  if ! ci_output=$(npm ci --no-audit --no-fund --loglevel=error 2>&1); then
    # npm ci refuses a lock file that lacks entries for optional packages of other platforms (biome's
    # @biomejs/cli-darwin-*, …), and npm cannot write them when the registry it reaches does not serve them.
    # `npm install --no-save` installs the same locked versions without rewriting package-lock.json.
    say "npm ci refused the lock file; installing the locked versions with npm install --no-save"
    if ! npm install --no-save --no-audit --no-fund --loglevel=error >/dev/null; then
      echo "$ci_output" >&2
      die "could not install the node modules (the output of npm ci is above, npm install's before it)"
    fi
  fi
fi

# 3. Build dist/ when any input is newer than the last successful build.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ ! -f dist/cli.js ] ||
  [ -n "$(find src scripts/build.mjs package-lock.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  say "building dist/ (npm run build)"
  npm run --silent build
  touch "$stamp"
fi

# 4. The engine, 5. the base image.
bash scripts/engine.sh ensure
bash scripts/base-image.sh
