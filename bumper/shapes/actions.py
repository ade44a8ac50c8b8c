"""Shape `actions`: a GitHub (Gitea, Forgejo) Actions step running a container image,
`uses: docker://REF`, and a job running in one, `container: REF`; the reference (after
`docker://`), reported as `container`."""

from __future__ import annotations

from yaml.nodes import MappingNode, ScalarNode

from bumper.shapes.container import DOCKER_TRANSPORT, after_transport, whole_ref
from bumper.shapes.nodes import STR_TAG, scalar
from bumper.shapes.shape import Claim, Found, Shape

NAME = "actions"


def uses(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """`uses: docker://ghcr.io/allenporter/flux-local:v8.2.0@sha256:…` (without a tag the step
    pulls `latest`: pinned by a bump, as an untagged `image:`; an action, `uses:
    actions/checkout@v4`, is no image)."""
    if value.tag == STR_TAG and str(value.value).startswith(DOCKER_TRANSPORT):
        if (ref := after_transport(value, found.ignore)) is not None:
            found.add(ref)


def job_container(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """A job's `container: node:18` beside its `runs-on`: the string form of `container: {image:
    REF}`, which the container shape reads, and read as that `image:` is (without a tag the job
    runs `latest`: pinned by a bump, as `uses: docker://REF` is); a `container:` elsewhere (a
    label, a log field) is not read. Claims nothing."""
    value = scalar({k.value: v for k, v in node.value if type(k) is ScalarNode}, "container")
    if value is not None and "container" in keys:
        whole_ref(value, "image", context, found)
    return None


SHAPE = Shape(
    NAME,
    mapping=job_container,
    mapping_keys=frozenset({"runs-on"}),
    keys=frozenset({"uses"}),
    scalar=uses,
)
