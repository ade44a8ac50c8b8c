"""map_ordered: the same results and the same first error as a serial map, whatever the child does."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bumper.plan import two_cores
from bumper.plan.two_cores import map_ordered

ITEMS = list(range(10))


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Fork whatever the size (pytest-xdist workers run threads, which _may_fork refuses);
    yields the pids of the children forked."""
    pids: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(two_cores, "_may_fork", lambda weight: True)
    monkeypatch.setattr(os, "fork", fork)
    yield pids
    for pid in pids:  # every child was waited for: none is left as a zombie
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def _paced(parent_s: float, child_s: float, fn: Callable[[int], object]) -> Callable[[int], object]:
    """fn, taking `parent_s` seconds an item in the parent and `child_s` in the child."""
    parent = os.getpid()

    def paced(item: int) -> object:
        time.sleep(parent_s if os.getpid() == parent else child_s)
        return fn(item)

    return paced


def test_results_come_in_order_the_parent_from_the_front_the_child_from_the_back(forks: list[int]) -> None:
    parent = os.getpid()
    results = map_ordered(_paced(0.01, 0.01, lambda item: (item * 2, os.getpid())), ITEMS, 1)
    assert [value for value, _ in results] == [item * 2 for item in ITEMS]
    from_parent = [pid == parent for _, pid in results]
    assert from_parent[0] and not from_parent[-1]
    assert from_parent == sorted(from_parent, reverse=True)  # one switch: a front and a back
    assert len(forks) == 1


def test_a_slow_child_does_fewer_items(forks: list[int]) -> None:
    parent = os.getpid()
    results = map_ordered(_paced(0.005, 0.1, lambda item: os.getpid()), ITEMS, 1)
    assert results.count(parent) >= 8


def test_an_error_is_raised_by_the_parent_at_the_first_failing_item(forks: list[int]) -> None:
    """The child (fast, from the back) delivers 9..4 and stops at 3; the parent (slow) computes
    0, 1, 2, then 3 itself, which raises, and never computes what the child delivered."""
    parent = os.getpid()
    called_here: list[int] = []

    def fn(item: int) -> int:
        if os.getpid() == parent:
            called_here.append(item)
        if item == 3:
            raise ValueError(f"bad item {item}")
        return item

    with pytest.raises(ValueError, match="bad item 3"):
        map_ordered(_paced(0.05, 0.001, fn), ITEMS, 1)
    assert called_here == [0, 1, 2, 3]


def test_with_errors_at_both_ends_the_first_in_order_wins(forks: list[int]) -> None:
    def fn(item: int) -> int:
        if item in (2, 8):
            raise ValueError(f"bad item {item}")
        return item

    with pytest.raises(ValueError, match="bad item 2"):
        map_ordered(fn, ITEMS, 1)


def test_a_child_that_dies_leaves_its_work_to_the_parent(forks: list[int]) -> None:
    parent = os.getpid()

    def fn(item: int) -> int:
        if item == 6 and os.getpid() != parent:
            os._exit(3)  # a crash, an OOM kill
        return item + 100

    assert map_ordered(_paced(0.01, 0.001, fn), ITEMS, 1) == [item + 100 for item in ITEMS]


def test_results_that_cannot_be_sent_are_computed_by_the_parent(forks: list[int]) -> None:
    results = map_ordered(lambda item: threading.Lock(), ITEMS, 1)  # locks do not pickle
    assert len(results) == len(ITEMS)
    assert all(not lock.locked() for lock in results)


def test_an_error_of_the_parent_stops_the_child_at_once(forks: list[int]) -> None:
    def fn(item: int) -> int:
        if item == 1:
            raise KeyboardInterrupt
        return item

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        map_ordered(_paced(0.01, 30, fn), ITEMS, 1)
    assert time.monotonic() - started < 10
    assert len(forks) == 1


def test_a_refused_fork_leaves_the_work_to_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")  # EAGAIN: RLIMIT_NPROC

    monkeypatch.setattr(two_cores, "_may_fork", lambda weight: True)
    monkeypatch.setattr(os, "fork", refused)
    open_fds = len(os.listdir("/proc/self/fd"))
    assert map_ordered(lambda item: item * 3, ITEMS, 1) == [item * 3 for item in ITEMS]
    assert len(os.listdir("/proc/self/fd")) == open_fds  # the pipe was closed


def test_an_ignored_sigchld_does_not_break_the_end(forks: list[int]) -> None:
    """A CI runner may start bumper with SIGCHLD ignored: the kernel then reaps the child itself."""
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert map_ordered(_paced(0.005, 0.005, lambda item: -item), ITEMS, 1) == [-item for item in ITEMS]
    finally:
        signal.signal(signal.SIGCHLD, previous)


def test_small_work_one_core_and_running_threads_stay_on_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert two_cores._may_fork(two_cores.MIN_PARALLEL_WEIGHT)
    assert not two_cores._may_fork(two_cores.MIN_PARALLEL_WEIGHT - 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3})  # a container granting one core
    assert not two_cores._may_fork(10 * two_cores.MIN_PARALLEL_WEIGHT)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not two_cores._may_fork(10 * two_cores.MIN_PARALLEL_WEIGHT)
