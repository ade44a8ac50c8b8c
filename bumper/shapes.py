"""Find image references in composed YAML: the container, helm, kustomize and marker shapes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from yaml.nodes import SequenceNode

from bumper.errors import RefParseError
from bumper.image_ref import ImageRef, split_name
from bumper.yaml_edit import (
    STR_TAG,
    MappingNode,
    Node,
    Plan,
    ScalarNode,
    Source,
    check_unique_keys,
    scalar_start,
)

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
_MARKER_RE = re.compile(r"#\s*(\{\s*\"\$(?:bumper|imagepolicy)\"\s*:\s*\"[^\"]*\"\s*\})\s*$")
# Flux's ImageRepository/ImagePolicy name a repository to watch, not an image to run.
_SKIP_API_PREFIX = "image.toolkit.fluxcd.io/"


@dataclass
class Reference:
    """One image reference found in a file: where it is, what it says, and how to rewrite it."""

    shape: str
    node: ScalarNode  # the scalar a bump rewrites; line/column point here
    ref: ImageRef  # what the file says now, `name` spelled as in the file

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def column(self, source: Source) -> int:
        """1-based column of the scalar's own text (after any anchor or tag)."""
        return (
            self.node.start_mark.column
            + 1
            + scalar_start(source.text, self.node)
            - self.node.start_mark.index
        )

    @property
    def value(self) -> str:
        return str(self.ref)

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        """Add the edits moving this reference to `new`'s version; return the new value."""
        raise NotImplementedError

    def new_ref(self, new: ImageRef) -> ImageRef:
        return self.ref._replace(tag=new.tag, digest=new.digest)


@dataclass
class WholeRef(Reference):
    """A scalar holding a whole reference (`image: repo:tag`, a marker, an Argo CD string)."""

    prefix: str = ""  # Argo CD's `alias=` before the reference

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        moved = self.new_ref(new)
        plan.replace(source, self.node, self.prefix + str(moved))
        return str(moved)


@dataclass
class HelmRef(Reference):
    """A Helm values map `{registry?, repository, tag, digest?}`."""

    mapping: MappingNode | None = None
    digest_node: ScalarNode | None = None

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        moved = self.new_ref(new)
        if new.tag is not None:
            plan.replace(source, self.node, new.tag)
        elif self.digest_node is None:
            moved = moved._replace(tag=self.ref.tag)
        if new.digest is not None and self.digest_node is not None:
            plan.replace(source, self.digest_node, new.digest)
        elif self.digest_node is None:
            moved = moved._replace(digest=None)
        return str(moved)


@dataclass
class KustomizeRef(Reference):
    """A kustomize `images:` entry; `node` is newTag, or the name when newTag is absent."""

    mapping: MappingNode | None = None
    tag_node: ScalarNode | None = None
    digest_node: ScalarNode | None = None
    last_value: Node | None = None  # the entry's last name/newName/newTag value

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        assert self.mapping is not None and self.last_value is not None
        moved = self.new_ref(new)
        if new.tag is None:
            moved = moved._replace(tag=self.ref.tag)
        elif self.tag_node is not None:
            plan.replace(source, self.tag_node, new.tag)
        else:
            plan.insert_key(source, self.mapping, self.last_value, "newTag", new.tag)
        if new.digest is not None:
            if self.digest_node is not None:
                plan.replace(source, self.digest_node, new.digest)
            else:
                plan.insert_key(source, self.mapping, self.last_value, "digest", new.digest)
        return str(moved)


@dataclass
class MarkerPartRef(Reference):
    """A scalar holding one part (tag, digest or name) of the reference its marker names."""

    part: str = "tag"

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        moved = self.new_ref(new)
        if self.part == "tag" and new.tag is not None:
            plan.replace(source, self.node, new.tag)
        elif self.part == "digest" and new.digest is not None:
            plan.replace(source, self.node, new.digest)
        return str(moved)


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


