#!/usr/bin/env bash
# Benchmarks (not part of CI): batched runner vs the plain loop, FLOP rate, cached re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import trainability, torch" 2>/dev/null || bash scripts/setup.sh
python3 -m pytest benchmarks/ -p no:xdist -s --benchmark-columns=mean "$@"
