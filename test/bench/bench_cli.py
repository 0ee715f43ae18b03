"""Start-up cost of the gnt-* commands (wall time, process start to exit).

Prints figures, asserts nothing.  Measures ``gnt-job --help``,
``gnt-job list`` against the running master when one answers (else against
the tests' fake luxi master on a temporary root, which costs the same on
the client side), ``gnt-debug --help``, bare python for reference, and the
heaviest imports of the gnt-job import chain (``python -X importtime``).

Run: .venv/bin/python test/bench/bench_cli.py [runs]
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(TOP, "lib"), os.path.join(TOP, "test", "py")]

from ganeti import pathutils  # noqa: E402

PYTHON = os.path.join(TOP, ".venv", "bin", "python")
if not os.access(PYTHON, os.X_OK):
    PYTHON = sys.executable


def _time(cmd: list[str], runs: int, env: dict | None = None) -> tuple[float, float, int]:
    times = []
    rc = 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append((time.perf_counter() - start) * 1000)
        rc = proc.returncode
    return min(times), statistics.median(times), rc


def _report(name: str, cmd: list[str], runs: int, env: dict | None = None) -> None:
    best, median, rc = _time(cmd, runs, env)
    print(
        "%-44s min %6.1f ms  median %6.1f ms  (exit %d, %d runs)" % (name, best, median, rc, runs)
    )


def _master_answers() -> bool:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(pathutils.MASTER_SOCKET)
        return True
    except OSError:
        return False
    finally:
        sock.close()


def _importtime() -> None:
    code = "import sys; sys.path.insert(0, %r); import ganeti.client.gnt_job" % os.path.join(
        TOP, "lib"
    )
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", code], capture_output=True, text=True, check=False
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:") :].split("|")
        try:
            rows.append((int(parts[1]), int(parts[0]), parts[2].rstrip()))
        except ValueError:
            continue
    rows.sort(reverse=True)
    print("\nimport ganeti.client.gnt_job: heaviest imports (cumulative / self, microseconds)")
    for cumulative, own, name in rows[:15]:
        print("  %7d %7d %s" % (cumulative, own, name))
    loaded = {name.strip() for _, _, name in rows}
    for heavy in ("pyparsing", "cryptography", "pycurl", "ganeti.opcodes", "ganeti.qlang"):
        print("  %-14s loaded: %s" % (heavy, "yes" if heavy in loaded else "no"))


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    gnt_job = os.path.join(TOP, "scripts", "gnt-job")
    gnt_debug = os.path.join(TOP, "scripts", "gnt-debug")
    print("python: %s" % PYTHON)
    # an installed system has byte-compiled modules ("make install" runs
    # compileall); without this, PYTHONDONTWRITEBYTECODE would make every run
    # compile the CLI modules again
    subprocess.run([PYTHON, "-m", "compileall", "-q", os.path.join(TOP, "lib")], check=False)
    _report("python -c pass", [PYTHON, "-c", "pass"], runs)
    _report("python -S -c pass", [PYTHON, "-S", "-c", "pass"], runs)
    _report("gnt-job --help", [gnt_job, "--help"], runs)
    _report("gnt-debug --help", [gnt_debug, "--help"], runs)
    if _master_answers():
        _report("gnt-job list (running master)", [gnt_job, "list"], runs)
    else:
        from cli_fake_master import FakeMaster

        tmp = tempfile.mkdtemp(prefix="gbench", dir="/tmp")
        pathutils.set_root(tmp)
        fake = FakeMaster().start()
        try:
            env = dict(os.environ, GANETI_ROOT=tmp)
            _report("gnt-job list (fake master, 0 jobs)", [gnt_job, "list"], runs, env)
            for _ in range(200):
                job = fake.add_job([{"OP_ID": "OP_TEST_DELAY", "duration": 1.0}])
                job.advance()
                job.advance()
            _report("gnt-job list (fake master, 200 jobs)", [gnt_job, "list"], runs, env)
            _report("gnt-job info 1 (fake master)", [gnt_job, "info", "1"], runs, env)
            _report("gnt-job list 'status == \"success\"'",
                    [gnt_job, "list", 'status == "success"'], runs, env)  # fmt: skip
        finally:
            fake.stop()
            pathutils.set_root("")
            shutil.rmtree(tmp, ignore_errors=True)
    _importtime()


if __name__ == "__main__":
    main()
