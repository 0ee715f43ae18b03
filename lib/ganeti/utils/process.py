"""Running commands: the only way the project starts other programs.

``run_cmd`` never uses a shell unless asked, always captures output, can
time out, and returns a RunResult instead of raising on failure.
"""

import os
import signal
import subprocess
from dataclasses import dataclass, field
from typing import Sequence


@dataclass
class RunResult:
    """What a command did."""

    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str
    cmd: str
    failed: bool = field(init=False)
    fail_reason: str = field(init=False)

    def __post_init__(self) -> None:
        self.failed = bool(self.signal) or self.exit_code != 0
        if self.signal:
            self.fail_reason = "terminated by signal %s" % self.signal
        elif self.exit_code:
            self.fail_reason = "exited with exit code %s" % self.exit_code
        else:
            self.fail_reason = ""

    @property
    def output(self) -> str:
        """stdout followed by stderr."""
        return self.stdout + self.stderr


def run_cmd(
    cmd: Sequence[str] | str,
    env: dict[str, str] | None = None,
    reset_env: bool = False,
    cwd: str = "/",
    timeout: float | None = None,
    input_data: str | None = None,
    interactive: bool = False,
    output_file: str | None = None,
    shell: bool | None = None,
) -> RunResult:
    """Runs ``cmd`` (a list, or a string run by /bin/sh) and waits for it."""
    if shell is None:
        shell = isinstance(cmd, str)
    strcmd = cmd if isinstance(cmd, str) else " ".join(cmd)
    cmd_env = {} if reset_env else dict(os.environ)
    if reset_env:
        cmd_env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    if env:
        cmd_env.update(env)
    cmd_env.setdefault("LC_ALL", "C")
    stdout = None if interactive else subprocess.PIPE
    stderr = None if interactive else subprocess.PIPE
    out_fh = None
    if output_file is not None:
        out_fh = open(output_file, "a", encoding="utf-8")
        stdout = out_fh
        stderr = subprocess.STDOUT
    try:
        proc = subprocess.Popen(
            cmd,
            shell=shell,
            env=cmd_env,
            cwd=cwd,
            stdin=subprocess.PIPE if input_data is not None else subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            close_fds=True,
            start_new_session=True,
        )
    except OSError as err:
        if out_fh:
            out_fh.close()
        return RunResult(127, None, "", str(err), strcmd)
    try:
        out, err = proc.communicate(
            input=input_data.encode() if input_data is not None else None, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = proc.communicate()
        if out_fh:
            out_fh.close()
        res = RunResult(None, signal.SIGKILL, _dec(out), _dec(err), strcmd)
        res.fail_reason = "timed out after %s seconds" % timeout
        return res
    if out_fh:
        out_fh.close()
    code = proc.returncode
    sig = -code if code < 0 else None
    return RunResult(None if sig else code, sig, _dec(out), _dec(err), strcmd)


def _dec(data: bytes | None) -> str:
    return data.decode("utf-8", "replace") if data else ""


def is_process_alive(pid: int) -> bool:
    """True if process ``pid`` exists and is not a zombie."""
    if pid <= 0:
        return False
    try:
        with open("/proc/%d/status" % pid, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except OSError:
        return False
    return True


def kill_process(
    pid: int, sig: int = signal.SIGTERM, timeout: float = 5.0, waitpid: bool = False
) -> None:
    """Sends ``sig`` and, after ``timeout``, SIGKILL if still alive."""
    import time

    if not is_process_alive(pid):
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if waitpid:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if not is_process_alive(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def close_fds(keep: Sequence[int] = ()) -> None:
    """Closes every fd above 2 except ``keep``."""
    os.closerange(3, 1 << 16) if not keep else [
        os.close(fd) for fd in range(3, 1024) if fd not in keep and _is_open(fd)
    ]


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def run_cmd_passing_fds(
    cmd: Sequence[str], pass_fds: Sequence[int], timeout: float | None = None
) -> RunResult:
    """Like ``run_cmd`` (list form, new session, output captured) but the
    child inherits ``pass_fds`` (e.g. tap devices handed to qemu)."""
    strcmd = " ".join(cmd)
    env = dict(os.environ)
    env.setdefault("LC_ALL", "C")
    try:
        proc = subprocess.Popen(
            list(cmd),
            env=env,
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            close_fds=True,
            pass_fds=tuple(pass_fds),
            start_new_session=True,
        )
    except OSError as err:
        return RunResult(127, None, "", str(err), strcmd)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = proc.communicate()
        res = RunResult(None, signal.SIGKILL, _dec(out), _dec(err), strcmd)
        res.fail_reason = "timed out after %s seconds" % timeout
        return res
    code = proc.returncode
    sig = -code if code < 0 else None
    return RunResult(None if sig else code, sig, _dec(out), _dec(err), strcmd)
