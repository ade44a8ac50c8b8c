"""`bumper scan`: show every image reference a bump could rewrite, written out file by file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bumper.errors import ExitCode
from bumper.plan.inventory import TreeScan
from bumper.report import DISPLAY, VERBOSE, detail, ignored_line, info, open_json_stream, result_line, warn


def scan(directory: str, paths: tuple[str, ...], output: str) -> ExitCode:
    if output == "json":
        _json(TreeScan(Path(directory), paths))
        return ExitCode.OK
    found = TreeScan(Path(directory), paths, _considered if DISPLAY.level >= VERBOSE else None)
    for glob in found.unmatched:
        warn(f"--path {glob!r} matches no file")
    images = files = 0
    for findings in found.files():
        files += 1
        images += len(findings.images)
        for image, target in zip(findings.images, findings.policy_markers):
            policy = f" [$imagepolicy {target}]" if target is not None else ""
            policy += " [held]" if image.get("held") else ""
            where = f"{image['file']}:{image['line']}:{image['column']}"
            result_line(f"{where}: {image['shape']}: {image['value']}{policy}")
    # on stderr as before the references were written out as they came: what was read (-v, as
    # it is read), what was left alone (-v), the markers resolving to nothing, the count
    for skip in found.ignored:
        detail(ignored_line(skip))
    for marker in found.unresolved:
        info(f"bumper: unresolved {marker}")
    info(f"bumper: {images} reference(s) in {files} file(s){_left_alone(found)}")
    return ExitCode.OK


def _considered(path: str) -> None:
    detail(f"bumper: considered {path}")


def _json(found: TreeScan) -> None:
    """`{"images": [...], "ignored": [...], "unresolved": [...]}`, the images written as each
    file is read; the other two lists are complete once the images are out."""

    def images() -> Iterator[dict[str, Any]]:
        for findings in found.files():
            yield from findings.images

    out = open_json_stream()
    out.write_list("images", images())
    out.write_list("ignored", (skip.as_json() for skip in found.ignored))
    out.write_list("unresolved", (marker.as_json() for marker in found.unresolved))
    out.close()


def _left_alone(found: TreeScan) -> str:
    """`; N file(s) and M value(s) left alone`: files not read, and values naming an image a
    bump may not rewrite (placeholders, ...)."""
    ignored = found.ignored
    values = sum(1 for skip in ignored if skip.line is not None)
    counts = [f"{n} {what}" for n, what in ((len(ignored) - values, "file(s)"), (values, "value(s)")) if n]
    left = f"; {' and '.join(counts)} left alone" if ignored else ""
    if ignored and DISPLAY.level < VERBOSE:
        left += " (-v lists them)"
    return left
