"""Every image reference of a tree as `bumper scan` reports it, file by file: where, which
shape, and for a Flux `$imagepolicy` marker the policy and the image its ImageRepository watches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from bumper.changes import Skip
from bumper.files import unmatched_globs
from bumper.flux import FluxIndex, Unresolved, unresolved_in
from bumper.image_ref import repository_key
from bumper.rewrite import check_paths_match, scan_files
from bumper.shapes import MarkerPartRef, Reference, WholeRef
from bumper.shapes.policy_marker import PolicyRef
from bumper.yaml_edit import Source


class FileFindings(NamedTuple):
    """One file's part of a scan: a JSON entry per reference, the policy marker each carries."""

    images: list[dict[str, Any]]
    policy_markers: list[str | None]  # per entry of `images`: the `$imagepolicy` target, or None


class Inventory:
    """A scan of `root` (narrowed by the --path globs) read one file at a time: iterate
    `files()` and write each file's findings out, so memory does not grow with the tree.
    What accumulates is small: the files left alone, the markers resolving to nothing, the
    paths read. Exit 3 at construction when no glob selects any file."""

    def __init__(self, root: Path, paths: tuple[str, ...]) -> None:
        self.root, self.paths = root, paths
        self.unmatched = unmatched_globs(root, paths)  # --path globs selecting no file
        check_paths_match(paths, self.unmatched)
        self.ignored: list[Skip] = []
        self.unresolved: list[Unresolved] = []
        self.considered: list[str] = []  # every file read, in name order
        self._index: FluxIndex | None = None

    def files(self) -> Iterator[FileFindings]:
        for source, refs in scan_files(self.root, self.paths, self.ignored, self.considered):
            if not refs:
                continue
            if self._index is None and any(isinstance(r, PolicyRef) for r in refs):
                self._index = FluxIndex.from_tree(self.root)  # the first policy marker needs it
            self.unresolved.extend(unresolved_in(source, refs, self._index))
            yield FileFindings(
                [_entry(source, ref, self._index) for ref in refs],
                [ref.target if isinstance(ref, PolicyRef) else None for ref in refs],
            )


def take_inventory(root: Path, paths: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every reference's JSON entry, in one list (for a source tree `promote` reads whole)."""
    return [entry for found in Inventory(root, paths).files() for entry in found.images]


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
