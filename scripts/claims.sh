#!/usr/bin/env bash
# Set up (idempotent) and decide every claim at the CPU tier; writes reports/claims-cpu.json and
# the Markdown report reports/cpu/README.md with its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import trainability, torch" 2>/dev/null || bash scripts/setup.sh
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"  # derandomized, 50 examples per property
python3 -m pytest claims/ -v --claims-report reports/claims-cpu.json --claims-markdown reports/cpu "$@"
