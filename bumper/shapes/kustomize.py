"""Shape `kustomize`: the `images:` entries of a kustomization (`kustomization.yaml`, a
`kustomize.config.k8s.io` Kustomization or Component) or of a Flux Kustomization's `spec`; the
entry's `newTag` (added if missing) and `digest` are what a bump writes."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.errors import RefParseError
from bumper.image_ref import DIGEST_HINT, ImageRef, is_digest, parse_tag_value, repository_key, split_name
from bumper.shapes import is_kustomization
from bumper.shapes.left_alone import AMBIGUOUS, kustomize_left_alone
from bumper.shapes.nodes import merged_pairs, scalar
from bumper.shapes.reference import Ignored, IgnoreFn, KustomizeRef, Reference, WholeRef
from bumper.shapes.shape import Found, Shape

NAME = "kustomize"
_FLUX_KUSTOMIZATION_API_PREFIX = "kustomize.toolkit.fluxcd.io/"
_ROOT = "\0kustomize-root"
_FLUX_ROOT = "\0flux-root"
_FLUX_SPEC = "\0flux-spec"
_IMAGES = "\0kustomize-images"


def root(api: str, file_name: str) -> str | None:
    """A kustomization's root, or a Flux Kustomization's (its `spec` holds the `images:`)."""
    if is_kustomization(file_name, api):
        return _ROOT
    if api.startswith(_FLUX_KUSTOMIZATION_API_PREFIX):
        return _FLUX_ROOT
    return None


def entries(seq: SequenceNode, state: Found) -> list[Reference]:
    """Each `{name, newName, newTag, digest}` entry of an `images:` list."""
    refs: list[Reference] = []
    ignore = state.ignore
    for item in seq.value:
        if type(item) is MappingNode:
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
            reason = f"{AMBIGUOUS}: newName carries a tag or digest and newTag/digest are set too; keep one"
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
        renamed_from=_renamed_from(name, ref) if new_name is not None else None,
        name_nodes=tuple(n for n in (name, new_name) if n is not None),
    )


def _renamed_from(name: ScalarNode | None, ref: ImageRef) -> ImageRef | None:
    """The image `name` matches, when `newName` renames it to another one (a mirror): its
    references in the tree hold the tag the entry runs while it has no newTag. A `name` with a
    tag or digest (kustomize matches `nginx:1.25` too) is judged by its image all the same."""
    text = str(name.value) if name is not None and name.value else ""
    parsed = ImageRef.try_parse(text) if text else None
    if parsed is None or parsed.key == ref.key:
        return None
    return parsed._replace(tag=None, digest=None)


SHAPE = Shape(
    NAME,
    root=root,
    contexts={"images": {_ROOT: _IMAGES, _FLUX_SPEC: _IMAGES}, "spec": {_FLUX_ROOT: _FLUX_SPEC}},
    sequences={_IMAGES: entries},
)
