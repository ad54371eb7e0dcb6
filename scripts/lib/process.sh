# Process helpers shared by scripts/engine.sh, test-host.sh and test-swarm.sh (sourced; each defines its own `say`
# and `die`, and START_TIMEOUT for wait_until).

# The pid in pid file $1 (digits only), or nothing.
read_pid() { [ -f "$1" ] && tr -dc '0-9' <"$1" || true; }

# True while pid $1 runs. A zombie counts as gone: a killed daemon whose parent never reaps it stays one here,
# and `kill -0` would wait for it forever.
alive() {
  local pid=$1 stat
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/${pid}/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ] && [ "${stat:0:1}" != X ]
}

# Stops pid $1: TERM, then KILL once $2 seconds have passed. $3 names it in the message.
stop_pid() {
  local pid=$1 timeout=$2 what=${3:-pid $1} waited=0
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid"; do
    if [ "$waited" -ge "$((timeout * 10))" ]; then
      say "$what did not exit within ${timeout}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Runs "$@" until it succeeds; after START_TIMEOUT seconds, shows the end of log $2 and dies naming $1.
wait_until() {
  local what=$1 log=$2 waited=0
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$waited" -ge "$((START_TIMEOUT * 5))" ]; then
      tail -n 30 "$log" >&2 || true
      die "$what did not come up within ${START_TIMEOUT}s; see $log"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
}
