"""The prepared device script (scripts/gpu.sh): its dry run lists the stages and the lecture rung's
claims with estimated costs, runs nothing, and needs no GPU; without CUDA a real run is refused."""

import subprocess
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).parents[1]


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / "gpu.sh"), *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_the_dry_run_lists_the_plan_with_its_costs():
    out = _run("--dry-run", "--budget", "480")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("smoke") and lines[1].startswith("benchmark")
    assert any(line.startswith("claims: L6-chance") for line in lines) and "budget 480 s" in lines[-1]
    assert all("~" in line and line.rstrip().endswith(("s", "skipped)")) for line in lines[:-1])
    small = _run("--dry-run", "--budget", "300").stdout  # a smaller budget leaves more out
    assert small.count("past the budget") > out.stdout.count("past the budget")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without CUDA")
def test_a_real_run_without_cuda_is_refused_with_a_message():
    out = _run()
    assert out.returncode == 2 and "needs CUDA" in out.stderr
