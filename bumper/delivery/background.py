"""A call that runs while bumper waits on something else (a host API call or an SDK import during a
git command)."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

# How long a thread that holds the GIL keeps it from one that waits (CPython's default: 5 ms).
HANDOFF_SECONDS = 0.0005


@contextlib.contextmanager
def quick_handoffs() -> Iterator[None]:
    """While inside, a thread that waited (for git, a socket) gets the GIL back within 0.5 ms
    instead of 5 ms. Beside a thread that imports a host's SDK (CPU-bound for ~0.1 s), every
    wake-up of the main thread waiting for a git command (each pipe read) otherwise waited up
    to 5 ms: 6-8 ms per git run on the way to the push. The interval is restored after."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, HANDOFF_SECONDS))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


class Started(Generic[T]):
    """`call()` running in a thread of its own from the moment this is made; `answer()` waits for
    it and returns its result or raises its exception, in the caller's thread.

    Only for reads that may be abandoned: the thread is a daemon, and nothing it did needs
    undoing. A caller that fails meanwhile gives it a few seconds (`settle`) before going on:
    an interpreter that exits while a thread is still importing a module may abort.
    """

    def __init__(self, call: Callable[[], T]) -> None:
        self._call = call
        self._result: T | None = None
        self._error: BaseException | None = None
        # Waited on instead of Thread.join: a join that Ctrl-C/SIGTERM interrupted marks the
        # thread ended while it still runs (CPython's _wait_for_tstate_lock releases the lock the
        # running thread holds), so a later join returned at once and git outlived bumper.
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._call()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, as is
            self._error = exc
        finally:
            self._done.set()

    def settle(self, seconds: float | None) -> None:
        """Wait at most `seconds` (None: as long as it takes) for the call to end, whatever it
        answers."""
        self._done.wait(seconds)

    def answer(self) -> T:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]  # set when no error was
