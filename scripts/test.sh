#!/usr/bin/env bash
# Every test: provisioning (scripts/setup.sh, then the tests' own packages: scripts/setup-test.sh), type-check,
# lint, then the unit and e2e suites (vitest).
# `npm test` runs this; so does CI (.ci/run). Extra arguments go to vitest (e.g. `npm test -- test/unit`).
# When this run's set-up had to start the Docker engine, it is stopped again on exit, so CI leaves none behind.
# The exit code is the first failing step's (all checks still run, so one CI log shows every problem).
set -euo pipefail
cd "$(dirname "$0")/.."

# Whether an engine already answered before this run: a marker file alone can be stale (an engine killed without
# `engine.sh stop`, as on a CI machine reused), so ask the engine itself.
engine_was_running=0
command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && engine_was_running=1

on_exit() {
  local rc=$?
  # Stand-in SSH hosts left behind by a killed test run (each test file removes its own normally).
  for name in e2essh e2esshc benchssh; do bash scripts/test-host.sh down "$name" >/dev/null 2>&1 || true; done
  bash scripts/test-swarm.sh down >/dev/null 2>&1 || true
  # Only an engine started by *this* run's set-up: one left by an earlier `npm run deploy` keeps running.
  if [ "$engine_was_running" -eq 0 ]; then
    bash scripts/engine.sh stop || true
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash scripts/setup.sh
bash scripts/setup-test.sh

status=0
step() {
  echo "test: $*" >&2
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "test: FAILED ($rc): $*" >&2
    [ "$status" -ne 0 ] || status=$rc
  fi
}

step npx --no-install tsc --noEmit
step npx --no-install biome check .
results=$(mktemp --suffix=.json)
step npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
# One plain closing line, counted over unit and end-to-end tests alike.
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);' "$results" ||
  echo "test: vitest wrote no results" >&2
rm -f "$results"

exit "$status"
