#!/usr/bin/env bash
# Start or stop the local Docker engine for this project.
#
#   scripts/engine.sh ensure   make `docker info` answer; start dockerd on the default socket only when no engine
#                              answers, neither where the docker CLI looks (DOCKER_HOST, its context) nor there
#   scripts/engine.sh stop     stop the engine, but only when `ensure` started it (never someone else's engine)
#
# `ensure` is quiet when an engine already answers. When it starts dockerd it records the pid in
# /var/run/deploy-started-engine, so `stop` (and scripts/test.sh) can tell its own engine from a system one.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/process.sh"

# The paths can be moved (ENGINE_SOCKET, ENGINE_RUN_DIR, ENGINE_LOG) so that a test of this script touches
# nothing of the machine's own engine.
SOCKET=${ENGINE_SOCKET:-/var/run/docker.sock}
PIDFILE=${ENGINE_RUN_DIR:-/var/run}/docker.pid
MARKER=${ENGINE_RUN_DIR:-/var/run}/deploy-started-engine
LOGFILE=${ENGINE_LOG:-/var/log/deploy-dockerd.log}
START_TIMEOUT=60
STOP_TIMEOUT=30

say() { echo "engine: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# `docker info` on the default socket, whatever DOCKER_HOST or the docker context says.
engine_answers() { docker --host "unix://${SOCKET}" info >/dev/null 2>&1; }

# Any engine the docker CLI reaches (DOCKER_HOST, its context), or the default socket: one is enough.
any_engine_answers() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && return 0
  engine_answers
}


# True when $1 is the pid of a running dockerd.
is_dockerd() {
  local pid=$1
  alive "$pid" && [ "$(cat "/proc/${pid}/comm" 2>/dev/null)" = dockerd ]
}


# True when any dockerd runs (procps/pgrep is not on a minimal Debian, so read /proc).
any_dockerd() {
  local comm
  for comm in /proc/[0-9]*/comm; do
    if [ "$(cat "$comm" 2>/dev/null)" = dockerd ]; then
      local pid=${comm#/proc/}
      alive "${pid%/comm}" && return 0
    fi
  done
  return 1
}

# Remove what a killed dockerd leaves behind: a pid file naming a dead process, and a socket nobody listens on.
clear_stale() {
  local pid
  pid=$(read_pid "$PIDFILE")
  if [ -f "$PIDFILE" ] && ! is_dockerd "$pid"; then
    say "removing stale ${PIDFILE} (pid ${pid:-?} is not a running dockerd)"
    rm -f "$PIDFILE"
  fi
  if [ -e "$SOCKET" ] && ! any_dockerd; then
    say "removing stale ${SOCKET} (no dockerd is running)"
    rm -f "$SOCKET"
  fi
  # The containerd that dockerd starts for itself keeps its own pid file.
  local cpid
  cpid=$(read_pid /var/run/docker/containerd/containerd.pid)
  if [ -n "$cpid" ] && ! alive "$cpid"; then
    rm -f /var/run/docker/containerd/containerd.pid
  fi
}

wait_for_engine() {
  local pid=$1 waited=0
  until engine_answers; do
    if [ -n "$pid" ] && ! alive "$pid"; then
      tail -n 20 "$LOGFILE" >&2 || true
      die "dockerd (pid ${pid}) exited during start-up; see ${LOGFILE}"
    fi
    if [ "$waited" -ge "$START_TIMEOUT" ]; then
      tail -n 20 "$LOGFILE" >&2 || true
      die "the engine did not answer within ${START_TIMEOUT}s; see ${LOGFILE}"
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

ensure() {
  # A machine that already runs an engine (a system dockerd, rootless Docker, a remote DOCKER_HOST) gets no other.
  if any_engine_answers; then
    return 0
  fi
  command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed; run scripts/setup.sh as root"
  [ "$(id -u)" -eq 0 ] || die "no engine answers on ${SOCKET} and starting dockerd needs root"

  # A dockerd that is still starting (for instance one we started a moment ago): wait for it, start no second one.
  local running
  running=$(read_pid "$PIDFILE")
  if is_dockerd "$running"; then
    say "waiting for the running dockerd (pid ${running}) to answer"
    wait_for_engine "$running"
    return 0
  fi

  clear_stale
  say "starting dockerd (log: ${LOGFILE})"
  # --host only for a moved socket: a daemon.json that sets `hosts` refuses the flag as well.
  local host=()
  [ -z "${ENGINE_SOCKET:-}" ] || host=(--host "unix://${SOCKET}")
  setsid dockerd --pidfile "$PIDFILE" "${host[@]}" >"$LOGFILE" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$MARKER"
  wait_for_engine "$pid"
  say "dockerd is up (pid ${pid})"
}

stop() {
  if [ ! -f "$MARKER" ]; then
    return 0
  fi
  local pid
  pid=$(read_pid "$MARKER")
  if is_dockerd "$pid"; then
    say "stopping the dockerd this project started (pid ${pid})"
    stop_pid "$pid" "$STOP_TIMEOUT" dockerd
  fi
  rm -f "$MARKER"
  clear_stale
}

case "${1:-}" in
ensure) ensure ;;
stop) stop ;;
*)
  echo "usage: $0 ensure|stop" >&2
  exit 2
  ;;
esac
