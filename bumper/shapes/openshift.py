"""Shape `openshift`: an OpenShift pull spec `{kind: DockerImage, name: REF}` under `from:` (an
ImageStream tag's import source, a BuildConfig strategy's builder image): `name` is a whole
reference, reported as `container`. Under `to:` (a BuildConfig's `output.to`) it is where a build
pushes, never a version to move; `kind: ImageStreamTag` names an ImageStream, not a registry."""

from __future__ import annotations

from yaml.nodes import MappingNode, ScalarNode

from bumper.image_ref import ImageRef, names_registry_host
from bumper.shapes.container import whole_ref
from bumper.shapes.nodes import scalar, text_of
from bumper.shapes.shape import Claim, Found, Shape

NAME = "openshift"


def pull_spec(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """`from: {kind: DockerImage, name: quay.io/acme/app:v1}`: the name is a reference with a
    tag, a digest or a registry host; without a tag OpenShift imports `latest`, as `image:`
    runs it, and no field beside it holds a tag, so it is pinned as `image:` is."""
    if context != "from":
        return None
    pairs = {k.value: v for k, v in node.value if type(k) is ScalarNode}
    name, kind = scalar(pairs, "name"), scalar(pairs, "kind")
    if name is None or kind is None or text_of(kind) != "DockerImage":
        return None
    parsed = ImageRef.try_parse(str(name.value))
    named = parsed is not None and (parsed.tag or parsed.digest or names_registry_host(parsed.name))
    # `kind: DockerImage  # bumper: hold` says the name below is an image: it holds it.
    whole_ref(name, "image" if named else "from", context, found, (kind,))
    return Claim((name,))


SHAPE = Shape(NAME, mapping=pull_spec, mapping_keys=frozenset({"kind"}))
