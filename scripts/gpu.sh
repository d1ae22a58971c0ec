#!/usr/bin/env bash
# The prepared device script (scripts/gpu.py): smoke checks, the GPU benchmark, then the lecture
# rung's claims on CUDA, within ~8 minutes of one GPU. Runs from the source tree (PYTHONPATH=src),
# as the device machine has torch and the test tools but no registry. --dry-run lists the plan.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHONPATH=src exec python3 scripts/gpu.py "$@"
