"""The tree's Flux HelmRepository objects, which resolve a HelmRelease's `sourceRef` to a chart source.

A HelmRelease names its chart (`spec.chart.spec.chart`) and a HelmRepository by namespace and
name; the repository's `spec.url` (`https://…`, or `oci://…` with `type: oci`) is the source a
chart REF names. The objects may live in any file of the tree, as Flux ImagePolicy objects do
(bumper.plan.image_policy), so they are indexed once per run and the planner resolves each pin through them.
A pin whose repository is missing, or is defined with different URLs, stays unresolved: it
matches no REF and is never guessed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.chart_ref import ChartRef, source_of
from bumper.errors import ManifestError
from bumper.image_ref import ImageRef
from bumper.plan.needles import (
    ARGO_NEEDLE,
    CHART_SOURCE_NEEDLE,
    HELM_CHART_NEEDLE,
    JSON_PATCH_NEEDLES,
    MANIFEST_SUFFIXES,
    OCI_SOURCE_NEEDLE,
    PATCH_TARGET_NEEDLE,
    RELEASE_NEEDLE,
    UPWARD_NEEDLE,
)
from bumper.plan.select import read_tree
from bumper.shapes import KUSTOMIZATION_NAMES, KUSTOMIZE_API, is_kustomization
from bumper.shapes.chart import (
    PATCH_PREFIXES,
    PATCHED_KINDS,
    UNRESOLVED_PREFIX,
    ChartReference,
    argo_chart,
    json_patch_operations,
    oci_chart,
    switches_chart,
)
from bumper.shapes.embedded import EmbeddedRef
from bumper.shapes.nodes import merged_pairs
from bumper.shapes.reference import Ignored, Reference
from bumper.yaml_edit import Source, compose_all

_NEEDLE_TEXT = CHART_SOURCE_NEEDLE.decode()
_ARGO_TEXT = ARGO_NEEDLE.decode()  # an Argo CD Application a patch may set the version of
_RELEASE_TEXT = RELEASE_NEEDLE.decode()  # a HelmRelease, or a patch switching its chart
_HELM_CHART_TEXT = HELM_CHART_NEEDLE.decode()  # a Flux HelmChart (a HelmRelease's chartRef)
_OCI_TEXT = OCI_SOURCE_NEEDLE.decode()  # an OCIRepository a patch may set the tag of
_TARGET_TEXT = PATCH_TARGET_NEEDLE.decode()  # a kustomization applying a patch by its target
_JSON_TEXTS = tuple(n.decode() for n in JSON_PATCH_NEEDLES)  # a JSON 6902 patch of a chart's object
_UPWARD_TEXT = UPWARD_NEEDLE.decode()  # a kustomization building another folder (an overlay's overlay)
# The (chart, source) of an object that names a chart or source bumper cannot tie to one chart
# source: a patch switching the chart (`chart: podinfo-enterprise` alone), a chart from a
# GitRepository or a git path. A version-only patch of that name is then never resolved.
_OTHER = ("", "another chart or source", "", "")
UNRESOLVED = "unresolved-source"  # a HelmRelease whose HelmRepository the tree does not settle
OVERLAY_PATCH = "overlay-patch"  # a patch's version of a REF's chart that is left as it is
# The object a kustomization applies a patch to, as its `target:` names it: (kind, namespace,
# name); None when it names no one object (no kind or name, a label or annotation selector).
_Object = tuple[str, str, str]
_Application = _Object | None
_NO_ONE = "that names no one object (no kind or name, a label or annotation selector)"
_API_PREFIX = "source.toolkit.fluxcd.io/"


@dataclass(frozen=True)
class ChartSources:
    """HelmRepository URLs by (namespace, name); namespace "" when the object sets none."""

    urls: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    # The objects a patch may set the version of, by (kind, namespace, name): each one's (chart,
    # source URL) for an Argo CD Application, (chart, "", sourceRef namespace, sourceRef name)
    # for a HelmRelease (its URL is the HelmRepository's)
    patchable: dict[tuple[str, str, str], frozenset[tuple[str, ...]]] = field(default_factory=dict)
    # The patch files a kustomization applies by a `target:` that may select another object than
    # the one the patch's metadata names (another kind or name, a label or annotation selector):
    # kustomize patches the target, so the metadata's chart is no guide and the version stays.
    retargeted: frozenset[str] = frozenset()
    # Each patch a kustomization applies by `target:`, keyed (file, -1) for a patch file and
    # (kustomization, line of the `patch:` block) for one written inline: the objects the
    # kustomizations apply it to (a JSON 6902 patch names none itself; a retargeted patch file's
    # version moves when they are all one chart's).
    applied: dict[tuple[str, int], frozenset[_Application]] = field(default_factory=dict)
    # The JSON 6902 patches that also name another chart or source (`/spec/chart/spec/chart`).
    switched: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def from_tree(cls, root: Path, only: frozenset[str] | None = None) -> ChartSources:
        """Read every manifest of the tree (never narrowed by --path) that names a HelmRepository."""
        return cls.from_sources(read_tree(root, (CHART_SOURCE_NEEDLE,), only))

    @classmethod
    def from_sources(cls, sources: Iterable[Source]) -> ChartSources:
        """The HelmRepository objects in `sources`; a file that does not parse adds none."""
        urls: dict[tuple[str, str], set[str]] = {}
        patchable: dict[tuple[str, str, str], set[tuple[str, ...]]] = {}
        # patch file: (kind, name, what the kustomization builds: the files and folders its
        # `resources:` and `components:` name, for a target naming no object)
        targets: dict[str, set[tuple[str | None, str | None, tuple[str, ...]]]] = {}
        named: dict[str, set[tuple[str | None, str | None]]] = {}  # a file's objects: (kind, name)
        applied: dict[tuple[str, int], set[_Application]] = {}
        switched: set[tuple[str, int]] = set()
        builds: dict[str, tuple[str, ...]] = {}  # a kustomization's folder: what it builds
        for source in sources:
            if not _may_matter(source):
                continue
            try:
                docs = compose_all(source)
            except ManifestError:
                continue  # planned files report their own parse errors; this one names no pin
            for doc in docs:
                _targets(source.path, doc, targets, builds)
                _applications(source.path, doc, applied, switched)
                if switches_chart(json_patch_operations(doc)):
                    switched.add((source.path, -1))
                named.setdefault(source.path, set()).add(_identity(doc))
                found = _repository(doc)
                if found is not None:
                    key, url = found
                    urls.setdefault(key, set()).add(url)
                for obj in (doc, *_inline_patches(source.path, doc)):
                    target = _release(obj) or argo_chart(obj) or oci_chart(obj) or _other_chart(obj)
                    if target is not None:
                        patchable.setdefault(target[0], set()).add(target[1])
        retargeted = frozenset(
            path
            for path, selected in targets.items()
            if any(not _selects(target, named.get(path, set()), named, builds) for target in selected)
        )
        for switch in switched:  # the object a JSON 6902 patch switches names another chart
            for switched_object in applied.get(switch, ()):
                if switched_object is not None:
                    patchable.setdefault(switched_object, set()).add(_OTHER)
        return cls(
            {key: frozenset(found) for key, found in urls.items()},
            {key: frozenset(found) for key, found in patchable.items()},
            retargeted,
            {key: frozenset(found) for key, found in applied.items()},
            frozenset(switched),
        )

    def settle(
        self, refs: list[Reference], notes: list[Ignored], wanted: Mapping[str, ImageRef]
    ) -> tuple[list[Reference], list[Ignored]]:
        """A file's references and notes with every HelmRelease pin resolved where the tree
        settles its source, and a note on each pin of a `wanted` chart that stays unresolved."""
        resolved = [self.resolve(ref) for ref in refs]
        moved = [self.resolve_note(note) for note in notes]
        return resolved, moved + self.unresolved(resolved, wanted)

    def resolve(self, ref: Reference) -> Reference:
        """`ref` with its HelmRepository resolved to the source URL; unchanged when it is no
        HelmRelease pin or its repository is not exactly one URL of the tree. A pin inside a
        block (a kustomization's inline `patch: |`) is resolved the same way."""
        if isinstance(ref, EmbeddedRef) and ref.inner is not None:
            if isinstance(ref.inner, ChartReference) and ref.inner.patched is not None:
                if posixpath.basename(ref.inner.patch_file or "") not in KUSTOMIZATION_NAMES:
                    return ref  # a Flux Kustomization's `spec.patches`: its targets are not read
                inner: Reference = self._resolve_patch(ref.inner, _block_line(ref))
            else:
                inner = self.resolve(ref.inner)
            return ref if inner is ref.inner else replace(ref, ref=inner.ref, inner=inner)
        if isinstance(ref, ChartReference) and ref.patched is not None:
            return self._resolve_patch(ref, -1)
        if not isinstance(ref, ChartReference) or ref.flux_source is None:
            return ref
        url = self._url(*ref.flux_source)
        if url is None:
            return ref
        moved = ChartRef.at(url, ref.ref.repository, ref.ref.tag)
        return replace(ref, ref=moved, flux_source=None)

    def _resolve_patch(self, ref: ChartReference, block: int) -> ChartReference:
        """A patch's version resolved to the one chart every object it is applied to names."""
        pairs, why = self._patch_charts(ref, block)
        if why is not None:
            return ref
        chart, url = next(iter(pairs))
        return replace(ref, ref=ChartRef.at(url, chart, ref.ref.tag), patched=None)

    def _patch_charts(self, ref: ChartReference, block: int) -> tuple[set[tuple[str, str]], str | None]:
        """The (chart, source) pairs a patch's version may be of, and why it is left as it is
        (None: it is exactly one pair's). `block`: the line of an inline patch's block, -1 for a
        patch file."""
        assert ref.patched is not None
        kind = ref.patched[0]
        objects, why = self._patched_objects(ref, block)
        if objects is None:  # the object is unknown: it may be any of that kind's
            found = (self._settled(entries) for (kd, _, _), entries in self.patchable.items() if kd == kind)
            return {pair for pairs in found for pair in pairs}, why
        candidates = [self._candidates(*obj) for obj in objects]
        pairs = {(c, u) for found in candidates for c, u in found if u is not None}
        shown = ", ".join(sorted(_shown(o) for o in objects))
        if why is None and any(len(found) != 1 or None in {u for _, u in found} for found in candidates):
            why = (
                f"an object it is applied to ({shown}) is named with another chart or source too (a "
                "patch switching its chart), or its chart source is not in the tree"
            )
        if why is None and len(pairs) != 1:
            why = f"it is applied to objects of different charts ({shown}); write one patch for each"
        return pairs, why

    def _patched_objects(self, ref: ChartReference, block: int) -> tuple[set[_Object] | None, str | None]:
        """The objects a patch is applied to (None: unknown) and why it is left alone, if it is
        so whatever they are."""
        assert ref.patched is not None and ref.patch_file is not None
        kind, _, name = ref.patched
        key = (ref.patch_file, block)
        applied = self.applied.get(key, frozenset())
        if name:  # its own metadata names it; a kustomization may apply it to others too
            if ref.patch_file not in self.retargeted:
                return {ref.patched}, None
            if None in applied:
                return None, f"a kustomization applies it by a `target:` {_NO_ONE}"
            return {ref.patched, *(obj for obj in applied if obj is not None)}, None
        if not applied:
            return None, "no kustomization of the tree applies this JSON 6902 patch by a `target:`"
        if None in applied or any(obj[0] != kind for obj in applied if obj is not None):
            said = "no kind or name, another kind, a label or annotation selector"
            return (
                None,
                f"a kustomization applies this JSON 6902 patch by a `target:` naming no one {kind} ({said})",
            )
        objects = {obj for obj in applied if obj is not None}
        if key in self.switched:
            return objects, "the same JSON 6902 patch also names another chart or source"
        return objects, None

    def _candidates(self, kind: str, namespace: str, name: str) -> set[tuple[str, str | None]]:
        """(chart, source URL or None) of each object `kind`/`name` in `namespace` ("": unknown)."""
        return {
            (entry[0], None if entry == _OTHER else entry[1] or self._url(entry[2] or ns, entry[3]))
            for (kd, ns, nm), entries in self.patchable.items()
            if kd == kind and nm == name and (ns == namespace or not ns or not namespace)
            for entry in entries
        }

    def _settled(self, entries: frozenset[tuple[str, ...]]) -> set[tuple[str, str]]:
        found = {(entry[0], entry[1] or self._url(entry[2], entry[3])) for entry in entries}
        return {(chart, url) for chart, url in found if url}

    def resolve_note(self, note: Ignored) -> Ignored:
        """A note on a HelmRelease pin (a range, a placeholder) keyed by the resolved source."""
        if note.key is not None and note.key.startswith(PATCH_PREFIXES):
            parts = note.key.split("/")
            patched = None
            if len(parts) == 3:
                patched = self._patched(parts[0], "" if parts[1] == "-" else parts[1], parts[2])
            if patched is None:
                return note
            key = f"{patched[1]}/{patched[0]}"
            return note._replace(key=key, value=key + note.value[len(note.key) :])
        if note.key is None or not note.key.startswith(UNRESOLVED_PREFIX):
            return note
        parts = note.key.split("/")
        if len(parts) != 4:
            return note
        url = self._url("" if parts[1] == "-" else parts[1], parts[2])
        if url is None:
            return note
        key = f"{url}/{parts[3]}"
        return note._replace(key=key, value=key + note.value[len(note.key) :])

    def unresolved(self, refs: Iterable[Reference], wanted: Mapping[str, ImageRef]) -> list[Ignored]:
        """Notes on the HelmRelease pins left unresolved whose chart a chart REF names (the
        release may be that chart; it is never guessed): reason `unresolved-source: why`; and
        on the patches' versions left as they are that may be a REF's chart's: `overlay-patch: why`."""
        charts: dict[str, str] = {}
        for given in wanted.values():
            if isinstance(given, ChartRef):
                charts.setdefault(given.repository, given.key)
        notes: list[Ignored] = []
        if not charts:
            return notes
        keys = set(charts.values())
        for ref in refs:
            if isinstance(ref, ChartReference) and ref.flux_source and ref.ref.repository in charts:
                unresolved = f"{UNRESOLVED}: {self._why(*ref.flux_source)}"
                notes.append(Ignored(ref.line, ref.shape, ref.value, unresolved, charts[ref.ref.repository]))
            patch, block = _patch_of(ref)
            if patch is None:
                continue
            pairs, why = self._patch_charts(patch, block) if block != _FLUX else self._flux_patch(patch)
            for chart, url in sorted(pairs):
                key = ChartRef.at(url, chart, None).key
                if why is not None and key in keys:
                    reason = f"{OVERLAY_PATCH}: {why}; the version stays"
                    notes.append(Ignored(ref.line, ref.shape, f"{key}:{patch.ref.tag}", reason, key))
                    break
        return notes

    def _flux_patch(self, ref: ChartReference) -> tuple[set[tuple[str, str]], str]:
        """The (chart, source) pairs of the object a Flux Kustomization's `spec.patches` patch
        names in its metadata, and why it is left: Flux applies it by a target bumper does not
        read (it said nothing, and what it deploys kept its version)."""
        assert ref.patched is not None
        pairs = {(c, u) for c, u in self._candidates(*ref.patched) if u is not None}
        return pairs, "a Flux Kustomization's spec.patches applies it by a target bumper does not read"

    def _patched(self, kind: str, namespace: str, name: str) -> tuple[str, str] | None:
        """(chart, source URL) of the object `kind`/`name` a patch in `namespace` ("": unknown)
        sets the version of: only when every such object the tree holds names one chart of one
        source the tree settles; otherwise never guessed."""
        found = self._candidates(kind, namespace, name)
        if len(found) != 1:
            return None
        chart, url = found.pop()
        return None if url is None or (chart, url) == _OTHER[:2] else (chart, url)

    def _url(self, namespace: str, name: str) -> str | None:
        """The one URL of the HelmRepository `name` a release in `namespace` ("": unknown) uses."""
        found = self._urls(namespace, name)
        return found.pop() if len(found) == 1 else None

    def _urls(self, namespace: str, name: str) -> set[str]:
        return {
            url
            for (ns, nm), urls in self.urls.items()
            if nm == name and (ns == namespace or not ns or not namespace)
            for url in urls
        }

    def _why(self, namespace: str, name: str) -> str:
        found = self._urls(namespace, name)
        where = f"{namespace}/{name}" if namespace else name
        if not found:
            return f"no HelmRepository {where} with an https://, http:// or oci:// spec.url in the tree"
        return f"HelmRepository {where} is defined with different URLs ({', '.join(sorted(found))})"


_FLUX = -2  # the "block line" of a Flux Kustomization's `spec.patches` patch (its targets unread)


def _patch_of(ref: Reference) -> tuple[ChartReference | None, int]:
    """A patch's version pin left unresolved (in a kustomization's block too) and its block's
    line; `_FLUX` for one in a Flux Kustomization's `spec.patches`."""
    if isinstance(ref, EmbeddedRef) and isinstance(ref.inner, ChartReference):
        inner = ref.inner
        if inner.patched is None:
            return None, -1
        if posixpath.basename(inner.patch_file or "") in KUSTOMIZATION_NAMES:
            return inner, _block_line(ref)
        return inner, _FLUX
    if isinstance(ref, ChartReference) and ref.patched is not None:
        return ref, -1
    return None, -1


def _block_line(ref: EmbeddedRef) -> int:
    """The 0-based line of the block scalar an embedded reference is in."""
    return ref.doc.node.start_mark.line if ref.doc is not None else -1


def _shown(obj: _Object) -> str:
    kind, namespace, name = obj
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _repository(doc: object) -> tuple[tuple[str, str], str] | None:
    if type(doc) is not MappingNode:
        return None
    root = merged_pairs(doc)
    api, kind = _value(root, "apiVersion"), _value(root, "kind")
    if not (api or "").startswith(_API_PREFIX) or kind != "HelmRepository":
        return None
    metadata = root.get("metadata")
    spec = root.get("spec")
    meta = merged_pairs(metadata) if type(metadata) is MappingNode else {}
    pairs = merged_pairs(spec) if type(spec) is MappingNode else {}
    name, url = _value(meta, "name"), _value(pairs, "url")
    if not name or not url:
        return None
    oci = _value(pairs, "type") == "oci"
    source = source_of(url)
    if source is None or source.startswith("oci://") != oci:
        return None  # Flux refuses an oci:// URL without `type: oci`, and the reverse
    return (_value(meta, "namespace") or "", name), source


def _release(doc: Node) -> tuple[tuple[str, str, str], tuple[str, ...]] | None:
    """A HelmRelease (a Flux HelmChart, which a HelmRelease's `chartRef` names) naming its chart
    and a HelmRepository: ((kind, namespace, name), (chart, "", sourceRef namespace, sourceRef
    name)); the sourceRef's namespace "" when it sets none."""
    if type(doc) is not MappingNode:
        return None
    root = merged_pairs(doc)
    api, kind = _value(root, "apiVersion") or "", _value(root, "kind")
    if api.startswith(_API_PREFIX) and kind == "HelmChart":
        spec = _pairs(root, "spec")
    elif api.startswith("helm.toolkit.fluxcd.io/") and kind == "HelmRelease":
        spec = _pairs(_pairs(_pairs(root, "spec"), "chart"), "spec")
    else:
        return None
    meta = _pairs(root, "metadata")
    source = _pairs(spec, "sourceRef")
    name, chart, source_name = _value(meta, "name"), _value(spec, "chart"), _value(source, "name")
    if not name or not chart or not source_name or _value(source, "kind") != "HelmRepository":
        return None
    namespace = _value(meta, "namespace") or ""
    return (kind, namespace, name), (chart, "", _value(source, "namespace") or "", source_name)


def _other_chart(doc: Node) -> tuple[tuple[str, str, str], tuple[str, ...]] | None:
    """A HelmRelease (an Argo CD Application, ApplicationSet) naming a chart or its source that
    is no chart of a HelmRepository (a repository URL): an overlay's patch switching the chart
    (production's `chart: podinfo-enterprise`, its version set by another patch), or a chart
    from git. A version-only patch of that object's name may be this chart's: never guessed."""
    if type(doc) is not MappingNode:
        return None
    root = merged_pairs(doc)
    api, kind = _value(root, "apiVersion") or "", _value(root, "kind") or ""
    spec = _pairs(root, "spec")
    if api.startswith("helm.toolkit.fluxcd.io/") and kind == "HelmRelease":
        named = _pairs(_pairs(spec, "chart"), "spec")
        says = "chart" in named or "sourceRef" in named or "chartRef" in spec
    elif api.startswith("argoproj.io/") and kind in ("Application", "ApplicationSet"):
        if kind == "ApplicationSet":
            spec = _pairs(_pairs(spec, "template"), "spec")
        says = any(key in _pairs(spec, "source") for key in ("chart", "repoURL", "path")) or "sources" in spec
    elif api.startswith(_API_PREFIX) and kind == "HelmChart":
        says = "chart" in spec or "sourceRef" in spec  # a chart from git or a Bucket, by path
    elif api.startswith(_API_PREFIX) and kind == "OCIRepository":
        # a URL no chart REF names, or a digest or semver range, which Flux prefers to the tag
        says = "url" in spec or any(key in _pairs(spec, "ref") for key in ("digest", "semver"))
    else:
        return None
    name = _value(_pairs(root, "metadata"), "name")
    if not says or not name:
        return None
    return (kind, _value(_pairs(root, "metadata"), "namespace") or "", name), _OTHER


_ANY = "*"  # a target that selects by label or annotation: any object may be the one patched


_Target = tuple[str | None, str | None, tuple[str, ...]]


def _may_matter(source: Source) -> bool:
    """Whether `source` may hold a chart's source, pin or patch, or a kustomization applying a
    patch by target or building another folder. `target:` and `../` say so only in a
    kustomization: bitnami/charts says them in hundreds of values files and templates, which
    a chart bump composed in vain (a tenth of its dry run)."""
    text = source.text
    if (
        _NEEDLE_TEXT in text
        or _ARGO_TEXT in text
        or _RELEASE_TEXT in text
        or _HELM_CHART_TEXT in text
        or _OCI_TEXT in text
        or any(json in text for json in _JSON_TEXTS)
    ):
        return True
    return (_TARGET_TEXT in text or _UPWARD_TEXT in text) and (
        posixpath.basename(source.path) in KUSTOMIZATION_NAMES or KUSTOMIZE_API in text
    )


def _targets(
    path: str, doc: Node, targets: dict[str, set[_Target]], builds: dict[str, tuple[str, ...]]
) -> None:
    """A kustomization's `patches: [{path, target}]`: each patch file (from the tree's root), the
    kind and name its target selects (None: any; `_ANY` for a label or annotation selector) and
    the files and folders the kustomization builds (`_ANY` for a remote one); and in `builds`,
    under the kustomization's folder, what it builds (an overlay of this one reaches that too)."""
    if type(doc) is not MappingNode:
        return
    root = merged_pairs(doc)
    api = _value(root, "apiVersion") or ""
    if not is_kustomization(posixpath.basename(path), api):
        return  # (a kustomization.yaml may say neither apiVersion nor kind)
    built = tuple(
        _ANY if "://" in item or "?" in item or item.startswith("github.com/") else _joined(path, item)
        for key in ("resources", "components", "bases")
        for item in _texts(root.get(key))
    )
    builds[posixpath.dirname(path)] = builds.get(posixpath.dirname(path), ()) + built
    entries = root.get("patches")
    if type(entries) is not SequenceNode:
        return
    if _value(root, "kind") == "Component":
        built = (_ANY,)  # a component patches what each kustomization including it builds
    for entry in entries.value:
        pairs = merged_pairs(entry) if type(entry) is MappingNode else {}
        patch, target = _value(pairs, "path"), _pairs(pairs, "target")
        if not target:
            continue
        selector = "labelSelector" in target or "annotationSelector" in target
        name = _ANY if selector else _value(target, "name")
        if patch is not None:
            targets.setdefault(_joined(path, patch), set()).add((_value(target, "kind"), name, built))
        elif _value(pairs, "patch") is not None:
            # An inline `patch: |` by target: its pins are the kustomization's own (any of
            # them may be this one), so each stays unless the target names a kind and name
            # (read against the patch's text, which the kustomization's documents never say).
            exact = name not in (None, _ANY) and _value(target, "kind") is not None
            inline = _inline_identities(_value(pairs, "patch") or "")
            if not exact or inline != {(_value(target, "kind"), name)}:
                targets.setdefault(path, set()).add((None, _ANY, built))


def _applications(
    path: str, doc: Node, applied: dict[tuple[str, int], set[_Application]], switched: set[tuple[str, int]]
) -> None:
    """A kustomization's `patches:` and `patchesJson6902:` entries applied by a `target:`: the
    object each targets, by patch file (its path from the tree's root, -1) or inline patch (the
    kustomization, its block's line); an inline JSON 6902 patch naming another chart goes to
    `switched`."""
    if type(doc) is not MappingNode or posixpath.basename(path) not in KUSTOMIZATION_NAMES:
        return
    root = merged_pairs(doc)
    for field_name in ("patches", "patchesJson6902"):
        entries = root.get(field_name)
        for entry in entries.value if type(entries) is SequenceNode else []:
            pairs = merged_pairs(entry) if type(entry) is MappingNode else {}
            target, file, inline = _pairs(pairs, "target"), _value(pairs, "path"), pairs.get("patch")
            if not target:
                continue
            if file is not None:
                key = (_joined(path, file), -1)
                if not file.endswith(MANIFEST_SUFFIXES):
                    switched.add(key)  # a `.json` patch bumper does not read may switch the chart
            elif type(inline) is ScalarNode and isinstance(inline.value, str):
                key = (path, inline.start_mark.line)
                docs = _inline_documents(inline.value) or ()
                if any(switches_chart(json_patch_operations(d)) for d in docs):
                    switched.add(key)
            else:
                continue
            applied.setdefault(key, set()).add(_target_object(target))


def _target_object(target: Mapping[str, Node]) -> _Application:
    """The one object a `target:` selects by kind and name (None: no kind or name, a selector)."""
    kind, name = _value(target, "kind"), _value(target, "name")
    if kind is None or name is None or "labelSelector" in target or "annotationSelector" in target:
        return None
    return kind, _value(target, "namespace") or "", name


def _inline_patches(path: str, doc: Node) -> list[Node]:
    """The documents of a kustomization's inline `patches: [{patch: |}]` (and `|` items of its
    older `patchesStrategicMerge:`): one switching the chart (`chart: podinfo-enterprise`) makes
    a version patch of that name ambiguous too."""
    if type(doc) is not MappingNode or posixpath.basename(path) not in KUSTOMIZATION_NAMES:
        return []
    root = merged_pairs(doc)
    entries, merges = root.get("patches"), root.get("patchesStrategicMerge")
    texts = [_value(merged_pairs(e), "patch") for e in _nodes(entries) if type(e) is MappingNode]
    texts += [item.value for item in _nodes(merges) if type(item) is ScalarNode and "\n" in item.value]
    found: list[Node] = []
    for text in texts:
        if text:
            found += _inline_documents(text) or ()  # one that does not parse: its walk notes it
    return found


def _nodes(node: object) -> list[Node]:
    return list(node.value) if type(node) is SequenceNode else []


def _inline_identities(text: str) -> set[tuple[str | None, str | None]] | None:
    """The kind and name of each document of an inline patch (None: it does not parse)."""
    docs = _inline_documents(text)
    return None if docs is None else {_identity(doc) for doc in docs}


@lru_cache(maxsize=64)
def _inline_documents(text: str) -> tuple[Node, ...] | None:
    """An inline patch's documents (None: it does not parse), composed once: the patch's
    target (`_targets`) and the objects it switches (`_inline_patches`) both read them."""
    try:
        return tuple(compose_all(Source("<inline patch>", text)))
    except ManifestError:
        return None


def _joined(kustomization: str, entry: str) -> str:
    """A path a kustomization names, from the tree's root."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(kustomization), entry))


def _texts(node: object) -> list[str]:
    """The strings of a sequence node (a kustomization's `resources:`)."""
    if type(node) is not SequenceNode:
        return []
    return [item.value for item in node.value if isinstance(getattr(item, "value", None), str)]


def _identity(doc: Node) -> tuple[str | None, str | None]:
    """A document's kind and metadata.name (None where it says none)."""
    if type(doc) is not MappingNode:
        return None, None
    root = merged_pairs(doc)
    return _value(root, "kind"), _value(_pairs(root, "metadata"), "name")


def _selects(
    target: _Target,
    objects: set[tuple[str | None, str | None]],
    tree: Mapping[str, set[tuple[str | None, str | None]]],
    builds: Mapping[str, tuple[str, ...]],
) -> bool:
    """Whether a target selects no other object than the patch's own (each field it sets, the
    same as every document of the patch file says). A target naming a kind alone (Flux's
    example) selects every object of that kind the kustomization builds: the patch's own only
    when the files and folders it builds, and those the kustomizations there build in turn (an
    overlay of an overlay; `builds`), define the patch's own object and no other of that kind
    (`tree`: each file's objects). One whose own object is not found is reached through a
    kustomization bumper did not read: what that builds is unknown."""
    kind, name, built = target
    if name == _ANY:
        return False
    if not all((kind is None or kind == k) and (name is None or name == n) for k, n in objects):
        return False
    if name is not None:
        return True
    reached = _reached(built, builds)
    if _ANY in reached:
        return False  # a remote base: what it defines is unknown
    own = {n for _, n in objects}
    kinds = {kind} if kind is not None else set(PATCHED_KINDS)
    found = {
        n
        for file, defined in tree.items()
        if any(file == item or file.startswith(item + "/") or item == "." for item in reached)
        for k, n in defined
        if k in kinds
    }
    return bool(found) and found <= own


def _reached(built: tuple[str, ...], builds: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The files and folders `built` names, with what each kustomization in those folders builds,
    and so on (`_ANY` stays: a remote one)."""
    reached: set[str] = set()
    todo = list(built)
    while todo:
        item = todo.pop()
        if item in reached:
            continue
        reached.add(item)
        if item != _ANY:
            todo += (
                entry
                for folder, entries in builds.items()
                if folder == item or folder.startswith(item + "/") or item == "."
                for entry in entries
            )
    return reached


def _pairs(pairs: Mapping[str, object], key: str) -> dict[str, Node]:
    node = pairs.get(key)
    return merged_pairs(node) if type(node) is MappingNode else {}


def _value(pairs: Mapping[str, object], key: str) -> str | None:
    node = pairs.get(key)
    value = getattr(node, "value", None)
    return value if isinstance(value, str) and value else None
