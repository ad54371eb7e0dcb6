#!/usr/bin/env bash
# `npm run deploy`: set the machine up (scripts/setup.sh), then deploy every service of the shipped
# services.yaml from its `main` branch: `node dist/cli.js all main`. Extra arguments are passed on,
# e.g. `npm run deploy -- --force-rebuild` or `npm run deploy -- --json`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
exec node dist/cli.js all main "$@"
