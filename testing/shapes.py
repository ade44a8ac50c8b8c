"""The shape finder on inline YAML, as tests/shapes/<shape>_test.py reads it: what it finds and
what it leaves, each with its line."""

from __future__ import annotations

from textwrap import dedent
from typing import NamedTuple

from bumper.shapes.reference import Ignored
from bumper.shapes.walk import find_references
from bumper.yaml_edit import Source, compose_all


class Finding(NamedTuple):
    """What one file holds for bumper: (line, shape, value) of each reference, and (line, shape,
    value, reason) of each value left alone, in line order."""

    found: list[tuple[int, str, str]]
    left: list[tuple[int, str, str, str]]


def find(text: str, path: str = "values.yaml") -> Finding:
    """Run the finder on `text` (dedented) as the file `path`."""
    source = Source(path, dedent(text))
    notes: list[Ignored] = []
    refs = find_references(source, compose_all(source), notes)
    return Finding(
        [(r.line, r.shape, r.value) for r in refs],
        sorted((n.line, n.shape, n.value, n.reason) for n in notes),
    )
