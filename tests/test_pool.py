"""The pool's worker processes: they die with their parent, and a script that starts them at
import time is told what to do instead of dying in a multiprocessing traceback."""

import os
import signal
import subprocess
import sys
import textwrap
import time

TESTS = os.path.dirname(__file__)

TRAINS_FOREVER = """
import dataclasses, sys
sys.path.insert(0, {tests!r})
from helpers import TINY
from trainability.runs.pool import Runner

if __name__ == "__main__":
    runner = Runner("cpu", workers=2, batch=0)
    jobs = [(dataclasses.replace(TINY, steps=10**7), seed) for seed in range(2)]
    results = runner.results(jobs)  # never returns: the test kills this process
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (dead, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_workers_die_when_their_parent_is_killed(tmp_path):
    script = tmp_path / "forever.py"
    script.write_text(TRAINS_FOREVER.format(tests=TESTS))
    parent = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.time() + 60
        workers = []
        while time.time() < deadline and len(workers) < 2:  # the pool's processes (spawn: python children)
            workers = [p for p in _children(parent.pid) if "multiprocessing" in open(f"/proc/{p}/cmdline").read()
                       and "resource_tracker" not in open(f"/proc/{p}/cmdline").read()]
            time.sleep(0.2)
        assert len(workers) == 2, "the runner did not start its two workers"
        time.sleep(1.0)  # let them start training
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not any(_alive(p) for p in workers), f"orphaned workers still running: {workers}"
    finally:
        parent.kill()
        for p in _children(parent.pid):
            os.kill(p, signal.SIGKILL)


UNGUARDED = """
import sys
sys.path.insert(0, {tests!r})
from helpers import TINY
from trainability.runs.pool import Runner

runner = Runner("cpu", workers=2, batch=0)
print([r.seed for r in runner.results([(TINY, 0), (TINY, 1)])])
"""


def test_a_script_without_a_main_guard_is_told_what_to_do(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(UNGUARDED.format(tests=TESTS)))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert 'if __name__ == "__main__":' in out.stderr and "workers=1" in out.stderr, out.stderr
    assert "An attempt has been made to start a new process" not in out.stderr  # multiprocessing's own wall
    assert len(out.stderr.splitlines()) < 40, out.stderr


def test_the_same_script_runs_in_process_with_one_worker(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED.format(tests=TESTS).replace("workers=2", "workers=1"))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0, 1]"
