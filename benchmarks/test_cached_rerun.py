"""The cost of a fully cached re-run of ``pytest claims/`` against the first run (fresh store).
Both runs use the ``ci`` hypothesis profile (the one CI uses): unpinned, the property claims would
draw other examples each time and the ratio would swing with them."""

import os
import subprocess
import sys
import time


def _claims(store: str, cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "claims/", "-q", "-p", "no:randomly", "--store", store],
                   cwd=cwd, check=True, capture_output=True, env={**os.environ, "HYPOTHESIS_PROFILE": "ci"})
    return time.perf_counter() - start


def test_cached_rerun_of_the_claims(benchmark, record_ratio, tmp_path, pytestconfig):
    store, root = str(tmp_path / "runs.sqlite"), str(pytestconfig.rootpath)
    first = _claims(store, root)
    benchmark.pedantic(_claims, args=(store, root), rounds=1, iterations=1)
    cached = benchmark.stats.stats.mean
    print(f"\nclaims: first run {first:.1f}s, cached re-run {cached:.1f}s ({100 * cached / first:.1f}%)")
    record_ratio("cached re-run of claims (first / cached)", first / cached, 20.0)
