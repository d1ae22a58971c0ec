"""The README's Python blocks are tested code: the own-model claim runs as a script and through the
``claims`` fixture, the library example runs as a script, the claim example decides its claim at
the CPU tier as written."""

import json
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def block(marker: str) -> str:
    (found,) = [b for b in blocks() if marker in b]
    return found


def test_the_readme_has_the_three_examples():
    assert len(blocks()) == 3
    assert block("register_system") and block("Runner(") and block("L7-example")


def test_the_own_model_claim_is_short():
    code = [line for line in block("register_system").splitlines() if line.strip()]
    assert len(code) <= 40, len(code)  # a config, a module, a task, the registration, the claim, two ways to run it


def test_the_own_model_claim_runs_as_a_script(tmp_path):
    path = tmp_path / "my_claims.py"
    path.write_text(block("register_system"))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("my-mlp-warmup ") and "HOLDS" in out.stdout.splitlines()[0], out.stdout
    assert "escapes the plateau more often than none" in out.stdout


def test_the_own_model_claim_runs_through_the_claims_fixture(pytester):
    pytester.makepyfile(my_claims=block("register_system"))
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess("my_claims.py", "-p", "no:randomly", "--claims-report", str(report),
                                           "--claims-markdown", str(pytester.path / "md"))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["my-mlp-warmup: HOLDS*expected holds*"])
    (record,) = json.loads(report.read_text())["claims"]
    assert record["verdict"] == "holds" and record["tier"] == "-"
    text = (pytester.path / "md" / "README.md").read_text()
    assert "### my-mlp-warmup" in text and "claim-my-mlp-warmup-loss.png" in text  # its own loss curves
    assert "influence.png" not in text and "proxy" not in text  # nothing of the lecture's suite in a user's report
    again = pytester.runpytest_subprocess("my_claims.py", "-p", "no:randomly", "--log-cli-level=INFO")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*24 of 24 runs from the store*"])  # the user's runs were stored, keyed by its source


def test_the_library_example_runs_as_a_script(tmp_path):
    script = block("Runner(")
    assert len(script.strip().splitlines()) <= 10
    path = tmp_path / "example.py"
    path.write_text(script)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [f"seed {i}" for i in range(4)], out.stdout


def test_the_claim_example_decides_its_claim_as_written(pytester):
    pytester.makepyfile(test_example=block("L7-example"))
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess("--no-store", "-p", "no:randomly", "--claims-report", str(report))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["L7-example*HOLDS*expected holds*"])
