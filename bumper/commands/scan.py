"""`bumper scan`: show every image reference a bump could rewrite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bumper.errors import ExitCode
from bumper.files import unmatched_globs
from bumper.flux import FluxIndex, unresolved_in
from bumper.image_ref import repository_key
from bumper.report import DISPLAY, VERBOSE, detail, emit_json, ignored_line, info, result_line, warn
from bumper.rewrite import check_paths_match, scan_tree
from bumper.shapes import MarkerPartRef, Reference, WholeRef
from bumper.shapes.policy_marker import PolicyRef
from bumper.yaml_edit import Source


def scan(directory: str, paths: tuple[str, ...], output: str) -> ExitCode:
    root = Path(directory)
    unmatched = unmatched_globs(root, paths)
    check_paths_match(paths, unmatched)
    considered: list[str] = []
    found, ignored = scan_tree(root, paths, considered)
    index = FluxIndex.from_tree(Path(directory)) if any(isinstance(r, PolicyRef) for _, r in found) else None
    images = [_entry(source, ref, index) for source, ref in found]
    by_file: dict[str, tuple[Source, list[Reference]]] = {}
    for source, ref in found:
        by_file.setdefault(source.path, (source, []))[1].append(ref)
    unresolved = [u for source, refs in by_file.values() for u in unresolved_in(source, refs, index)]
    if output == "json":
        emit_json(
            {
                "images": images,
                "ignored": [s.as_json() for s in ignored],
                "unresolved": [u.as_json() for u in unresolved],
            }
        )
        return ExitCode.OK
    for glob in unmatched:
        warn(f"--path {glob!r} matches no file")
    for path in considered:
        detail(f"bumper: considered {path}")
    for skip in ignored:
        detail(ignored_line(skip))
    for image, (_, ref) in zip(images, found):
        policy = f" [$imagepolicy {ref.target}]" if isinstance(ref, PolicyRef) else ""
        where = f"{image['file']}:{image['line']}:{image['column']}"
        result_line(f"{where}: {image['shape']}: {image['value']}{policy}")
    for marker in unresolved:
        info(f"bumper: unresolved {marker}")
    files = len({image["file"] for image in images})
    left = f"; {len(ignored)} file(s) left alone" if ignored else ""
    if ignored and DISPLAY.level < VERBOSE:
        left += " (-v lists them)"
    info(f"bumper: {len(images)} reference(s) in {files} file(s){left}")
    return ExitCode.OK


def _entry(source: Source, ref: Reference, index: FluxIndex | None) -> dict[str, Any]:
    image = ref.ref
    entry: dict[str, Any] = {
        "file": source.path,
        "line": ref.line,
        "column": ref.column(source),
        "shape": ref.shape,
        "value": ref.value,
        "registry": image.registry or None,
        "repository": image.repository or None,
        "tag": image.tag,
        "digest": image.digest,
    }
    if isinstance(ref, PolicyRef):
        resolved, _ = index.resolve(ref.policy) if index is not None else (None, "")
        if ref.part != "whole" and resolved is not None:
            registry, _, repository = (repository_key(resolved) or "/").partition("/")
            entry.update(registry=registry, repository=repository)
        entry.update(policy=ref.policy, part=ref.part)
    elif isinstance(ref, MarkerPartRef):
        entry.update(policy=None, part=ref.part)
    elif isinstance(ref, WholeRef) and ref.shape == "marker":
        entry.update(policy=None, part="whole")
    return entry
