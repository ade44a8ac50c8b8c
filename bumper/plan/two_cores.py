"""Map a pure function over a list on two cores: a forked child works from the end of the list.

Planning a large tree composes every matching file twice (once to find its references, once to
prove the edit), which is most of a dry run's time on 100 files, and files plan independently.
The parent works from the front and the child from the back, sending each result as soon as it
has it, until they meet: a child slowed by copy-on-write faults or a busy core simply does
fewer. The child is only an accelerator. It stops at the first item that raises; whatever it
did not deliver (after an error, a crash or a kill) the parent computes itself. So results, and
any error, are exactly those of a serial run, and an error is raised by the parent, for the
first failing item in list order.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this much input (bytes of YAML, for planning) one core is faster: a fork, the pipe and
# unpickling cost a few milliseconds, about what planning 10 KB costs.
MIN_PARALLEL_WEIGHT = 64 * 1024
_LENGTH = 4  # bytes of the big-endian length before each pickled result


def map_ordered(fn: Callable[[T], R], items: Sequence[T], weight: int) -> list[R]:
    """[fn(item) for item in items], on two cores when the work (`weight`, e.g. bytes to
    parse) is big enough and a fork is safe."""
    if len(items) < 2 or not _may_fork(weight):
        return [fn(item) for item in items]
    import pickle  # only a run that forks needs it (~3 ms); loaded once, before the fork

    # Out of the collector's reach while both work: in the child, a collection would write to
    # every object the parent made (copying all their memory pages); in the parent, it would
    # walk all of them again and again for nothing.
    gc.freeze()
    forked = _fork()
    if forked is None:
        gc.unfreeze()
        return [fn(item) for item in items]
    pid, read_end, write_end = forked
    if pid == 0:  # pragma: no cover - the child leaves through os._exit; its results are tested
        os.close(read_end)
        _child(fn, items, write_end, pickle.dumps)
    os.close(write_end)
    inbox: _Inbox[R] = _Inbox(read_end, pickle.loads)
    head: list[R] = []
    try:
        while len(head) + inbox.drain() < len(items):
            head.append(fn(items[len(head)]))
    finally:  # done, an error of the parent's own, Ctrl-C: the child's work is over
        _stop(pid)
        os.close(read_end)
        gc.unfreeze()
    tail = inbox.results[::-1]  # the last items, in order; the first of them may repeat head's
    return head + tail[len(head) + len(tail) - len(items) :]


def _fork() -> tuple[int, int, int] | None:
    """(pid, read end, write end) of a pipe to a forked child (pid 0 in the child), or None when
    the system refuses (a process limit, a sandbox without fork): one core it is."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        return os.fork(), read_end, write_end
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None


def _stop(pid: int) -> None:
    """Kill and reap the child; with SIGCHLD ignored (inherited so from a parent process), the
    kernel has reaped it already."""
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _may_fork(weight: int) -> bool:
    """A fork is safe only on Linux and with no other thread (one could hold a lock the child
    needs), and pays only with a second core (the affinity mask is what a container grants)."""
    if weight < MIN_PARALLEL_WEIGHT or not sys.platform.startswith("linux"):
        return False  # macOS: a fork after system frameworks loaded (proxy lookup) may crash
    if threading.active_count() != 1:
        return False
    return len(os.sched_getaffinity(0)) >= 2


def _child(  # pragma: no cover
    fn: Callable[[T], R], items: Sequence[T], write_end: int, dumps: Callable[..., bytes]
) -> None:
    """From the last item back, send each result until one raises (or the parent stops this
    process), and leave without running any of the parent's cleanup (`finally` blocks, atexit
    handlers, buffered output)."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C or a CI cancel: just stop
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for item in reversed(items):
            try:
                result = fn(item)
            except Exception:  # the parent computes this item again and raises the error itself
                break
            data = dumps(result, -1)  # the highest protocol
            frame = memoryview(len(data).to_bytes(_LENGTH, "big") + data)
            while frame:
                frame = frame[os.write(write_end, frame) :]
    finally:
        os._exit(0)


class _Inbox(Generic[R]):
    """The child's results so far (last item first), read without waiting."""

    def __init__(self, read_end: int, loads: Callable[[bytes], Any]) -> None:
        os.set_blocking(read_end, False)
        self._fd = read_end
        self._loads = loads
        self._buffer = b""
        self._open = True
        self.results: list[R] = []

    def drain(self) -> int:
        """Take in every complete result the child has sent; how many there are."""
        while self._open:
            try:
                chunk = os.read(self._fd, 1 << 20)
            except BlockingIOError:
                break
            self._open = bool(chunk)  # b"": the child is gone
            self._buffer += chunk
        while len(self._buffer) >= _LENGTH:
            size = int.from_bytes(self._buffer[:_LENGTH], "big")
            if len(self._buffer) < _LENGTH + size:
                break
            data, self._buffer = self._buffer[_LENGTH : _LENGTH + size], self._buffer[_LENGTH + size :]
            try:
                self.results.append(self._loads(data))  # pickled by our own fork
            except Exception:  # never expected; the parent computes the rest itself
                self._open, self._buffer = False, b""
        return len(self.results)
