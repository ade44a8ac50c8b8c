"""Write one JSON object while its lists are still being produced, byte for byte what
`json.dumps(indent=2)` writes for the whole object, so a command's output is never held whole.

A run stopped halfway (Ctrl-C, SIGTERM, an internal error) still leaves one valid object:
`fail` closes the list being written and adds the failure's fields. Each chunk is written, and
each list and the object opened or closed, with SIGINT and SIGTERM held back, so a signal never
cuts a write short nor lands between a bracket written and the state saying so.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_ITEM = "\n    "  # a member of a top-level key's list, at indent=2
_VALUE = "\n  "  # a top-level key's value, at indent=2
_CHUNK = 64 * 1024  # characters gathered before a write: few writes, little memory
_HELD_BACK = {signal.SIGINT, signal.SIGTERM}


class JsonObjectStream:
    """`{"key": [items...], ...}` written key by key and item by item to `out`."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._parts: list[str] = ["{"]
        self._size = 1
        self._keys = 0
        self._in_list = False
        self.closed = False

    def write_list(self, key: str, items: Iterable[Any]) -> None:
        """`"key": [...]` with each item written as it is produced."""
        with _signals_held_back():  # `_in_list` says the list is open exactly when it is
            self._key(key, "[")
            self._in_list = True
        empty = True
        for item in items:
            self._add(("," if not empty else "") + _ITEM + json.dumps(item, indent=2).replace("\n", _ITEM))
            empty = False
        with _signals_held_back():
            self._in_list = False
            self._add("]" if empty else "\n  ]")

    def close(self) -> None:
        """End the object (and its line) and write out what is left."""
        with _signals_held_back():  # `closed` says the object is ended (and out) exactly when it is
            self._add(("\n}" if self._keys else "}") + "\n")
            self.closed = True
            self._flush()

    def fail(self, fields: dict[str, Any]) -> None:
        """End the object early with `fields` (a failure's status and error) after what is
        written: a list cut short is closed (valid JSON, though an empty one is not spelled
        as `json.dumps` spells it). When the output itself is what failed (a full disk, a
        closed stdout), nothing more can go out: the run's one error line says why."""
        if self.closed:
            return
        try:
            if self._in_list:
                self._add("\n  ]")
                self._in_list = False
            for key, value in fields.items():
                self._key(key, json.dumps(value, indent=2).replace("\n", _VALUE))
            self.close()
        except Exception:  # noqa: BLE001 - whatever broke the output breaks this write too
            self.closed = True

    def _key(self, key: str, value: str) -> None:
        self._add(("," if self._keys else "") + _VALUE + json.dumps(key) + ": " + value)
        self._keys += 1

    def _add(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        with _signals_held_back():  # what is not written yet stays in _parts, for `fail`
            self._out.write("".join(self._parts))
            self._out.flush()
            self._parts, self._size = [], 0


@contextmanager
def _signals_held_back() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends: one arriving while a write waits on a full
    pipe would otherwise end the write with an exception and part of its bytes lost."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:  # pragma: no cover - no POSIX signal masks (Windows)
        yield
        return
    before = mask(signal.SIG_BLOCK, _HELD_BACK)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, before)
