"""SIGTERM unwinds bumper as Ctrl-C does: Terminated runs every `finally`, a second SIGTERM does
not cut that cleanup short, and the handler before comes back afterwards."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from bumper.termination import Terminated, sigterm_unwinds


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
