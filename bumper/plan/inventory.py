"""Every image reference of a tree as `bumper scan` reports it: where, which shape, and for a
Flux `$imagepolicy` marker the policy and the image its ImageRepository watches."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from bumper.changes import Skip
from bumper.image_ref import repository_key
from bumper.plan.chart_sources import ChartSources
from bumper.plan.image_policy import FluxIndex, Unresolved, unresolved_markers
from bumper.plan.select import unmatched_globs
from bumper.plan.tree import check_paths_match, scan_tree
from bumper.shapes.chart import ChartReference
from bumper.shapes.markers import MarkerPartRef
from bumper.shapes.policy_marker import PolicyRef
from bumper.shapes.reference import Reference, WholeRef
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
    held: set[int] = set()
    found, ignored = scan_tree(root, paths, considered, held)
    marks = [id(ref) in held for _, ref in found]  # before a HelmRelease pin is resolved anew
    if any(isinstance(r, ChartReference) and r.flux_source for _, r in found):  # HelmRelease pins
        charts = ChartSources.from_tree(root)
        found = [(source, charts.resolve(ref)) for source, ref in found]
    index = FluxIndex.from_tree(root) if any(isinstance(r, PolicyRef) for _, r in found) else None
    return Inventory(
        images=[_entry(source, ref, index, mark) for (source, ref), mark in zip(found, marks)],
        policy_markers=[ref.target if isinstance(ref, PolicyRef) else None for _, ref in found],
        ignored=ignored,
        # every file with a marker, also one where no marker found a value (a nested map)
        unresolved=unresolved_markers(root, paths, index),
        considered=considered,
        unmatched=unmatched,
    )


def _entry(source: Source, ref: Reference, index: FluxIndex | None, held: bool) -> dict[str, Any]:
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
    if held:  # a `# bumper: hold` line holds it (or a use of its anchored value)
        entry["held"] = True
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