def find_markers(source: Source) -> dict[int, tuple[str, str, str]]:
    """0-based line -> (target, part, kind) for each line ending with a marker comment:
    kind `bumper` (target a repository) or `imagepolicy` (target a Flux NAMESPACE:NAME)."""
    if "$bumper" not in source.text and "$imagepolicy" not in source.text:
        return {}
    found: dict[int, tuple[str, str, str]] = {}
    for index, line in enumerate(source.text.split("\n")):
        match = _MARKER_RE.search(line.rstrip("\r"))
        if match is None:
            continue
        try:
            ((key, target),) = json.loads(match.group(1)).items()
        except (ValueError, TypeError):
            continue
        if not isinstance(target, str):
            continue
        if key == "$imagepolicy":
            found[index] = (*split_policy_marker(target), "imagepolicy")
            continue
        repo, _, part = target.rpartition(":")
        if part not in ("tag", "name", "digest"):
            repo, part = target, "whole"
        found[index] = (repo, part, "bumper")
    return found


def split_policy_marker(target: str) -> tuple[str, str]:
    """`ns:name` -> (ns:name, whole); `ns:name:tag` -> (ns:name, tag). Flux's setter names
    always start with NAMESPACE:NAME, so a policy may itself be called `tag`."""
    policy, _, part = target.rpartition(":")
    if target.count(":") == 2 and part in ("tag", "name", "digest"):
        return policy, part
    return target, "whole"


def _marker_ref(node: ScalarNode, repo: str, part: str, kind: str = "bumper") -> Reference | None:
    if kind == "imagepolicy":
        from bumper.flux import policy_ref

        return policy_ref(node, repo, part)
    try:
        registry, path = split_name(repo)
    except RefParseError:
        return None
    if part == "whole":
        ref = ImageRef.try_parse(node.value)
        if ref is None or ref.key != f"{registry}/{path}":
            return None
        return WholeRef("marker", node, ref)
    tag = node.value if part == "tag" else None
    digest = node.value if part == "digest" else None
    return MarkerPartRef("marker", node, ImageRef(repo, registry, path, tag, digest), part=part)


def _scalar(pairs: dict[str, Node], key: str) -> ScalarNode | None:
    node = pairs.get(key)
    return node if isinstance(node, ScalarNode) else None


def _helm_ref(pairs: dict[str, Node]) -> Reference | None:
    repository, tag = _scalar(pairs, "repository"), _scalar(pairs, "tag")
    if repository is None or tag is None:
        return None
    registry, digest = _scalar(pairs, "registry"), _scalar(pairs, "digest")
    name = (
        f"{registry.value}/{repository.value}"
        if registry is not None and registry.value
        else repository.value
    )
    try:
        reg, path = split_name(name)
    except RefParseError:
        return None
    ref = ImageRef(name, reg, path, tag.value or None, (digest.value or None) if digest else None)
    return HelmRef("helm", tag, ref, digest_node=digest)


def _kustomize_entries(seq: SequenceNode, *, argo: bool) -> list[Reference]:
    refs: list[Reference] = []
    for item in seq.value:
        if argo and isinstance(item, ScalarNode):
            alias, sep, text = item.value.rpartition("=")
            ref = ImageRef.try_parse(text)
            if ref is not None:
                refs.append(WholeRef("kustomize", item, ref, prefix=alias + sep))
            continue
        if argo or not isinstance(item, MappingNode):
            continue
        pairs = {k.value: v for k, v in item.value if isinstance(k, ScalarNode)}
        name, new_name = _scalar(pairs, "name"), _scalar(pairs, "newName")
        effective = new_name if new_name is not None else name
        if effective is None:
            continue
        tag, digest = _scalar(pairs, "newTag"), _scalar(pairs, "digest")
        try:
            reg, path = split_name(effective.value)
        except RefParseError:
            continue
        ref = ImageRef(
            effective.value, reg, path, tag.value if tag else None, digest.value if digest else None
        )
        last = max((n for n in (name, new_name, tag) if n is not None), key=lambda n: n.end_mark.index)
        refs.append(
            KustomizeRef(
                "kustomize",
                tag if tag is not None else (name or effective),
                ref,
                mapping=item,
                tag_node=tag,
                digest_node=digest,
                last_value=last,
            )
        )
    return refs
