"""`python -m bumper` for the tests, forked from a process that has already imported bumper.

A remote run spends about 0.4 s of CPU importing bumper and PyGithub or python-gitlab
before it does anything; the suite starts about 800 of them. Here one server process per pytest
worker imports those once, and each run is a fork of it that then behaves as a new
`python -m bumper` would: its own pid, argv, environment, working directory, stdin/stdout/stderr
pipes, exit code, signals, atexit handlers and TMPDIR. Nothing runs in the server between forks
(it only imports), so no run sees another's state.

A run whose environment changes what an interpreter reads only at start-up (PYTHONPATH and the
other PYTHON* variables) gets a real interpreter, and so does every run when
BUMPER_TEST_FORKSERVER=0: the suite then runs exactly as CI runs the command, only slower.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import json
import os
import runpy
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Imported once in the server: what a remote run of either provider imports, semver
# included (bumper imports it when first used); what python-gitlab and requests import only when
# first used (gitlab.v4.objects: ~0.1 s of every GitLab run; netrc: every host's run); and the
# imports of `promote`, `--verify render` and of runs that select paths (pathspec).
PRELOAD = (
    *(f"bumper.commands.{name}" for name in ("bump", "check", "history", "scan", "promote")),
    *("bumper.cli", "bumper.commands.hints", "bumper.remote", "bumper.local", "bumper.verify.run"),
    *("bumper.providers.github", "bumper.providers.gitlab", "semver"),
    *("gitlab.v4.objects", "netrc", "pathspec"),
)
_MESSAGE_BYTES = 1 << 20
# Read by the interpreter when it starts, so a fork of the server cannot honour a new value.
_STARTUP_ONLY = frozenset(
    "PYTHONPATH PYTHONHOME PYTHONSAFEPATH PYTHONNOUSERSITE PYTHONUTF8 PYTHONIOENCODING PYTHONHASHSEED"
    " PYTHONWARNINGS PYTHONDEVMODE PYTHONFAULTHANDLER PYTHONOPTIMIZE PYTHONINSPECT PYTHONUNBUFFERED"
    " PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX PYTHONSTARTUP PYTHONBREAKPOINT".split()
)


# --- the server ----------------------------------------------------------------------------------


def serve(control_fd: int) -> None:
    """Import bumper, then fork one child per request until the client's end closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops pytest, which closes the control socket
    for name in PRELOAD:
        __import__(name)
    gc.freeze()  # children's collections then skip (and do not copy) the pages of what was imported
    streams = {"stdout": sys.stdout.errors, "stderr": sys.stderr.errors, "encoding": sys.stdout.encoding}
    control = socket.socket(fileno=control_fd)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ, None)
    while True:
        for key, _ in selector.select():
            if key.data is None:
                if not _start(control, selector, streams):
                    return
            else:
                reply, pid = key.data
                selector.unregister(key.fd)
                os.close(key.fd)
                _, status = os.waitpid(pid, 0)
                reply.send(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode())
                reply.close()


def _start(control: socket.socket, selector: selectors.BaseSelector, streams: dict[str, str]) -> bool:
    message, fds, _, _ = socket.recv_fds(control, _MESSAGE_BYTES, 4)
    if not message:
        return False
    reply = socket.socket(fileno=fds[0])
    pid = os.fork()
    if pid == 0:
        selector.close()
        control.detach()
        reply.detach()
        _child(json.loads(message), fds[1:], streams)
    for fd in fds[1:]:
        os.close(fd)
    reply.send(json.dumps({"pid": pid}).encode())
    selector.register(os.pidfd_open(pid), selectors.EVENT_READ, (reply, pid))
    return True


