"""Every image reference of a tree as `bumper scan` reports it: where, which shape, and for a
Flux `$imagepolicy` marker the policy and the image its ImageRepository watches."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from bumper.changes import Skip
from bumper.image_ref import repository_key
from bumper.plan.image_policy import FluxIndex, Unresolved, unresolved_in
from bumper.plan.select import unmatched_globs
from bumper.plan.tree import check_paths_match, scan_tree
from bumper.shapes import MarkerPartRef, Reference, WholeRef
from bumper.shapes.policy_marker import PolicyRef
from bumper.yaml_edit import Source


class Inventory(NamedTuple):
    """What a scan found: one JSON entry per reference (with the policy marker it carries,
    if any), the files left alone, markers that resolve to nothing, what was read."""

    images: list[dict[str, Any]]
    policy_markers: list[str | None]  # per entry of `images`: the `$imagepolicy` target, or None
    ignored: list[Skip]
    unresolved: list[Unresolved]
    considered: list[str]  # every file read, in name order
    unmatched: list[str]  # --path globs selecting no file


def take_inventory(root: Path, paths: tuple[str, ...]) -> Inventory:
    """Scan `root` (narrowed by the --path globs); exit 3 when no glob selects any file."""
    unmatched = unmatched_globs(root, paths)
    check_paths_match(paths, unmatched)
    considered: list[str] = []
    found, ignored = scan_tree(root, paths, considered)
    index = FluxIndex.from_tree(root) if any(isinstance(r, PolicyRef) for _, r in found) else None
    by_file: dict[str, tuple[Source, list[Reference]]] = {}
    for source, ref in found:
        by_file.setdefault(source.path, (source, []))[1].append(ref)
    return Inventory(
        images=[_entry(source, ref, index) for source, ref in found],
        policy_markers=[ref.target if isinstance(ref, PolicyRef) else None for _, ref in found],
        ignored=ignored,
        unresolved=[u for source, refs in by_file.values() for u in unresolved_in(source, refs, index)],
        considered=considered,
        unmatched=unmatched,
    )


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
