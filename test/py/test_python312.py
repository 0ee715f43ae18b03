"""The master's core runs on Python 3.12+ (no asyncore/asynchat, no pyinotify).

Runs a real job queue round trip and imports the daemons' modules under a
Python 3.12 interpreter when this machine has one (pyenv or PATH).
"""

import glob
import os
import shutil
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = r"""
import sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from ganeti import pathutils, jqueue, luxi, opcodes, locking, mcpu, query, qlang
from ganeti.server import luxi_server, luxi_ops, masterd
pathutils.set_root(tempfile.mkdtemp())
def execute(op, cbs):
    cbs.notify_start()
    return op.duration
q = jqueue.JobQueue(execute, num_workers=2)
job = q.submit_job([{"OP_ID": "OP_TEST_DELAY", "duration": 0}])
for _ in range(500):
    if q.query_jobs([job], ["status"])[0][0] == "success":
        break
    time.sleep(0.01)
print(q.query_jobs([job], ["status", "opresult"]))
q.shutdown()
"""


def _python312() -> str | None:
    for cand in [shutil.which("python3.13"), shutil.which("python3.12")] + sorted(
        glob.glob("/root/.pyenv/versions/3.1[2-9]*/bin/python3")
    ):
        if cand and subprocess.run([cand, "-c", "pass"], capture_output=True).returncode == 0:
            return cand
    return None


def test_core_on_python312():
    python = _python312()
    if python is None:
        pytest.skip("no Python 3.12+ interpreter on this machine")
    out = subprocess.run(
        [python, "-c", SCRIPT, os.path.join(TOP, "lib")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "[['success', [0.0]]]" in out.stdout
