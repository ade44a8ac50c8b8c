"""bumper.delivery.background.Started: the call runs at once, beside the caller; its answer or its error
reaches the caller's thread."""

from __future__ import annotations

import threading

import pytest

from bumper.delivery.background import Started
from bumper.errors import ProviderError


def test_the_call_runs_while_the_caller_goes_on() -> None:
    began, go_on = threading.Event(), threading.Event()

    def call() -> str:
        began.set()
        assert go_on.wait(10), "the caller never went on"
        return "answer"

    started = Started(call)
    assert began.wait(10), "the call did not start before its answer was asked"
    go_on.set()  # the caller's own work, done while the call waited
    assert started.answer() == "answer"
    assert started.answer() == "answer"  # asked twice, the same answer


def test_an_error_of_the_call_is_raised_in_the_callers_thread() -> None:
    error = ProviderError("authentication failed for the API; check the token")

    def call() -> None:
        raise error

    with pytest.raises(ProviderError) as raised:
        Started(call).answer()
    assert raised.value is error
