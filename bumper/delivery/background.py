"""A call that runs while bumper waits on something else (a host API call or an SDK import during a
git command)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


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
