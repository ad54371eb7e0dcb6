#!/usr/bin/env bash
# A stand-in remote Docker host on this machine, for the SSH e2e tests and bench (run as root).
#
#   scripts/test-host.sh up [NAME]      create it (idempotent: quiet when it is already up)
#   scripts/test-host.sh down [NAME]    remove every trace of it (idempotent)
#   scripts/test-host.sh status [NAME]  exit 0 when it is up
#   scripts/test-host.sh restart-engine [NAME]   stop its dockerd and start it again
#
# NAME defaults to `deploytest`. The host is a network namespace NAME joined to this machine by a veth pair in a
# /24 that nothing else uses (10.231.N.0/24, N derived from NAME; override with TEST_HOST_OCTET), and inside it:
#   - a second Docker engine (its own socket, data root, exec root and bridge), with busybox:latest loaded into
#     it from the main engine (it has no network): its published ports exist only inside the namespace;
#   - a real sshd on <address>:22 (its own config, host keys and log, LogLevel VERBOSE), root login by key only;
#   - a second sshd on <address>:2222 that refuses stream-local forwarding (for the dial-stdio fallback).
# Connection facts go to /tmp/deploy-test-host/NAME/: host.env and host.json (address, ports, user, key paths,
# known_hosts file and line, the engine's socket, the sshd logs). Everything else it makes lives there too.
#
# dockerd and sshd are started with `nsenter --net=...` (not `ip netns exec`, which remounts /sys, after which
# dockerd fails with "Devices cgroup isn't mounted"), detached with setsid, output to log files, stdin /dev/null.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/process.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/sshd.sh"

NAME=${2:-deploytest}
[[ "$NAME" =~ ^[a-z][a-z0-9]{0,11}$ ]] || {
  echo "test-host: NAME must be 1-12 lowercase letters/digits, starting with a letter (got '$NAME')" >&2
  exit 2
}
# The third octet of the namespace's /24 (and of its engine's bridge), from the name unless given.
OCTET=${TEST_HOST_OCTET:-$((($(printf '%s' "$NAME" | cksum | cut -d' ' -f1) % 200) + 20))}
STATE=/tmp/deploy-test-host/$NAME
NETNS=/var/run/netns/$NAME
HOST_IF=dth${OCTET}h
NS_IF=dth${OCTET}n
HOST_ADDR=10.231.${OCTET}.1
NS_ADDR=10.231.${OCTET}.2
BRIDGE_CIDR=172.31.${OCTET}.1/24
SOCKET=$STATE/docker.sock
SSH_PORT=22
NOFWD_PORT=2222
START_TIMEOUT=60
STOP_TIMEOUT=30

say() { echo "test-host[$NAME]: $*" >&2; }
die() {
  say "$*"
  exit 1
}

in_ns() { nsenter --net="$NETNS" "$@"; }
remote_docker() { docker --host "unix://$SOCKET" "$@"; }

is_up() {
  [ -e "$NETNS" ] && [ -f "$STATE/host.env" ] &&
    alive "$(read_pid "$STATE/dockerd.pid")" && alive "$(read_pid "$STATE/sshd.pid")" &&
    alive "$(read_pid "$STATE/sshd-nofwd.pid")" && remote_docker info >/dev/null 2>&1
}

# Stops the process in pid file $1 (TERM, then KILL after STOP_TIMEOUT seconds).
stop_pidfile() {
  stop_pid "$(read_pid "$1")" "$STOP_TIMEOUT"
  rm -f "$1"
}

# Whatever still runs from the host's folders (a containerd shim whose dockerd was killed, say), with its
# children (the container's processes) first.
kill_leftovers() {
  local pids=() pid cmdline
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    cmdline=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true)
    case "$cmdline" in *"$STATE/"*) pids+=("$pid") ;; esac
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  local parent stat ppid
  for parent in "${pids[@]}"; do
    for stat in /proc/[0-9]*/stat; do
      ppid=$(sed 's/^.*) [^ ]* \([0-9]*\).*$/\1/' "$stat" 2>/dev/null || true)
      [ "$ppid" = "$parent" ] || continue
      pid=${stat#/proc/}
      kill -KILL "${pid%/stat}" 2>/dev/null || true
    done
    kill -KILL "$parent" 2>/dev/null || true
  done
  sleep 0.5
}

