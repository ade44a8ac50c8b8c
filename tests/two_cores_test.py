"""map_ordered: the same results and the same first error as a serial map, whatever the child does."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from bumper import two_cores
from bumper.two_cores import map_ordered

ITEMS = list(range(10))
WEIGHTS = [1] * 10


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


def test_results_come_in_order_and_the_tail_from_the_child(forks: list[int]) -> None:
    parent = os.getpid()
    results = map_ordered(lambda item: (item * 2, os.getpid()), ITEMS, WEIGHTS)
    assert [value for value, _ in results] == [item * 2 for item in ITEMS]
    assert [pid == parent for _, pid in results] == [True] * 5 + [False] * 5
    assert len(forks) == 1


def test_an_error_in_the_childs_half_is_raised_by_the_parent_at_the_first_failing_item(
    forks: list[int],
) -> None:
    parent = os.getpid()
    called_here: list[int] = []

    def fn(item: int) -> int:
        if os.getpid() == parent:
            called_here.append(item)
        if item in (7, 9):
            raise ValueError(f"bad item {item}")
        return item

    with pytest.raises(ValueError, match="bad item 7"):
        map_ordered(fn, ITEMS, WEIGHTS)
    # The child's results for 5 and 6 were used; the parent computed 7 again and stopped there.
    assert called_here == [0, 1, 2, 3, 4, 7]


def test_with_errors_in_both_halves_the_first_in_order_wins(forks: list[int]) -> None:
    def fn(item: int) -> int:
        if item in (2, 8):
            raise ValueError(f"bad item {item}")
        return item

    with pytest.raises(ValueError, match="bad item 2"):
        map_ordered(fn, ITEMS, WEIGHTS)


def test_a_child_that_dies_leaves_its_work_to_the_parent(forks: list[int]) -> None:
    parent = os.getpid()

    def fn(item: int) -> int:
        if item == 6 and os.getpid() != parent:
            os._exit(3)  # a crash, an OOM kill
        return item + 100

    assert map_ordered(fn, ITEMS, WEIGHTS) == [item + 100 for item in ITEMS]


def test_results_that_cannot_be_sent_are_computed_by_the_parent(forks: list[int]) -> None:
    results = map_ordered(lambda item: threading.Lock(), ITEMS, WEIGHTS)  # locks do not pickle
    assert len(results) == len(ITEMS)
    assert all(not lock.locked() for lock in results)


def test_an_error_of_the_parent_stops_the_child_at_once(forks: list[int]) -> None:
    parent = os.getpid()

    def fn(item: int) -> int:
        if os.getpid() != parent:
            time.sleep(30)
        if item == 1:
            raise KeyboardInterrupt
        return item

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        map_ordered(fn, ITEMS, WEIGHTS)
    assert time.monotonic() - started < 10
    assert len(forks) == 1


def test_small_work_and_running_threads_stay_on_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    if two_cores._may_fork(two_cores.MIN_PARALLEL_WEIGHT):
        assert not two_cores._may_fork(two_cores.MIN_PARALLEL_WEIGHT - 1)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not two_cores._may_fork(10 * two_cores.MIN_PARALLEL_WEIGHT)


@pytest.mark.parametrize(
    ("weights", "split"),
    [([1] * 10, 5), ([1] * 9, 5), ([100, 1, 1], 1), ([1, 1, 100], 2), ([3, 3, 1, 1], 1), ([5], 1), ([], 0)],
)
def test_the_child_gets_the_tail_holding_about_half_the_weight(weights: list[int], split: int) -> None:
    assert two_cores._split_point(weights) == split
