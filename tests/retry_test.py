"""retry: what is retried, how often, how long it waits, and which error comes out."""

from __future__ import annotations

import pytest

from bumper.retry import retry


class Flaky(Exception):
    pass


def test_retries_what_it_is_told_to_then_returns() -> None:
    calls: list[int] = []
    waits: list[float] = []

    def call(n: int) -> str:
        calls.append(n)
        if n < 2:
            raise Flaky(n)
        return "done"

    result = retry(
        call,
        attempts=3,
        retry_on=lambda e: isinstance(e, Flaky),
        wait=lambda n: 0.5 * 2**n,
        sleep=waits.append,
    )
    assert (result, calls, waits) == ("done", [0, 1, 2], [0.5, 1.0])


def test_the_last_failure_comes_out_as_it_is() -> None:
    def call(n: int) -> None:
        raise Flaky(n)

    with pytest.raises(Flaky, match="^2$"):
        retry(call, attempts=3, retry_on=lambda e: True, wait=lambda n: 0, sleep=lambda s: None)


def test_an_error_it_is_not_told_to_retry_stops_at_once() -> None:
    calls: list[int] = []

    def call(n: int) -> None:
        calls.append(n)
        raise ValueError("bad input")

    with pytest.raises(ValueError):
        retry(
            call, attempts=5, retry_on=lambda e: isinstance(e, Flaky), wait=lambda n: 0, sleep=lambda s: None
        )
    assert calls == [0]
