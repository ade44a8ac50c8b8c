"""SIGTERM unwinds bumper as Ctrl-C does: Terminated runs every `finally`, a second SIGTERM does
not cut that cleanup short, and the handler before comes back afterwards."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from bumper.termination import Terminated, held, sigterm_unwinds


def test_sigterm_raises_once_and_the_cleanup_survives_a_second() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set in the main thread")
    before = signal.getsignal(signal.SIGTERM)
    cleaned = False
    with pytest.raises(Terminated):
        with sigterm_unwinds():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                signal.pause()  # not reached: the handler raises first
            finally:
                os.kill(os.getpid(), signal.SIGTERM)  # a second one while unwinding: ignored
                cleaned = True
    assert cleaned
    assert signal.getsignal(signal.SIGTERM) == before


def test_terminated_is_not_an_exception_a_library_would_swallow() -> None:
    assert not issubclass(Terminated, Exception) and issubclass(Terminated, BaseException)


def test_a_sigterm_while_git_starts_is_raised_once_it_is_tracked_and_stopped_at_exit() -> None:
    """A SIGTERM while Popen waits for git's exec raised there would leave a git process no
    clean-up knows of (a clone still writing after bumper exited). Held, it is raised when the
    start ends; the process is tracked by then, and what no wait reached is stopped at exit."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set in the main thread")
    import subprocess

    from bumper.git import children

    started = None
    with pytest.raises(Terminated):
        with sigterm_unwinds():
            with held():
                os.kill(os.getpid(), signal.SIGTERM)
                started = subprocess.Popen(["sleep", "30"], **children.popen_options())  # noqa: S607
                children.track(started)
    assert started is not None and started.poll() is None  # started whole, then the SIGTERM
    children.stop_left()
    assert started.poll() is not None
