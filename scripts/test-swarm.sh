#!/usr/bin/env bash
# A two-node Docker Swarm and a registry on this machine, for the Swarm e2e tests (run as root).
#
#   scripts/test-swarm.sh up      create it (idempotent: quiet when it is already up)
#   scripts/test-swarm.sh down    remove every trace of it (idempotent)
#   scripts/test-swarm.sh status  exit 0 when it is up
#
# - the manager: a second dockerd in this machine's network namespace (its own socket, data root, exec root,
#   pid file and bridge; --iptables=false so the shared main engine's rules are never touched), swarm-initialised
#   on the veth address 10.231.230.1. The shared main engine is never put into swarm mode.
# - the worker: a dockerd in the network namespace `dswarmw` (entered with `nsenter --net`, not `ip netns exec`,
#   which remounts /sys), joined over the veth pair (10.231.230.2).
# - an sshd on 10.231.230.1:2230 in front of the manager (the e2e test reaches the manager over SSH too);
# - a registry (Debian's docker-registry) on 10.231.230.1:5050 (not :5000, where its packaged service may listen), allowed as an insecure registry by both engines.
# Both nodes report this machine's hostname: nodes are told apart by id, never by name. The ingress routing mesh
# needs IPVS, which these machines lack: services publish host-mode ports. Facts go to
# /tmp/deploy-test-swarm/swarm.json.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/process.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/sshd.sh"

STATE=/tmp/deploy-test-swarm
NS=dswarmw
NETNS=/var/run/netns/$NS
HOST_IF=dsw230h
NS_IF=dsw230n
MANAGER_ADDR=10.231.230.1
WORKER_ADDR=10.231.230.2
REGISTRY=$MANAGER_ADDR:5050
SSH_PORT=2230
MANAGER_BRIDGE=dsw230br
MANAGER_BRIDGE_CIDR=172.31.230.1/24
WORKER_BRIDGE_CIDR=172.31.231.1/24
MANAGER_GW_SUBNET=172.31.232.0/24
MANAGER_GW_BRIDGE=dsw230gw
M=$STATE/manager
W=$STATE/worker
START_TIMEOUT=60
STOP_TIMEOUT=30

say() { echo "test-swarm: $*" >&2; }
die() {
  say "$*"
  exit 1
}
manager() { docker --host "unix://$M/docker.sock" "$@"; }
worker() { docker --host "unix://$W/docker.sock" "$@"; }

is_up() {
  [ -f "$STATE/swarm.json" ] && alive "$(read_pid "$M/dockerd.pid")" && alive "$(read_pid "$W/dockerd.pid")" &&
    alive "$(read_pid "$STATE/registry.pid")" && alive "$(read_pid "$STATE/sshd.pid")" &&
    [ "$(manager node ls -q 2>/dev/null | wc -l)" -eq 2 ] &&
    [ "$(manager info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ]
}

# Whatever still runs from the swarm's folders (a containerd shim whose dockerd was killed, say), children first.
kill_leftovers() {
  local pid cmdline
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    cmdline=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true)
    case "$cmdline" in *"$STATE/"*) pkill -KILL -P "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true ;; esac
  done
}

down() {
  local socket
  for socket in "$M/docker.sock" "$W/docker.sock"; do
    [ -S "$socket" ] || continue
    # Services and containers first, so no shim outlives its engine.
    docker --host "unix://$socket" service rm $(docker --host "unix://$socket" service ls -q 2>/dev/null) >/dev/null 2>&1 || true
    local ids
    ids=$(docker --host "unix://$socket" ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086 # one id per word
    [ -z "$ids" ] || docker --host "unix://$socket" rm -f $ids >/dev/null 2>&1 || true
    docker --host "unix://$socket" swarm leave --force >/dev/null 2>&1 || true
  done
  stop_pid "$(read_pid "$STATE/registry.pid")" "$STOP_TIMEOUT" registry
  stop_pid "$(read_pid "$STATE/sshd.pid")" "$STOP_TIMEOUT" sshd
  stop_pid "$(read_pid "$W/dockerd.pid")" "$STOP_TIMEOUT" "worker dockerd"
  stop_pid "$(read_pid "$M/dockerd.pid")" "$STOP_TIMEOUT" "manager dockerd"
  [ -d "$STATE" ] && kill_leftovers
  if [ -d "$STATE" ]; then
    local mounts mount
    mounts=$(awk -v prefix="$STATE/" 'index($2, prefix) == 1 { print $2 }' /proc/self/mounts | sort -r)
    for mount in $mounts; do umount -l "$mount" 2>/dev/null || true; done
  fi
  # The manager's engine ran in this namespace: its bridges (and swarm's vxlan links) stay behind it.
  local link
  for link in "$HOST_IF" "$MANAGER_BRIDGE" "$MANAGER_GW_BRIDGE"; do
    if ip link show "$link" >/dev/null 2>&1; then ip link delete "$link" || true; fi
  done
  if [ -e "$NETNS" ]; then ip netns delete "$NS" || true; fi
  rm -rf "$STATE"
}

start_dockerd() {
  local dir=$1 bridge_flags=$2
  shift 2
  mkdir -p "$dir"
  printf '{ "insecure-registries": ["%s"] }\n' "$REGISTRY" >"$dir/daemon.json"
  # shellcheck disable=SC2086 # the bridge flags are two words
  setsid "$@" dockerd \
    --config-file "$dir/daemon.json" \
    --host "unix://$dir/docker.sock" \
    --data-root "$dir/data" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" \
    $bridge_flags \
    --iptables=false \
    --ip-masq=false \
    </dev/null >"$dir/dockerd.log" 2>&1 &
  wait_until "dockerd in $dir" "$dir/dockerd.log" docker --host "unix://$dir/docker.sock" info
}

up() {
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, dockerd)"
  local tool
  for tool in ip nsenter setsid dockerd docker docker-registry; do
    command -v "$tool" >/dev/null 2>&1 || die "missing $tool (apt-get install iproute2 util-linux docker.io docker-registry)"
  done
  if is_up; then
    cat "$STATE/swarm.json"
    return 0
  fi
  down
  docker image inspect busybox:latest >/dev/null 2>&1 || die "the main engine has no busybox:latest to copy"
  mkdir -p "$STATE"
  chmod 700 "$STATE"

  say "network namespace $NS, $HOST_IF $MANAGER_ADDR <-> $NS_IF $WORKER_ADDR"
  ip netns add "$NS"
  ip link add "$HOST_IF" type veth peer name "$NS_IF"
  ip link set "$NS_IF" netns "$NS"
  ip addr add "$MANAGER_ADDR/24" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  nsenter --net="$NETNS" ip addr add "$WORKER_ADDR/24" dev "$NS_IF"
  nsenter --net="$NETNS" ip link set "$NS_IF" up
  nsenter --net="$NETNS" ip link set lo up

  say "registry on $REGISTRY"
  mkdir -p "$STATE/registry"
  cat >"$STATE/registry.yml" <<EOF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $STATE/registry }
  delete: { enabled: true }
