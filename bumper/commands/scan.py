"""`bumper scan`: show every image reference a bump could rewrite, written out file by file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bumper.errors import ExitCode
from bumper.inventory import Inventory
from bumper.json_stream import write_object
from bumper.report import DISPLAY, VERBOSE, detail, ignored_line, info, result_line, warn


def scan(directory: str, paths: tuple[str, ...], output: str) -> ExitCode:
    found = Inventory(Path(directory), paths)
    if output == "json":
        _json(found)
        return ExitCode.OK
    for glob in found.unmatched:
        warn(f"--path {glob!r} matches no file")
    images = files = 0
    for findings in found.files():
        files += 1
        images += len(findings.images)
        for image, target in zip(findings.images, findings.policy_markers):
            policy = f" [$imagepolicy {target}]" if target is not None else ""
            where = f"{image['file']}:{image['line']}:{image['column']}"
            result_line(f"{where}: {image['shape']}: {image['value']}{policy}")
    # stderr keeps its order: what was read and left alone, then markers, then the count
    for path in found.considered:
        detail(f"bumper: considered {path}")
    for skip in found.ignored:
        detail(ignored_line(skip))
    for marker in found.unresolved:
        info(f"bumper: unresolved {marker}")
    info(f"bumper: {images} reference(s) in {files} file(s){_left_alone(found)}")
    return ExitCode.OK


def _json(found: Inventory) -> None:
    def images() -> Iterator[dict[str, Any]]:
        for findings in found.files():
            yield from findings.images

    DISPLAY.emitted = True
    write_object(
        sys.stdout,
        [
            ("images", images()),
            ("ignored", (s.as_json() for s in found.ignored)),  # complete once images are out
            ("unresolved", (u.as_json() for u in found.unresolved)),
        ],
    )
    sys.stdout.write("\n")


def _left_alone(found: Inventory) -> str:
    """`; N file(s) and M value(s) left alone`: files not read, and values naming an image a
    bump may not rewrite (placeholders, ...)."""
    ignored = found.ignored
    values = sum(1 for skip in ignored if skip.line is not None)
    counts = [f"{n} {what}" for n, what in ((len(ignored) - values, "file(s)"), (values, "value(s)")) if n]
    left = f"; {' and '.join(counts)} left alone" if ignored else ""
    if ignored and DISPLAY.level < VERBOSE:
        left += " (-v lists them)"
    return left
