"""`bumper scan`: show every image reference a bump could rewrite."""

from __future__ import annotations

from pathlib import Path

from bumper.errors import ExitCode
from bumper.plan.inventory import take_inventory
from bumper.report import DISPLAY, VERBOSE, detail, emit_json, ignored_line, info, result_line, warn


def scan(directory: str, paths: tuple[str, ...], output: str) -> ExitCode:
    found = take_inventory(Path(directory), paths)
    if output == "json":
        emit_json(
            {
                "images": found.images,
                "ignored": [s.as_json() for s in found.ignored],
                "unresolved": [u.as_json() for u in found.unresolved],
            }
        )
        return ExitCode.OK
    for glob in found.unmatched:
        warn(f"--path {glob!r} matches no file")
    for path in found.considered:
        detail(f"bumper: considered {path}")
    for skip in found.ignored:
        detail(ignored_line(skip))
    for image, target in zip(found.images, found.policy_markers):
        policy = f" [$imagepolicy {target}]" if target is not None else ""
        policy += " [held]" if image.get("held") else ""
        where = f"{image['file']}:{image['line']}:{image['column']}"
        result_line(f"{where}: {image['shape']}: {image['value']}{policy}")
    for marker in found.unresolved:
        info(f"bumper: unresolved {marker}")
    files = len({image["file"] for image in found.images})
    ignored = found.ignored
    # files not read, and values naming an image that a bump may not rewrite (placeholders, ...)
    values = sum(1 for skip in ignored if skip.line is not None)
    counts = [f"{n} {what}" for n, what in ((len(ignored) - values, "file(s)"), (values, "value(s)")) if n]
    left = f"; {' and '.join(counts)} left alone" if ignored else ""
    if ignored and DISPLAY.level < VERBOSE:
        left += " (-v lists them)"
    info(f"bumper: {len(found.images)} reference(s) in {files} file(s){left}")
    return ExitCode.OK
