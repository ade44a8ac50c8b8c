"""Every image reference of a tree as `bumper scan` reports it, one file at a time: where, which
shape, whether a hold holds it, and for a Flux `$imagepolicy` marker the policy and the image its
ImageRepository watches. Nothing of a file is kept once the next is read, so a scan's memory
does not grow with the tree."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from bumper.changes import Skip
from bumper.errors import ManifestError
from bumper.image_ref import repository_key
from bumper.plan.chart_values import chart_overrides
from bumper.plan.file import ignored_skip
from bumper.plan.holds import held_references, shared_with_other_images, with_other_images
from bumper.plan.image_policy import FluxIndex, Unresolved, unresolved_in
from bumper.plan.needles import MARKER_NEEDLE, SCAN_NEEDLES
from bumper.plan.paths import hidden_namer, is_hidden
from bumper.plan.rules import RunRules
from bumper.plan.select import unmatched_globs
from bumper.plan.tree import TreeObjects, check_paths_match, manifest_sources, tree_policy_paths
from bumper.shapes import has_template_syntax
from bumper.shapes.chart import PATCH_PREFIXES, UNRESOLVED_PREFIX, ChartReference
from bumper.shapes.markers import MarkerPartRef
from bumper.shapes.policy_marker import PolicyRef
from bumper.shapes.reference import Ignored, Reference, WholeRef
from bumper.shapes.walk import read_references
from bumper.yaml_edit import Node, Source, paused_gc

_MARKER_TEXTS = ("$bumper", MARKER_NEEDLE.decode())


class FileFindings(NamedTuple):
    """One file's part of a scan: a JSON entry per reference, in file order, and the
    `$imagepolicy` target of each (None for the others)."""

    images: list[dict[str, Any]]
    policy_markers: list[str | None]


class TreeScan:
    """A scan of `root`, narrowed by the --path globs, read one file at a time: iterate
    `files()` and write each file's findings out as it comes. What accumulates is what is
    listed after the references: the files and values left alone (`ignored`) and the markers
    that resolve to nothing (`unresolved`), in file order. Exit 3 at construction when no glob
    selects any file. `considered` hears each file looked at, in name order (-v)."""

    def __init__(
        self, root: Path, paths: tuple[str, ...], considered: Callable[[str], None] | None = None
    ) -> None:
        self.root, self.paths = root, paths
        self.unmatched = unmatched_globs(root, paths)  # --path globs selecting no file
        check_paths_match(paths, self.unmatched)
        self.ignored: list[Skip] = []
        self.unresolved: list[Unresolved] = []
        # kustomize entries renaming an image and setting its tag or digest (`name: app`,
        # `newName: mirror/app`, `newTag: v2`), as entries of the image they rename: what the
        # tree runs of that image (promote reads them beside the references)
        self.renamed: list[dict[str, Any]] = []
        # The values of `ignored` left alone that name a known image or chart (a range, a
        # placeholder), by its key: promote says why --from holds no version of it
        self.left_alone: list[tuple[str, Skip]] = []
        self._considered = considered
        self._objects = TreeObjects(root)
        # Markers are looked for where --path alone selects a file: a hidden file that only a
        # `.bumper.yaml` rule names is scanned for references, not for markers (as before).
        self._names_hidden = hidden_namer((paths,))

    def files(self) -> Iterator[FileFindings]:
        """Each file's findings, in name order; files without a reference are skipped."""
        # Without -v nothing lists the files looked at: the walk then takes further only what
        # grep found (a chart's templates/ is not even listed).
        looked_at: list[str] | None = [] if self._considered is not None else None
        named = tree_policy_paths(self.root)
        walk = manifest_sources(self.root, self.paths, SCAN_NEEDLES, self.ignored, None, looked_at, named)
        for source, _ in walk:
            self._tell(looked_at)
            # The collector waits for the file's whole scan, when its node graph is gone: resumed
            # after each compose, it walked every node of the graph still in use.
            with paused_gc():
                found = self._file(source)
            if found is not None and found.images:
                yield found
        self._tell(looked_at)

    def _tell(self, looked_at: list[str] | None) -> None:
        if self._considered is not None and looked_at is not None:
            for path in looked_at:
                self._considered(path)
            looked_at.clear()

    def _file(self, source: Source) -> FileFindings | None:
        try:
            docs, refs, notes, shared = read_references(source)
        except ManifestError as exc:
            why = "template" if has_template_syntax(source.text) else f"unparseable: {exc.message}"
            self.ignored.append(Skip(source.path, exc.line, None, None, why))
            return None
        refs = chart_overrides(source, str(self.root / source.path), docs, refs, notes)
        held = held_references(source, docs, refs, RunRules(), shared)
        self._markers(source, docs, refs, notes)
        if shared:  # another image reached through an anchor the walk reported once
            refs = with_other_images(refs, shared, shared_with_other_images(refs, shared))
        notes = sorted(notes, key=lambda n: n.line)
        self.ignored.extend(ignored_skip(source, note) for note in notes)
        if any(n.key and n.key.startswith((UNRESOLVED_PREFIX, *PATCH_PREFIXES)) for n in notes):  # a range
            notes = [self._objects.charts().resolve_note(note) for note in notes]
        self.left_alone += [(n.key, ignored_skip(source, n)) for n in notes if n.key is not None]
        self.renamed += [_renaming(source, ref) for ref in refs if _renames(ref)]
        marks = [id(ref) in held for ref in refs]  # before a HelmRelease pin is resolved anew
        if any(_unsettled(r.innermost()) for r in refs):
            charts = self._objects.charts()
            refs = [charts.resolve(ref) for ref in refs]
            # A patch's version the tree ties to no chart (a git source's revision, a release
            # defined elsewhere) is no pin: never listed.
            kept = [not _patch_of_nothing(r.innermost()) for r in refs]
            refs = [r for r, keep in zip(refs, kept) if keep]
            marks = [m for m, keep in zip(marks, kept) if keep]
        flux = self._objects.flux() if any(isinstance(r, PolicyRef) for r in refs) else None
        return FileFindings(
            [_entry(source, ref, flux, mark) for ref, mark in zip(refs, marks)],
            [ref.target if isinstance(ref, PolicyRef) else None for ref in refs],
        )

    def _markers(self, source: Source, docs: list[Node], refs: list[Reference], notes: list[Ignored]) -> None:
        """The file's markers that resolve to no image (none without a marker comment; `notes`:
        the values the walk left alone)."""
        if not any(text in source.text for text in _MARKER_TEXTS):
            return
        if is_hidden(source.path) and not self._names_hidden(source.path):
            return
        flux = self._objects.flux() if any(isinstance(r, PolicyRef) for r in refs) else None
        self.unresolved.extend(unresolved_in(source, docs, refs, flux, notes))


