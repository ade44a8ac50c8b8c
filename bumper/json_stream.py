"""Write a JSON object one list item at a time, byte for byte as `json.dumps(indent=2)` would,
so a command's JSON output need not be held in memory whole."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

_ITEM = "\n    "  # a list member of a top-level key, at indent=2


def write_object(out: TextIO, fields: Iterable[tuple[str, Iterable[Any]]]) -> None:
    """`{"key": [items...], ...}` with each list's items written as they are produced: the
    same text as `json.dumps(dict(key=list(items), ...), indent=2)` (JSON strings never hold a
    raw newline, so re-indenting an item's own dump is exact)."""
    out.write("{")
    keys = 0
    for key, items in fields:
        out.write(("," if keys else "") + "\n  " + json.dumps(key) + ": [")
        keys += 1
        empty = True
        for item in items:
            out.write(("," if not empty else "") + _ITEM + json.dumps(item, indent=2).replace("\n", _ITEM))
            empty = False
        out.write("]" if empty else "\n  ]")
    out.write("\n}" if keys else "}")
