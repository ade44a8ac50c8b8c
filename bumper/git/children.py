"""git's processes when bumper must stop (Ctrl-C, SIGTERM): stopped, waited for, nothing left behind.

`git push` over HTTP runs `git remote-http`, which sends the pack; ending `git` alone leaves
that helper running, and the branch lands after bumper exited. So without a terminal (CI,
a container) each git command runs in a process group of its own, which bumper can end as a
whole. With a terminal it stays in bumper's group: Ctrl-C reaches it from the terminal, and
SSH can still ask there for a passphrase or a new host key (from a group of its own it would
be stopped for reading the terminal).
"""

from __future__ import annotations

import atexit
import functools
import os
import signal
import subprocess
import time
from typing import Any

# A push under way is given this long to finish: what it lands then lands before bumper exits
# (the server applies a pack it received even when the client is gone).
PUSH_GRACE_SECONDS = 5.0
# After SIGTERM, then again after SIGKILL, how long to wait for the group to be gone.
STOP_SECONDS = 2.0


# git processes started and not yet waited for to the end: what is left here when bumper exits
# (a Ctrl-C or SIGTERM that came between a start and its wait) is stopped then.
_live: set[subprocess.Popen[bytes]] = set()


def track(proc: subprocess.Popen[bytes]) -> None:
    """Note a git process just started; `communicate` and `stop` forget it once it ended."""
    if not _live:
        atexit.register(stop_left)
    _live.add(proc)


def stop_left() -> None:
    """Stop every git process still running that no wait or stop reached (at exit); one that
    ended is left alone (its process group's number may be another's by now)."""
    while _live:
        proc = _live.pop()
        if proc.poll() is None:
            stop(proc)


@functools.cache
def own_group() -> bool:
    """Whether git runs in a process group of its own: only without a controlling terminal."""
    if not hasattr(os, "killpg"):
        return False
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return True
    os.close(fd)
    return False


def popen_options() -> dict[str, Any]:
    """What Popen needs to start git as the rest of this module expects."""
    return {"start_new_session": True} if own_group() else {}


def communicate(proc: subprocess.Popen[bytes], *, let_finish: bool) -> tuple[bytes, bytes]:
    """`proc.communicate()`; when it is interrupted (KeyboardInterrupt, Terminated), stop git
    and its helpers, wait for them, and let the interruption go on. `let_finish` (a push)
    first gives git PUSH_GRACE_SECONDS to end by itself; a second interruption cuts that short."""
    try:
        out, err = proc.communicate()
    except BaseException:
        if let_finish:
            try:
                proc.communicate(timeout=PUSH_GRACE_SECONDS)
            except BaseException:  # noqa: S110 - the time is up, or a second Ctrl-C: stop now
                pass
        stop(proc)
        raise
    _live.discard(proc)
    return out or b"", err or b""


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End git and every process it started: SIGTERM, then SIGKILL, waiting after each."""
    stop_group(proc, group=own_group())
    _live.discard(proc)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def stop_group(proc: subprocess.Popen[bytes], *, group: bool = True) -> None:
    """End `proc` and, with `group` (it was started with start_new_session), every process of
    its group, also after `proc` itself ended: SIGTERM, then SIGKILL, waiting after each.
    Its pipes stay open (another thread may be reading them)."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        if _gone(proc, group):
            break
        _send(proc, signum, group)
        deadline = time.monotonic() + STOP_SECONDS
        while not _gone(proc, group) and time.monotonic() < deadline:
            time.sleep(0.01)


def _send(proc: subprocess.Popen[bytes], signum: int, group: bool) -> None:
    try:
        if group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
    except ProcessLookupError:
        pass


def _gone(proc: subprocess.Popen[bytes], group: bool) -> bool:
    """Whether the process has ended and, in its own group, every helper of it too."""
    ended = proc.poll() is not None
    if not group:
        return ended
    try:  # helpers whose parent ended become bumper's to reap where bumper is the init process
        while os.waitpid(-proc.pid, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return ended
    return False
