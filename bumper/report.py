"""Printing results: one JSON object on stdout, or text for people (colour only on a TTY)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def emit_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


def info(message: str) -> None:
    """A line for people, on stderr so stdout stays the diff or the JSON."""
    sys.stderr.write(message + "\n")


def use_colour(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def print_diff(diff: str) -> None:
    if not use_colour():
        sys.stdout.write(diff)
        return
    colours = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
    for line in diff.splitlines(keepends=True):
        colour = "" if line.startswith(("+++", "---")) else colours.get(line[:1], "")
        sys.stdout.write(f"{colour}{line.rstrip(chr(10))}\033[0m\n" if colour else line)
