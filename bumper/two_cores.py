"""Map a pure function over a list on two cores: a forked child computes the tail of the list.

Planning a large tree composes every matching file twice (once to find its references, once to
prove the edit), which is most of a dry run's time on 100 files, and files plan independently.
The child is only an accelerator. It sends back, in order, the results it computed, and stops
at the first item that raises; whatever it did not deliver (after an error, a crash or a kill)
the parent computes itself. So results, and any error, are exactly those of a serial run, and
an error is raised by the parent, for the first failing item in list order.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this much input (bytes of YAML, for planning) one core is faster: a fork, the pipe and
# unpickling cost a few milliseconds, about what planning 10 KB costs.
MIN_PARALLEL_WEIGHT = 64 * 1024


def map_ordered(fn: Callable[[T], R], items: Sequence[T], weights: Sequence[int]) -> list[R]:
    """[fn(item) for item in items], on two cores when the work is big enough and a fork is safe.

    `weights` estimate each item's cost; the child gets a tail holding about half of it."""
    split = _split_point(weights) if _may_fork(sum(weights)) else len(items)
    if split >= len(items):
        return [fn(item) for item in items]
    read_end, write_end = os.pipe()
    # A collection in the child would write to every object the parent made, copying all of
    # their memory pages: the parent's objects are frozen out of reach of the collector.
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves through os._exit; its results are tested
        os.close(read_end)
        _child(fn, items[split:], write_end)
    gc.unfreeze()
    os.close(write_end)
    try:
        head = [fn(item) for item in items[:split]]
        tail: list[R] = _receive(read_end)
    except BaseException:  # an error of the parent's own, Ctrl-C: the child's work is moot
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    done = split + len(tail)
    return head + tail + [fn(item) for item in items[done:]]


def _may_fork(weight: int) -> bool:
    """A fork is safe only with no other thread (one could hold a lock the child needs), and
    pays only with a second core (the affinity mask is what a container actually grants)."""
    if weight < MIN_PARALLEL_WEIGHT or not hasattr(os, "fork") or sys.platform == "win32":
        return False
    if threading.active_count() != 1:
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores >= 2


def _split_point(weights: Sequence[int]) -> int:
    """Where to cut so that the larger part is smallest; on a tie the child gets the smaller
    tail, as it starts a little later. len(weights) means no cut."""
    total = sum(weights)
    best, best_cost = len(weights), total
    head = 0
    for index, weight in enumerate(weights[:-1], 1):
        head += weight
        cost = max(head, total - head)
        if cost <= best_cost:
            best, best_cost = index, cost
    return best


def _child(fn: Callable[[T], R], items: Sequence[T], write_end: int) -> None:  # pragma: no cover
    """Compute until the first error, send what was computed, and leave without running any of
    the parent's cleanup (`finally` blocks, atexit handlers, buffered output)."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C or a CI cancel: just stop
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        results = []
        with suppress(Exception):  # the parent computes that item again and raises the error itself
            for item in items:
                results.append(fn(item))
        data = memoryview(pickle.dumps(results, pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(write_end, data) :]
    finally:
        os._exit(0)


def _receive(read_end: int) -> list[R]:
    """The child's results; none when its message is cut short or unreadable."""
    chunks = []
    while chunk := os.read(read_end, 1 << 20):
        chunks.append(chunk)
    try:
        results = pickle.loads(b"".join(chunks))  # noqa: S301 - written by our own fork
    except Exception:
        return []
    return results if isinstance(results, list) else []
