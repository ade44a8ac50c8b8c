"""One walk over composed YAML that reports every reference, in file order."""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.image_ref import DIGEST_HINT, ImageRef
from bumper.plan.needles import KUSTOMIZATION_NAMES
from bumper.shapes.chart import chart_references
from bumper.shapes.embedded import embedded_refs
from bumper.shapes.left_alone import PLACEHOLDER, UntaggedNotes, placeholder_whole
from bumper.shapes.maps import (
    STR_TAG,
    TAG_KEYS,
    IgnoreFn,
    helm_ref,
    kustomize_entries,
    merged_pairs,
    parameter_refs,
)
from bumper.shapes.markers import _marker_ref, find_markers
from bumper.shapes.reference import Ignored, Reference, WholeRef
from bumper.yaml_edit import Source, check_unique_keys

# Flux's ImageRepository/ImagePolicy name a repository to watch, not an image to run.
_SKIP_API_PREFIX = "image.toolkit.fluxcd.io/"
_KUSTOMIZE_API_PREFIX = "kustomize.config.k8s.io/"  # Kustomization and Component
_FLUX_KUSTOMIZATION_API_PREFIX = "kustomize.toolkit.fluxcd.io/"
# What the key above a collection means to the walk (`\0` cannot start a YAML key the walk
# compares with, so these never collide with a real one).
_KUSTOMIZE_IMAGES = "\0kustomize-images"
_ARGO_IMAGES = "\0argo-images"
_HELM_PARAMETERS = "\0helm-parameters"
_FLUX_SPEC = "\0flux-spec"
_KUSTOMIZE_ROOT = "\0kustomize-root"
_FLUX_ROOT = "\0flux-root"
_SKIP = "\0skip"
_IMAGE_SUFFIXES = ("image", "Image")  # `image`, `sidecarImage`, `init_image`
_MAP_TRIGGERS = TAG_KEYS | {"<<"}
_EMBEDDED_KEYS = {"values": "helm", "valuesContent": "spec"}  # Argo CD; k3s HelmChart


def find_references(
    source: Source,
    docs: list[Node],
    ignored: list[Ignored] | None = None,
    shared: list[Reference] | None = None,
) -> list[Reference]:
    """Every image reference in the file, in file order; an aliased node is reported once.

    Values that look like part of a reference but may not be rewritten go to `ignored`; a
    further reference through a node already reported (two Helm maps sharing an anchored tag)
    goes to `shared`, so a hold on it can hold the node."""
    markers = find_markers(source)
    kustomization = source.path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES
    found: list[Reference] = []
    sink: list[Ignored] = ignored if ignored is not None else []
    ignore = _once(sink)
    untagged = UntaggedNotes()
    seen: set[int] = set()
    reported: set[int] = set()
    on_marker_line: dict[int, list[int]] = {}  # line -> the marked references on it

    def add(ref: Reference | None) -> None:
        # A marker on the line wins over the shape a scalar would otherwise have.
        if ref is None:
            return
        if id(ref.node) in reported:
            if shared is not None:
                shared.append(ref)
            return
        if ref.node.start_mark.line in markers:
            if ref.shape != "marker":
                return
            on_marker_line.setdefault(ref.node.start_mark.line, []).append(id(ref))
        reported.add(id(ref.node))
        found.append(ref)

    for doc in docs:
        root_key = _document_kind(doc, kustomization)
        if root_key == _SKIP:
            continue
        for chart in chart_references(source, doc, ignore):  # Helm chart versions (shapes/chart.py)
            add(chart)
        # Only collections go on the stack; scalars are judged where their parent lists them,
        # which keeps this walk cheap next to the composer.
        stack: list[tuple[Node, str | None]] = [(doc, root_key)]
        while stack:
            node, parent_key = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if type(node) is SequenceNode:
                if parent_key is not None and parent_key[0] == "\0":
                    _special_sequence(node, parent_key, add, ignore)
                for item in node.value:
                    if type(item) is not ScalarNode:
                        stack.append((item, parent_key))
                    elif markers and item.start_mark.line in markers:
                        add(_marker_ref(item, *markers[item.start_mark.line], ignore=ignore))
                continue
            if type(node) is not MappingNode:
                continue
            keys = [k.value for k, _ in node.value if type(k) is ScalarNode]
            if len(set(keys)) != len(keys):
                check_unique_keys(source, node)
            claimed = _map_shapes(node, keys, parent_key, add, ignore, untagged)
            for key, value in node.value:
                name = key.value if type(key) is ScalarNode else None
                if type(value) is ScalarNode:
                    if name is not None and name.endswith(_IMAGE_SUFFIXES) and value is not claimed:
                        _whole_ref(value, name, add, ignore)
                    elif name in _EMBEDDED_KEYS and parent_key == _EMBEDDED_KEYS[name] and value.style == "|":
                        found.extend(embedded_refs(source, value, find_references, sink))
                    if markers and value.start_mark.line in markers:
                        add(_marker_ref(value, *markers[value.start_mark.line], ignore=ignore))
                    continue
                stack.append((value, _child_key(name, parent_key)))
    untagged.flush(ignore)
    # A marker on a line of several values (a flow map `{repository: …, tag: …}`) names none of
    # them for sure: it is left unresolved (bumper.plan.marker_lines says why), never guessed.
    several = {i for ids in on_marker_line.values() if len(ids) > 1 for i in ids}
    found = [r for r in found if id(r) not in several] if several else found
    found.sort(key=lambda r: r.position)
    return found


