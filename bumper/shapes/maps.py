"""References spread over several keys: Helm values maps, Argo CD helm parameters, kustomize entries."""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.errors import RefParseError
from bumper.image_ref import DIGEST_HINT, ImageRef, is_digest, parse_tag_value, repository_key, split_name
from bumper.shapes.left_alone import (
    PLACEHOLDER,
    is_placeholder,
    kustomize_left_alone,
    placeholder_whole,
    untagged_values,
)
from bumper.shapes.reference import Ignored, KustomizeRef, Reference, SplitRef, WholeRef

NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"
# Which keys may name the repository, each with the tag keys it pairs with: `name` and
# `version` are common words (a container's or a chart's), so they count only beside a
# spelling that is unmistakably an image's.
_REPOSITORY_KEYS = (
    ("repository", ("tag", "imageTag", "version")),
    ("image", ("tag", "imageTag", "version")),
    ("name", ("tag", "imageTag")),
)
TAG_KEYS = frozenset({"tag", "imageTag", "version"})

IgnoreFn = Callable[[Ignored], None]


def scalar(pairs: dict[str, Node], key: str) -> ScalarNode | None:
    node = pairs.get(key)
    return node if type(node) is ScalarNode else None


def text_of(node: ScalarNode | None) -> str | None:
    """A scalar's string value; None for a null (`~`, empty) or a non-string (number, bool)."""
    if node is None or node.tag != STR_TAG:
        return None
    return str(node.value)


def merged_pairs(mapping: MappingNode, depth: int = 0) -> dict[str, Node]:
    """The mapping's keys with YAML merge keys (`<<: *base`) resolved; own keys win, and the
    nodes stay the anchored ones, so an edit lands where the value is written, once."""
    pairs: dict[str, Node] = {}
    merged: list[Node] = []
    for key, value in mapping.value:
        if type(key) is not ScalarNode:
            continue
        if key.tag == MERGE_TAG:
            merged.extend(value.value if type(value) is SequenceNode else [value])
        else:
            pairs[key.value] = value
    if depth < 20:
        for base in merged:
            if type(base) is MappingNode:
                for name, value in merged_pairs(base, depth + 1).items():
                    pairs.setdefault(name, value)
    return pairs


def helm_ref(pairs: dict[str, Node], ignore: IgnoreFn, shape: str = "helm") -> SplitRef | None:
    """The reference a values map holds, or None when it holds none (or one it may not touch)."""
    for repo_key, tag_keys in _REPOSITORY_KEYS:
        repository = text_of(scalar(pairs, repo_key))
        if repository is None:
            continue
        tag = next((scalar(pairs, k) for k in tag_keys if scalar(pairs, k) is not None), None)
        if tag is None:
            return None
        return _split_ref(pairs, repository, tag, ignore, shape)
    return None


def _split_ref(
    pairs: dict[str, Node], repository: str, tag: ScalarNode, ignore: IgnoreFn, shape: str
) -> SplitRef | None:
    registry = text_of(scalar(pairs, "registry"))
    name = f"{registry}/{repository}" if registry else repository
    try:
        reg, path = split_name(name)
    except RefParseError:
        return None  # not an image (a chart dependency, a URL, a person's name)
    key = f"{reg}/{path}"
    tag_value = "" if tag.tag == NULL_TAG else str(tag.value)
    if tag.tag == STR_TAG and is_placeholder(tag_value.partition("@")[0]):
        ignore(Ignored(tag.start_mark.line + 1, shape, tag_value, PLACEHOLDER, key))
        return None
    try:
        tag_text, tag_digest = parse_tag_value(tag_value)
    except RefParseError as exc:
        if tag.tag != STR_TAG and "@" not in tag_value:
            return None  # a number or a date beside a name: not a tag field
        ignore(Ignored(tag.start_mark.line + 1, shape, tag_value, exc.message, key))
        return None
    digest_node = scalar(pairs, "digest")
    digest = text_of(digest_node) if digest_node is not None and digest_node.tag != NULL_TAG else None
    if digest_node is not None and digest_node.tag not in (STR_TAG, NULL_TAG):
        digest = str(digest_node.value)  # `digest: 02641143766` reads as a number
    if digest and not is_digest(digest):
        assert digest_node is not None
        ignore(Ignored(digest_node.start_mark.line + 1, shape, digest, f"not-a-digest: {DIGEST_HINT}", key))
        return None
    if digest and tag_digest:
        reason = "two-digests: the tag holds a digest and so does `digest`; keep one"
        ignore(Ignored(tag.start_mark.line + 1, shape, tag_value, reason, key))
        return None
    ref = ImageRef(name, reg, path, tag_text, tag_digest or digest or None)
    return SplitRef(shape, tag, ref, digest_node=digest_node, digest_in_tag=tag_digest is not None)