http: { addr: "$REGISTRY" }
EOF
  setsid docker-registry serve "$STATE/registry.yml" </dev/null >"$STATE/registry.log" 2>&1 &
  echo "$!" >"$STATE/registry.pid"
  wait_until "registry" "$STATE/registry.log" bash -c "exec 3<>/dev/tcp/${MANAGER_ADDR}/5050"

  # The manager's own bridge: the main engine's docker0 is not its to use.
  ip link add "$MANAGER_BRIDGE" type bridge
  ip addr add "$MANAGER_BRIDGE_CIDR" dev "$MANAGER_BRIDGE"
  ip link set "$MANAGER_BRIDGE" up
  say "manager dockerd ($M/docker.sock)"
  start_dockerd "$M" "--bridge $MANAGER_BRIDGE" env
  say "worker dockerd in $NS ($W/docker.sock)"
  start_dockerd "$W" "--bip $WORKER_BRIDGE_CIDR" nsenter --net="$NETNS"

  say "copying busybox:latest into the manager"
  docker save busybox:latest | manager load >/dev/null
  # Swarm's gateway bridge, made before `swarm init` so that it gets its own name and subnet here.
  manager network create --driver bridge --subnet "$MANAGER_GW_SUBNET" \
    --opt com.docker.network.bridge.name="$MANAGER_GW_BRIDGE" \
    --opt com.docker.network.bridge.enable_icc=false \
    --opt com.docker.network.bridge.enable_ip_masquerade=false docker_gwbridge >/dev/null
  say "swarm init on $MANAGER_ADDR, worker joins"
  manager swarm init --advertise-addr "$MANAGER_ADDR" --listen-addr "$MANAGER_ADDR:2377" >/dev/null
  local token
  token=$(manager swarm join-token -q worker)
  worker swarm join --token "$token" --advertise-addr "$WORKER_ADDR" --listen-addr "$WORKER_ADDR:2377" \
    "$MANAGER_ADDR:2377" >/dev/null
  wait_until "the worker node" "$W/dockerd.log" bash -c \
    "[ \"\$(docker --host unix://$M/docker.sock node ls --filter role=worker --format '{{.Status}}')\" = Ready ]"
  say "sshd on $MANAGER_ADDR:$SSH_PORT (the manager reached over SSH)"
  mkdir -p "$STATE/ssh" /run/sshd
  make_ssh_keys "$STATE/ssh" "test-swarm-manager"
  echo "[$MANAGER_ADDR]:$SSH_PORT $(cut -d' ' -f1,2 "$STATE/ssh/ssh_host_ed25519_key.pub")" >"$STATE/ssh/known_hosts"
  write_sshd_config "$STATE/ssh/sshd_config" "$MANAGER_ADDR:$SSH_PORT" "$STATE/ssh" yes "$STATE/ssh/sshd.pid.own"
  setsid /usr/sbin/sshd -D -f "$STATE/ssh/sshd_config" -E "$STATE/ssh/sshd.log" </dev/null >>"$STATE/ssh/sshd.log" 2>&1 &
  echo "$!" >"$STATE/sshd.pid"
  wait_until "sshd" "$STATE/ssh/sshd.log" grep -q "Server listening on $MANAGER_ADDR port $SSH_PORT" "$STATE/ssh/sshd.log"
  local manager_id worker_id
  manager_id=$(manager info --format '{{.Swarm.NodeID}}')
  worker_id=$(worker info --format '{{.Swarm.NodeID}}')
  cat >"$STATE/swarm.json" <<EOF
{
  "managerSocket": "$M/docker.sock",
  "workerSocket": "$W/docker.sock",
  "managerAddress": "$MANAGER_ADDR",
  "workerAddress": "$WORKER_ADDR",
  "workerNetns": "$NETNS",
  "registry": "$REGISTRY",
  "managerNodeId": "$manager_id",
  "workerNodeId": "$worker_id",
  "ssh": {
    "target": "root@$MANAGER_ADDR:$SSH_PORT",
    "identityFile": "$STATE/ssh/id_ed25519",
    "knownHostsFile": "$STATE/ssh/known_hosts"
  },
  "stateDir": "$STATE"
}
EOF
  say "up"
  cat "$STATE/swarm.json"
}

case "${1:-}" in
up) up ;;
down)
  [ "$(id -u)" -eq 0 ] || die "needs root"
  down
  ;;
status) is_up ;;
*)
  echo "usage: $0 up|down|status" >&2
  exit 2
  ;;
esac