AddFn = Callable[[Reference | None], None]


def _once(sink: list[Ignored]) -> IgnoreFn:
    """`sink.append` that notes a value once: a map merged into others (`<<: *base`) is seen
    once per map that merges it."""
    noted: set[Ignored] = set()

    def ignore(note: Ignored) -> None:
        if note not in noted:
            noted.add(note)
            sink.append(note)

    return ignore


def _map_shapes(
    node: MappingNode,
    keys: list[str],
    parent_key: str | None,
    add: AddFn,
    ignore: IgnoreFn,
    untagged: UntaggedNotes,
) -> Node | None:
    """The shapes a mapping is as a whole (a values map, an image volume); returns the `image`
    value a values map claims (`image: repo` beside a tag key: the chart joins them; never
    append a tag to it)."""
    if not _MAP_TRIGGERS.isdisjoint(keys):
        pairs = merged_pairs(node)
        add(helm_ref(pairs, ignore))
        untagged.see(pairs, parent_key)  # `<<: *base` may bring a repository, with or without a tag
        return pairs.get("image")
    if parent_key == "image" and "reference" in keys:
        _image_volume(node, add)
    elif "repository" in keys:
        untagged.see(merged_pairs(node), parent_key)
    return None


def _document_kind(doc: Node, kustomization: bool) -> str | None:
    """The sentinel the root mapping is walked under: what its `images`/`spec` mean."""
    if type(doc) is not MappingNode:
        return None
    api = ""
    for key, value in doc.value:
        if type(key) is ScalarNode and key.value == "apiVersion" and type(value) is ScalarNode:
            api = str(value.value)
            break
    if api.startswith(_SKIP_API_PREFIX):
        return _SKIP
    if kustomization or api.startswith(_KUSTOMIZE_API_PREFIX):
        return _KUSTOMIZE_ROOT
    if api.startswith(_FLUX_KUSTOMIZATION_API_PREFIX):
        return _FLUX_ROOT
    return None


def _child_key(name: str | None, parent_key: str | None) -> str | None:
    """The key a collection is walked under: its own, or a sentinel saying what it holds."""
    if name == "images":
        if parent_key == "kustomize":
            return _ARGO_IMAGES
        if parent_key in (_KUSTOMIZE_ROOT, _FLUX_SPEC):
            return _KUSTOMIZE_IMAGES
        return None  # a plain `images:` list elsewhere is walked as anything else
    if name == "parameters" and parent_key == "helm":
        return _HELM_PARAMETERS
    if name == "spec" and parent_key == _FLUX_ROOT:
        return _FLUX_SPEC
    return name


def _special_sequence(node: SequenceNode, parent_key: str, add: AddFn, ignore: IgnoreFn) -> None:
    if parent_key == _KUSTOMIZE_IMAGES:
        refs = kustomize_entries(node, argo=False, ignore=ignore)
    elif parent_key == _ARGO_IMAGES:
        refs = kustomize_entries(node, argo=True, ignore=ignore)
    elif parent_key == _HELM_PARAMETERS:
        refs = parameter_refs(node, ignore)
    else:
        return
    for ref in refs:
        add(ref)


def _whole_ref(value: ScalarNode, name: str, add: AddFn, ignore: IgnoreFn) -> None:
    """`image: repo:tag`, or `sidecarImage:`/`init_image:` holding a whole reference."""
    if value.tag != STR_TAG:
        return
    text = str(value.value)
    parsed = ImageRef.try_parse(text)
    placeholder = placeholder_whole(text) if parsed is None or parsed.tag else None
    if placeholder is not None:  # `image: app:$TAG`, `app:CONTAINER_IMAGES_TAG`: another tool's
        ignore(Ignored(value.start_mark.line + 1, "container", text, PLACEHOLDER, placeholder))
        return
    if parsed is None:
        name_part, at, digest = text.partition("@")
        named = ImageRef.try_parse(name_part) if at else None
        if named is not None:
            reason = f"not-a-digest: {digest!r}; {DIGEST_HINT}"
            ignore(Ignored(value.start_mark.line + 1, "container", text, reason, named.key))
        return
    # Other keys ending in `image` hold words too (`baseImage: none`): a tag, digest or
    # registry path makes them a reference.
    if name == "image" or parsed.tag or parsed.digest or "/" in parsed.name:
        add(WholeRef("container", value, parsed))


def _image_volume(node: MappingNode, add: AddFn) -> None:
    """Kubernetes image volumes: `volumes[].image.reference` (1.31+)."""
    for key, value in node.value:
        if type(key) is ScalarNode and key.value == "reference" and type(value) is ScalarNode:
            if value.tag == STR_TAG:
                parsed = ImageRef.try_parse(str(value.value))
                if parsed is not None:
                    add(WholeRef("image-volume", value, parsed))
