"""One walk over composed YAML that reports every reference, in file order."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.image_ref import ImageRef
from bumper.shapes.maps import _helm_ref, _kustomize_entries
from bumper.shapes.markers import _marker_ref, find_markers
from bumper.shapes.reference import Reference, WholeRef
from bumper.yaml_edit import STR_TAG, Source, check_unique_keys

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
# Flux's ImageRepository/ImagePolicy name a repository to watch, not an image to run.
_SKIP_API_PREFIX = "image.toolkit.fluxcd.io/"


def find_references(source: Source, docs: list[Node]) -> list[Reference]:
    """Every image reference in the file, in file order; an aliased node is reported once."""
    markers = find_markers(source)
    kustomization = source.path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES
    found: list[Reference] = []
    seen: set[int] = set()
    reported: set[int] = set()

    def add(ref: Reference | None) -> None:
        # A marker on the line wins over the shape a scalar would otherwise have.
        if ref is None or id(ref.node) in reported:
            return
        if ref.shape != "marker" and ref.node.start_mark.line in markers:
            return
        reported.add(id(ref.node))
        found.append(ref)

    for doc in docs:
        if _skipped_document(doc):
            continue
        # Only collections go on the stack; scalars are judged where their parent lists them,
        # which keeps this walk cheap next to the composer.
        stack: list[tuple[Node, str | None, bool]] = [(doc, None, True)]
        while stack:
            node, parent_key, is_root = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if type(node) is SequenceNode:
                if parent_key in ("images", "\0argo-images"):
                    for ref in _kustomize_entries(node, argo=parent_key != "images"):
                        add(ref)
                for item in node.value:
                    if type(item) is not ScalarNode:
                        stack.append((item, parent_key, False))
                    elif markers and item.start_mark.line in markers:
                        add(_marker_ref(item, *markers[item.start_mark.line]))
                continue
            if type(node) is not MappingNode:
                continue
            keys = [k.value for k, _ in node.value if type(k) is ScalarNode]
            if len(set(keys)) != len(keys):
                check_unique_keys(source, node)
            if "repository" in keys and "tag" in keys:
                add(_helm_ref({k.value: v for k, v in node.value if type(k) is ScalarNode}))
            for key, value in node.value:
                name = key.value if type(key) is ScalarNode else None
                if type(value) is ScalarNode:
                    if name == "image" and value.tag == STR_TAG:
                        parsed = ImageRef.try_parse(value.value)
                        if parsed is not None:
                            add(WholeRef("container", value, parsed))
                    if markers and value.start_mark.line in markers:
                        add(_marker_ref(value, *markers[value.start_mark.line]))
                    continue
                if name == "images" and parent_key == "kustomize":
                    name = "\0argo-images"
                elif name == "images" and not (kustomization and is_root):
                    name = None
                stack.append((value, name, False))
    found.sort(key=lambda r: r.node.start_mark.index)
    return found


def _skipped_document(doc: Node) -> bool:
    if not isinstance(doc, MappingNode):
        return False
    for key, value in doc.value:
        if isinstance(key, ScalarNode) and key.value == "apiVersion" and isinstance(value, ScalarNode):
            return str(value.value).startswith(_SKIP_API_PREFIX)
    return False
