"""The README's Python blocks are tested code: the library example runs as a script, the claim
example decides its claim at the CPU tier as written."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_the_two_examples():
    assert len(blocks()) == 2
    assert any("Runner(" in b for b in blocks()) and any("claims.decide(" in b for b in blocks())


def test_the_library_example_runs_as_a_script(tmp_path):
    (script,) = [b for b in blocks() if "Runner(" in b]
    assert len(script.strip().splitlines()) <= 10
    path = tmp_path / "example.py"
    path.write_text(script)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [f"seed {i}" for i in range(4)], out.stdout


def test_the_claim_example_decides_its_claim_as_written(pytester):
    (claim,) = [b for b in blocks() if "claims.decide(" in b]
    pytester.makepyfile(test_example=claim)
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess("--no-store", "-p", "no:randomly", "--claims-report", str(report))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["L7-example*cpu*holds*"])
