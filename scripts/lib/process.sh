# Process helpers shared by scripts/engine.sh and scripts/test-host.sh (sourced; each defines its own `say`).

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
