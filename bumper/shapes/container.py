"""Shape `container`: a scalar under `image` (or `sidecarImage`, `init_image`, CloudNativePG's
`imageName`) holding a whole reference: Kubernetes workloads of every kind, Docker Compose, Helm
values `image: repo:tag`, a CloudNativePG `Cluster`'s PostgreSQL image."""

from __future__ import annotations

from functools import lru_cache

from yaml.nodes import ScalarNode

from bumper.image_ref import DIGEST_HINT, ImageRef, names_registry_host
from bumper.shapes.left_alone import PLACEHOLDER, placeholder_whole
from bumper.shapes.nodes import STR_TAG
from bumper.shapes.reference import Ignored, WholeRef
from bumper.shapes.shape import Found, Shape

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
    # tag, digest or a registry host (`ghcr.io/acme/app`) makes them a reference. Without a tag
    # or digest, a name ending in a file's (`heroImage: cdn.example.com/hero.webp`) is a file.
    if parsed.tag or parsed.digest:
        found.add(WholeRef("container", value, parsed))
    elif (key == "image" or names_registry_host(parsed.name)) and not _names_a_file(parsed.name):
        found.add(WholeRef("container", value, parsed))


# What a web page or a document links to; no image repository is named so.
_FILE_SUFFIXES = (
    *(".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".bmp", ".tif", ".tiff"),
    *(".html", ".htm", ".md", ".pdf", ".txt", ".json", ".yaml", ".yml"),
)


def _names_a_file(name: str) -> bool:
    """Whether the last part of `name` is a file name: a picture, a page, a document."""
    return name.rsplit("/", 1)[-1].endswith(_FILE_SUFFIXES)


# `imageName`: CloudNativePG's `Cluster.spec.imageName` (a key other than `image`: it needs a tag,
# digest or registry host to count, as `sidecarImage` does).
SHAPE = Shape(NAME, keys=frozenset({"imageName"}), suffixes=("image", "Image"), scalar=whole_ref)