def _renames(ref: Reference) -> bool:
    """A kustomize entry renaming an image that sets the tag or digest it runs."""
    return ref.inherits_from is not None and (ref.ref.tag is not None or ref.ref.digest is not None)


def _renaming(source: Source, ref: Reference) -> dict[str, Any]:
    """A renaming entry as an entry of the image it renames, at the version it runs."""
    renamed = ref.inherits_from
    assert renamed is not None
    return {
        "file": source.path,
        "line": ref.line,
        "value": f"{renamed.name} renamed to {ref.value}",
        "registry": renamed.registry,
        "repository": renamed.repository,
        "tag": ref.ref.tag,
        "digest": ref.ref.digest,
    }


class Inventory(NamedTuple):
    """A whole scan in memory (a `promote` reads the few files of its --from this way)."""

    images: list[dict[str, Any]]
    policy_markers: list[str | None]  # per entry of `images`: the `$imagepolicy` target, or None
    ignored: list[Skip]
    unresolved: list[Unresolved]
    considered: list[str]  # every file read, in name order
    unmatched: list[str]  # --path globs selecting no file
    renamed: list[dict[str, Any]]  # TreeScan.renamed
    left_alone: list[tuple[str, Skip]]  # TreeScan.left_alone


def take_inventory(root: Path, paths: tuple[str, ...]) -> Inventory:
    """Scan `root` (narrowed by the --path globs) into lists; exit 3 when no glob selects any file."""
    considered: list[str] = []
    scan = TreeScan(root, paths, considered.append)
    images: list[dict[str, Any]] = []
    markers: list[str | None] = []
    for found in scan.files():
        images += found.images
        markers += found.policy_markers
    return Inventory(
        images,
        markers,
        scan.ignored,
        scan.unresolved,
        considered,
        scan.unmatched,
        scan.renamed,
        scan.left_alone,
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


def _unsettled(ref: Reference) -> bool:
    """A chart pin the tree's chart sources resolve (a HelmRelease's sourceRef, a patch's object)."""
    return isinstance(ref, ChartReference) and bool(ref.flux_source or ref.patched)


def _patch_of_nothing(ref: Reference) -> bool:
    """A patch's version the tree's chart sources left unresolved."""
    return isinstance(ref, ChartReference) and ref.patched is not None