down() {
  if [ -S "$SOCKET" ] && alive "$(read_pid "$STATE/dockerd.pid")"; then
    # Containers first, so no shim outlives its engine.
    local ids
    ids=$(remote_docker ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086 # one id per word
    [ -z "$ids" ] || remote_docker rm -f $ids >/dev/null 2>&1 || true
  fi
  stop_pidfile "$STATE/sshd.pid"
  stop_pidfile "$STATE/sshd-nofwd.pid"
  stop_pidfile "$STATE/dockerd.pid"
  kill_leftovers
  # The engine shares this machine's mount namespace: unmount whatever it left under its folders.
  if [ -d "$STATE" ]; then
    local mounts
    mounts=$(awk -v prefix="$STATE/" 'index($2, prefix) == 1 { print $2 }' /proc/self/mounts | sort -r)
    local mount
    for mount in $mounts; do umount -l "$mount" 2>/dev/null || true; done
  fi
  if ip link show "$HOST_IF" >/dev/null 2>&1; then ip link delete "$HOST_IF" || true; fi
  if [ -e "$NETNS" ]; then ip netns delete "$NAME" || true; fi
  rm -rf "$STATE"
}

need() {
  local missing=()
  local tool
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  [ "${#missing[@]}" -eq 0 ] || die "missing ${missing[*]} (apt-get install openssh-server iproute2 docker.io util-linux)"
}

start_sshd() {
  local config=$1 log=$2 pidfile=$3
  # -D keeps it in the foreground of its setsid session, so its pid is the one recorded.
  setsid nsenter --net="$NETNS" /usr/sbin/sshd -D -f "$config" -E "$log" </dev/null >>"$log" 2>&1 &
  echo "$!" >"$pidfile"
}

start_dockerd() {
  say "dockerd in the namespace (socket $SOCKET, log $STATE/dockerd.log)"
  setsid nsenter --net="$NETNS" dockerd \
    --config-file "$STATE/daemon.json" \
    --host "unix://$SOCKET" \
    --data-root "$STATE/data" \
    --exec-root "$STATE/exec" \
    --pidfile "$STATE/dockerd.pid" \
    --bip "$BRIDGE_CIDR" \
    --iptables=false \
    --ip-masq=false \
    </dev/null >>"$STATE/dockerd.log" 2>&1 &
  local dockerd_pid=$!
  wait_until "dockerd (pid $dockerd_pid)" "$STATE/dockerd.log" remote_docker info
}

# Stops the host's engine and starts it again, as a reboot or an upgrade of the engine would: containers come
# back by their restart policies only.
restart_engine() {
  is_up || die "not up"
  say "restarting dockerd"
  stop_pidfile "$STATE/dockerd.pid"
  start_dockerd
}

up() {
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, dockerd, sshd)"
  need ip nsenter setsid dockerd docker /usr/sbin/sshd ssh-keygen
  if is_up; then
    cat "$STATE/host.env"
    return 0
  fi
  # A half-made host (an interrupted `up`, a killed engine): start from nothing.
  down
  docker image inspect busybox:latest >/dev/null 2>&1 ||
    die "the main engine has no busybox:latest to copy (run scripts/setup.sh first)"
  mkdir -p "$STATE" /run/sshd
  chmod 700 "$STATE"

  say "network namespace $NAME, $HOST_IF $HOST_ADDR <-> $NS_IF $NS_ADDR"
  ip netns add "$NAME"
  ip link add "$HOST_IF" type veth peer name "$NS_IF"
  ip link set "$NS_IF" netns "$NAME"
  ip addr add "$HOST_ADDR/24" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  in_ns ip addr add "$NS_ADDR/24" dev "$NS_IF"
  in_ns ip link set "$NS_IF" up
  in_ns ip link set lo up

  echo '{}' >"$STATE/daemon.json"
  start_dockerd
  say "copying busybox:latest into it"
  docker save busybox:latest | remote_docker load >/dev/null

  say "sshd on $NS_ADDR:$SSH_PORT and (no stream-local forwarding) :$NOFWD_PORT"
  make_ssh_keys "$STATE" "test-host-$NAME"
  local host_key
  host_key=$(cut -d' ' -f1,2 "$STATE/ssh_host_ed25519_key.pub")
  echo "$NS_ADDR $host_key" >"$STATE/known_hosts"
  echo "[$NS_ADDR]:$NOFWD_PORT $host_key" >>"$STATE/known_hosts"
  write_sshd_config "$STATE/sshd_config" "$NS_ADDR:$SSH_PORT" "$STATE" yes "$STATE/sshd.pid.own"
  write_sshd_config "$STATE/sshd-nofwd_config" "$NS_ADDR:$NOFWD_PORT" "$STATE" no "$STATE/sshd-nofwd.pid.own"
  start_sshd "$STATE/sshd_config" "$STATE/sshd.log" "$STATE/sshd.pid"
  start_sshd "$STATE/sshd-nofwd_config" "$STATE/sshd-nofwd.log" "$STATE/sshd-nofwd.pid"
  wait_until "sshd" "$STATE/sshd.log" grep -q "Server listening on $NS_ADDR port $SSH_PORT" "$STATE/sshd.log"
  wait_until "sshd (no forwarding)" "$STATE/sshd-nofwd.log" \
    grep -q "Server listening on $NS_ADDR port $NOFWD_PORT" "$STATE/sshd-nofwd.log"

  cat >"$STATE/host.env" <<EOF
TEST_HOST_NAME=$NAME
TEST_HOST_NETNS=$NETNS
TEST_HOST_ADDRESS=$NS_ADDR
TEST_HOST_LOCAL_ADDRESS=$HOST_ADDR
TEST_HOST_LOCAL_INTERFACE=$HOST_IF
TEST_HOST_SSH_PORT=$SSH_PORT
TEST_HOST_NOFWD_PORT=$NOFWD_PORT
TEST_HOST_USER=root
TEST_HOST_IDENTITY=$STATE/id_ed25519
TEST_HOST_STRANGER_IDENTITY=$STATE/id_stranger
TEST_HOST_KNOWN_HOSTS=$STATE/known_hosts
TEST_HOST_HOST_KEY="$host_key"
TEST_HOST_DOCKER_SOCKET=$SOCKET
TEST_HOST_SSHD_LOG=$STATE/sshd.log
TEST_HOST_NOFWD_SSHD_LOG=$STATE/sshd-nofwd.log
EOF
  cat >"$STATE/host.json" <<EOF
{
  "name": "$NAME",
  "netns": "$NETNS",
  "address": "$NS_ADDR",
  "localAddress": "$HOST_ADDR",
  "localInterface": "$HOST_IF",
  "sshPort": $SSH_PORT,
  "noForwardingPort": $NOFWD_PORT,
  "user": "root",
  "identityFile": "$STATE/id_ed25519",
  "strangerIdentityFile": "$STATE/id_stranger",
  "knownHostsFile": "$STATE/known_hosts",
  "hostKey": "$host_key",
  "dockerSocket": "$SOCKET",
  "sshdLog": "$STATE/sshd.log",
  "noForwardingSshdLog": "$STATE/sshd-nofwd.log",
  "stateDir": "$STATE"
}
EOF
  say "up: ssh root@$NS_ADDR -i $STATE/id_ed25519 -o UserKnownHostsFile=$STATE/known_hosts"
  cat "$STATE/host.env"
}

case "${1:-}" in
up) up ;;
down)
  [ "$(id -u)" -eq 0 ] || die "needs root"
  down
  ;;
status) is_up ;;
restart-engine) restart_engine ;;
*)
  echo "usage: $0 up|down|status|restart-engine [NAME]" >&2
  exit 2
  ;;
esac
