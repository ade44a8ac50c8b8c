"""Shape `actions`: a GitHub (Gitea, Forgejo) Actions step running a container image,
`uses: docker://REF`; the reference after `docker://`, reported as `container`."""

from __future__ import annotations

from yaml.nodes import ScalarNode

from bumper.shapes.container import DOCKER_TRANSPORT, checked_after_prefix
from bumper.shapes.nodes import STR_TAG
from bumper.shapes.shape import Found, Shape

NAME = "actions"


def uses(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """`uses: docker://ghcr.io/allenporter/flux-local:v8.2.0@sha256:…`, with a tag or digest (an
    action, `uses: actions/checkout@v4`, is no image)."""
    if value.tag == STR_TAG and str(value.value).startswith(DOCKER_TRANSPORT):
        if (ref := checked_after_prefix(value, DOCKER_TRANSPORT, found.ignore)) is not None:
            found.add(ref)


SHAPE = Shape(NAME, keys=frozenset({"uses"}), scalar=uses)
