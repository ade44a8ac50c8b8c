"""Shape `container`: a scalar under `image` (or `sidecarImage`, `init_image`, CloudNativePG's
`imageName`) holding a whole reference: Kubernetes workloads of every kind, Docker Compose, Helm
values `image: repo:tag`, a CloudNativePG `Cluster`'s PostgreSQL image, and the `value` of a JSON
6902 patch operation that sets an `…/image` path."""

from __future__ import annotations

from functools import lru_cache

from yaml.nodes import MappingNode, ScalarNode

from bumper.image_ref import DIGEST_HINT, ImageRef, names_registry_host
from bumper.shapes.left_alone import PLACEHOLDER, placeholder_whole
from bumper.shapes.nodes import STR_TAG, scalar, text_of
from bumper.shapes.reference import Ignored, WholeRef
from bumper.shapes.shape import Claim, Found, Shape

NAME = "container"
# A tree names the same few images in file after file (12,500 Deployments of one image): each
# text is parsed once. ImageRef is immutable, so sharing one is safe.
_parse = lru_cache(maxsize=4096)(ImageRef.try_parse)


def whole_ref(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """`image: repo:tag`, or `sidecarImage:`/`init_image:` holding a whole reference."""
    if value.tag != STR_TAG:
        return
    text = str(value.value)
    parsed = _parse(text)
    placeholder = placeholder_whole(text) if parsed is None or parsed.tag else None
    if placeholder is not None:  # `image: app:$TAG`, `app:CONTAINER_IMAGES_TAG`: another tool's
        found.ignore(Ignored(value.start_mark.line + 1, NAME, text, PLACEHOLDER, placeholder))
        return
    if parsed is None:
        name_part, at, digest = text.partition("@")
        named = ImageRef.try_parse(name_part) if at else None
        if named is not None:
            reason = f"not-a-digest: {digest!r}; {DIGEST_HINT}"
            found.ignore(Ignored(value.start_mark.line + 1, NAME, text, reason, named.key))
        return
    # Other keys ending in `image` hold words and file paths too (`baseImage: none`,
    # `logoImage: img/logo.png`, a mkdocs nav entry `Using Latest Image: guides/latest.md`): a
    # tag, digest or a registry host (`ghcr.io/acme/app`) makes them a reference.
    if key == "image" or parsed.tag or parsed.digest or names_registry_host(parsed.name):
        found.add(WholeRef("container", value, parsed))


# JSON 6902 operations that write a value (a kustomize `patches[].patch`, `patchesJson6902`, a
# Kyverno `patchesJson6902`): `remove`, `move`, `copy` and `test` set no image.
_SETS = frozenset({"add", "replace"})


def json_patch_op(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """`{op: replace, path: /spec/template/spec/containers/0/image, value: REF}`: the value is
    that container's image, read as an `image:` scalar is. Claims nothing."""
    if "path" in keys and "value" in keys:
        pairs = {k.value: v for k, v in node.value if type(k) is ScalarNode}
        value, path = scalar(pairs, "value"), text_of(scalar(pairs, "path")) or ""
        if value is not None and text_of(scalar(pairs, "op")) in _SETS and path.endswith("/image"):
            whole_ref(value, "image", context, found)
    return None


# `imageName`: CloudNativePG's `Cluster.spec.imageName` (a key other than `image`: it needs a tag,
# digest or registry host to count, as `sidecarImage` does).
SHAPE = Shape(
    NAME,
    mapping=json_patch_op,
    mapping_keys=frozenset({"op"}),
    keys=frozenset({"imageName"}),
    suffixes=("image", "Image"),
    scalar=whole_ref,
)
