"""SIGTERM, what CI sends on cancel or timeout, unwinds bumper as Ctrl-C does (exit 143)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt: no `except Exception` of a
    library swallows it, every `finally` runs (git children stopped, the temporary clone removed)."""


_holding = [0]  # how many `held()` blocks are open
_pending = [False]  # a SIGTERM came while one was


def _raise_once(signum: int, frame: FrameType | None) -> None:
    # A second SIGTERM must not cut the cleanup the first one started. A handler, not SIG_IGN:
    # an ignored signal would stay ignored in every child started from now on.
    signal.signal(signal.SIGTERM, _ignore)
    if _holding[0]:
        _pending[0] = True
        return
    raise Terminated


@contextmanager
def held() -> Iterator[None]:
    """A SIGTERM arriving inside the block is raised when the block ends: starting a git child
    is then one step. Raised while Popen waits for the child's exec, it would leave a child no
    clean-up knows of (not by blocking the signal: a child inherits a blocked mask)."""
    _holding[0] += 1
    try:
        yield
    finally:
        _holding[0] -= 1
        if not _holding[0] and _pending[0]:
            _pending[0] = False
            raise Terminated


def _ignore(signum: int, frame: FrameType | None) -> None:
    """A later SIGTERM while bumper is already unwinding."""


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """While the block runs, SIGTERM raises Terminated in the main thread; the handler before
    comes back afterwards (tests call the CLI in-process). Off the main thread (where Python
    cannot set handlers) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_once)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
