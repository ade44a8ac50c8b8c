"""In-process tests of files planned in forked children (bumper.plan.forked): the threads earlier
tests left in this pytest process do not stop the fork, the threads a test starts still do.

bumper forks only while no other thread runs. A pytest worker that ran a provider test still
has the fake hosts' handler threads, each idle on a connection the in-process client keeps
alive; every later test of that worker would then plan in one process, and a test asserting
that a child planned would fail by the order xdist gave it (tests/providers_test.py first).
Those threads hold nothing a child planning files takes: it only plans, pickles and leaves.
"""

from __future__ import annotations

import threading

import pytest

from bumper.plan import forked


class _ThreadsOfThisTest:
    """`threading` as bumper.plan.forked sees it: the threads already alive do not count."""

    def __init__(self) -> None:
        self._before = {t for t in threading.enumerate() if t is not threading.current_thread()}

    def active_count(self) -> int:
        return sum(1 for t in threading.enumerate() if t not in self._before)


def fork_beside_the_suites_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, only threads started after this call keep bumper from forking."""
    monkeypatch.setattr(forked, "threading", _ThreadsOfThisTest())