def parameter_refs(seq: SequenceNode, ignore: IgnoreFn) -> list[Reference]:
    """Argo CD `helm.parameters`: `{name: image.repository, value: …}` beside
    `{name: image.tag, value: …}` (any prefix) read as one values map; `*.image` holds a whole one."""
    groups: dict[str, dict[str, Node]] = {}
    for item in seq.value:
        if type(item) is not MappingNode:
            continue
        pairs = merged_pairs(item)
        name, value = text_of(scalar(pairs, "name")), scalar(pairs, "value")
        if name is not None and value is not None:
            prefix, _, leaf = name.rpartition(".")
            groups.setdefault(prefix, {})[leaf] = value
    refs: list[Reference] = []
    for prefix, pairs in groups.items():
        ref = helm_ref(pairs, ignore)
        if ref is not None:
            refs.append(ref)
            continue
        untagged_values(pairs, prefix, ignore)
        for leaf in pairs:
            whole = scalar(pairs, leaf) if leaf.endswith(("image", "Image")) else None
            text = text_of(whole)
            parsed = ImageRef.try_parse(text) if text else None
            if parsed is not None and whole is not None:
                refs.append(WholeRef("helm", whole, parsed))
    return refs


def kustomize_entries(seq: SequenceNode, *, argo: bool, ignore: IgnoreFn) -> list[Reference]:
    """`images:` of a kustomization (or a Flux Kustomization's spec), or Argo CD's strings."""
    refs: list[Reference] = []
    for item in seq.value:
        if argo and type(item) is ScalarNode:
            alias, sep, text = str(item.value).rpartition("=")
            parsed = ImageRef.try_parse(text)
            if parsed is not None and not (parsed.tag and is_placeholder(parsed.tag)):
                refs.append(WholeRef("kustomize", item, parsed, prefix=alias + sep))
            elif (key := placeholder_whole(text)) is not None:
                ignore(Ignored(item.start_mark.line + 1, "kustomize", str(item.value), PLACEHOLDER, key))
            continue
        if argo or type(item) is not MappingNode:
            continue
        ref = _kustomize_entry(item, ignore)
        if ref is not None:
            refs.append(ref)
    return refs


def _entry_left_alone(
    pairs: dict[str, Node], name: ScalarNode | None, new_name: ScalarNode | None, ignore: IgnoreFn
) -> bool:
    """List an entry that only appends `tagSuffix` or holds a placeholder, under the image it
    renames (`name`) when `newName` is itself a placeholder; True when it is left alone."""
    key = repository_key(str(new_name.value)) if new_name is not None else None
    if key is None and name is not None:
        key = repository_key(str(name.value))
    note = kustomize_left_alone(pairs, name, new_name, key) if key is not None else None
    if note is not None:
        ignore(note)
    return note is not None


def _kustomize_entry(item: MappingNode, ignore: IgnoreFn) -> Reference | None:
    pairs = merged_pairs(item)
    name, new_name = scalar(pairs, "name"), scalar(pairs, "newName")
    effective = new_name if new_name is not None else name
    if effective is None:
        return None
    if _entry_left_alone(pairs, name, new_name, ignore):
        return None
    tag, digest = scalar(pairs, "newTag"), scalar(pairs, "digest")
    line = (tag or effective).start_mark.line + 1
    if new_name is not None and any(c in str(new_name.value).rpartition("/")[2] for c in ":@"):
        # `newName: repo:1.2@sha256:…` carries the version itself
        parsed = ImageRef.try_parse(str(new_name.value))
        if parsed is None:
            return None
        if tag is not None or digest is not None:
            reason = "ambiguous: newName carries a tag or digest and newTag/digest are set too"
            ignore(Ignored(line, "kustomize", str(new_name.value), reason, parsed.key))
            return None
        return WholeRef("kustomize", new_name, parsed)
    try:
        reg, path = split_name(str(effective.value))
    except RefParseError:
        return None
    key = f"{reg}/{path}"
    try:
        tag_text, tag_digest = parse_tag_value(str(tag.value) if tag is not None and tag.value else "")
    except RefParseError as exc:
        ignore(Ignored(line, "kustomize", str(tag.value) if tag else "", exc.message, key))
        return None
    digest_text = str(digest.value) if digest is not None and digest.value else None
    if digest_text is not None and not is_digest(digest_text):
        assert digest is not None
        ignore(
            Ignored(digest.start_mark.line + 1, "kustomize", digest_text, f"not-a-digest: {DIGEST_HINT}", key)
        )
        return None
    if digest_text and tag_digest:
        reason = "two-digests: newTag holds a digest and so does `digest`; keep one"
        ignore(Ignored(line, "kustomize", str(tag.value) if tag else "", reason, key))
        return None
    ref = ImageRef(str(effective.value), reg, path, tag_text, tag_digest or digest_text)
    last = max((n for n in (name, new_name, tag) if n is not None), key=lambda n: n.end_mark.index)
    return KustomizeRef(
        "kustomize",
        tag if tag is not None else (name or effective),
        ref,
        digest_node=digest,
        digest_in_tag=tag_digest is not None,
        mapping=item,
        tag_node=tag,
        last_value=last,
    )
