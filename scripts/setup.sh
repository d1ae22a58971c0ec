#!/usr/bin/env bash
# Install the project and its dependencies into the current Python (a venv if one is active).
# torch==2.13.0 first: it resolves to a local CPU build; a bare torch requirement with nothing
# installed would pull several GB of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q "torch==2.13.0"
python3 -m pip install -q -e .