def _child(request: dict[str, Any], stdio: list[int], streams: dict[str, str]) -> None:
    """Become `python -m bumper ARGV` in the request's directory and environment; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(stdio):
            os.dup2(fd, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # as subprocess's close_fds: only 0, 1 and 2
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import tempfile

        tempfile.tempdir = None  # as a new interpreter: TMPDIR of this run
        sys.path[0] = os.getcwd()  # `python -m` puts the working directory first
        sys.argv = ["-m", *request["argv"]]
        sys.stdin = _text(0, "r", streams["encoding"], "strict", line=False)
        sys.stdout = _text(1, "w", streams["encoding"], streams["stdout"], line=os.isatty(1))
        sys.stderr = _text(2, "w", streams["encoding"], streams["stderr"], line=True)
        code = _run_main()
    finally:
        os._exit(code)


def _text(fd: int, mode: str, encoding: str, errors: str, *, line: bool) -> io.TextIOWrapper:
    raw = io.FileIO(fd, mode, closefd=False)
    buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
    return io.TextIOWrapper(buffered, encoding=encoding, errors=errors, line_buffering=line)


def _run_main() -> int:
    """What the interpreter does around `-m bumper`: exit codes, tracebacks, threads, atexit."""
    try:
        runpy.run_module("bumper", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    threading._shutdown()  # type: ignore[attr-defined]  # wait for non-daemon threads, as at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = 120
    return code


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


# --- the client ----------------------------------------------------------------------------------


class ForkedRun:
    """One run started by the server: enough of Popen for the tests (pid, communicate, kill)."""

    def __init__(self, args: list[str], reply: socket.socket, stdin: int, stdout: int, stderr: int) -> None:
        self.args = args
        self._reply = reply
        self._stdin, self._stdout, self._stderr = stdin, stdout, stderr
        started = json.loads(reply.recv(4096) or b"{}")
        if "pid" not in started:
            raise RuntimeError("the test fork server stopped; see its output above")
        self.pid: int = started["pid"]
        self.returncode: int | None = None

    def send_signal(self, signum: int) -> None:
        """Signal the run unless it is known to have ended; one that ended and was reaped by the
        server meanwhile is gone, and that is no error (as Popen.send_signal has it)."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, input: str | None = None, timeout: float | None = None) -> tuple[str, str]:
        """Feed stdin, read stdout and stderr to their end, then wait for the exit code."""
        deadline = None if timeout is None else time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        pending = (input or "").encode()
        selector = selectors.DefaultSelector()
        for fd, sink in ((self._stdout, out), (self._stderr, err)):
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ, sink)
        if pending:
            os.set_blocking(self._stdin, False)
            selector.register(self._stdin, selectors.EVENT_WRITE, None)
        else:
            os.close(self._stdin)
        try:
            while selector.get_map():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    self.kill()
                    raise subprocess.TimeoutExpired(self.args, timeout or 0, bytes(out), bytes(err))
                for key, _ in selector.select(left):
                    if key.data is None:
                        try:
                            pending = pending[os.write(key.fd, pending[:65536]) :]
                        except BrokenPipeError:
                            pending = b""
                        if not pending:
                            selector.unregister(key.fd)
                            os.close(key.fd)
                        continue
                    chunk = os.read(key.fd, 65536)
                    if chunk:
                        key.data.extend(chunk)
                    else:
                        selector.unregister(key.fd)
                        os.close(key.fd)
        finally:
            for key in list(selector.get_map().values()):
                os.close(key.fd)
            selector.close()
        self.wait()
        return _decode(out), _decode(err)

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self._reply.settimeout(timeout)
            message = self._reply.recv(4096)
            self._reply.close()
            self.returncode = int(json.loads(message)["returncode"]) if message else -signal.SIGKILL
        return self.returncode


def _decode(data: bytes) -> str:
    """As Popen's text mode: the locale's encoding, universal newlines."""
    return io.TextIOWrapper(io.BytesIO(data)).read()


class _Server:
    """The server process of this pytest worker, started on first use."""

    def __init__(self) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from testing.forkserver import serve; serve({theirs.fileno()})"],
            pass_fds=(theirs.fileno(),),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.control = mine
        self.lock = threading.Lock()

    def start(self, args: list[str], env: Mapping[str, str], cwd: str) -> ForkedRun:
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        request = json.dumps({"argv": args, "env": dict(env), "cwd": cwd}).encode()
        with self.lock:
            socket.send_fds(self.control, [request], [theirs.fileno(), stdin_r, stdout_w, stderr_w])
        for fd in (stdin_r, stdout_w, stderr_w):
            os.close(fd)
        theirs.close()
        return ForkedRun([sys.executable, "-m", "bumper", *args], mine, stdin_w, stdout_r, stderr_r)

    def close(self) -> None:
        self.control.close()
        self.process.wait(timeout=10)


_server: _Server | None = None
_server_lock = threading.Lock()


def _forks(env: Mapping[str, str]) -> bool:
    if os.environ.get("BUMPER_TEST_FORKSERVER", "1") == "0":
        return False
    wanted = {k: v for k, v in env.items() if k in _STARTUP_ONLY}
    return wanted == {k: v for k, v in os.environ.items() if k in _STARTUP_ONLY}


def start(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None
) -> ForkedRun | subprocess.Popen[str]:
    """`python -m bumper ARGS` with pipes for stdin, stdout and stderr, not waited for."""
    global _server
    env = os.environ if env is None else env
    where = str(cwd) if cwd is not None else os.getcwd()
    if not _forks(env):
        return subprocess.Popen(
            [sys.executable, "-m", "bumper", *args],
            env=dict(env),
            cwd=where,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    with _server_lock:
        if _server is None:
            _server = _Server()
            atexit.register(_server.close)
    return _server.start(list(args), env, where)


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    input: str | None = None,
    timeout: float | None = 120,
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run([python, -m, bumper, *ARGS], capture_output=True, text=True)`, forked."""
    proc = start(args, env=env, cwd=cwd)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    return subprocess.CompletedProcess(list(proc.args), proc.wait(), out, err)
