"""One retry helper for every retried call bumper makes itself (HTTP retries stay in urllib3's Retry)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def retry(
    call: Callable[[int], T],
    *,
    attempts: int,
    retry_on: Callable[[Exception], bool],
    wait: Callable[[int], float],
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`call(n)` for n = 0, 1, …; after a failure `retry_on` accepts, sleep `wait(n)` and call again.

    The last failure, or one `retry_on` refuses, is raised as it is: callers keep their own errors.
    """
    for n in range(attempts):
        try:
            return call(n)
        except Exception as exc:
            if n == attempts - 1 or not retry_on(exc):
                raise
            sleep(wait(n))
    raise ValueError(f"attempts must be at least 1, not {attempts}")
