#!/usr/bin/env bash
# The bash baseline of the bench: the seed project's approach. For each service, in a background job:
# git clone (or git pull, when <workdir> holds its clone from an earlier run), docker build, replace the
# container (docker rm -f, docker run), then poll /health until it answers; then wait for every job.
#
#   bench/baseline.sh <project> <workdir> <name>=<repo dir>=<host port> ...
#
# Images are tagged <project>/<name>:latest, containers named <project>-<name> and labelled
# bench.project=<project> (a container label costs nothing; an image label would add a build step).
# Each job appends "<epoch seconds> <phase>" lines to <workdir>/<name>.times for the bench's phase breakdown.
# With BENCH_PULLED set, no job runs git: the clones were brought up to date before (the engine floor).
set -uo pipefail

project=$1 work=$2
shift 2
interval=${BENCH_HEALTH_INTERVAL:-0.25}
if command -v curl >/dev/null; then
  probe() { curl -fs -o /dev/null --max-time 2 "$1"; }
else
  probe() { wget -q -O /dev/null -T 2 "$1"; }
fi

deploy_one() {
  local name=$1 repo=$2 port=$3
  local times="$work/$name.times"
  mark() { printf '%s %s\n' "$(date +%s.%N)" "$1" >>"$times"; }
  mark start
  if [[ -n ${BENCH_PULLED:-} ]]; then
    : # the engine floor: the bench pulled this clone before it started the timer
  elif [[ -d $work/$name/.git ]]; then
    git -C "$work/$name" pull -q --ff-only || return 1
  else
    git clone -q --depth 1 --branch main "file://$repo" "$work/$name" || return 1
  fi
  mark fetched
  docker build -q -t "$project/$name:latest" "$work/$name" >"$work/$name.build.log" 2>&1 || {
    cat "$work/$name.build.log" >&2
    return 1
  }
  mark built
  docker rm -f "$project-$name" >/dev/null 2>&1
  docker run -d --name "$project-$name" --label "bench.project=$project" --restart unless-stopped \
    -p "127.0.0.1:$port:8080" "$project/$name:latest" >/dev/null || return 1
  mark started
  local deadline=$((SECONDS + 60))
  until probe "http://127.0.0.1:$port/health"; do
    if ((SECONDS >= deadline)); then
      echo "$name: not healthy within 60 s" >&2
      return 1
    fi
    sleep "$interval"
  done
  mark healthy
}

pids=()
for spec in "$@"; do
  IFS='=' read -r name repo port <<<"$spec"
  deploy_one "$name" "$repo" "$port" &
  pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
exit $rc
