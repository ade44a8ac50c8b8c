"""Shape `cdi`: the registry image KubeVirt's Containerized Data Importer imports a disk from, a
`source.registry.url: docker://REF` (a DataVolume, a DataImportCron, a HyperConverged's
`dataImportCronTemplates`); the reference after `docker://`, reported as `container`."""

from __future__ import annotations

from yaml.nodes import ScalarNode

from bumper.shapes.container import DOCKER_TRANSPORT, after_transport
from bumper.shapes.nodes import STR_TAG
from bumper.shapes.shape import Found, Shape

NAME = "cdi"


def registry_url(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """`registry: {url: docker://quay.io/containerdisks/fedora:41}`; without a tag CDI imports
    `latest`, and a bump pins it, as an untagged `image:`. Another `url:`, or one naming no
    `docker://` image (a chart's `registry.url: https://…`), is not read."""
    text = str(value.value)
    if context != "registry" or value.tag != STR_TAG or not text.startswith(DOCKER_TRANSPORT):
        return
    if (ref := after_transport(value, found.ignore)) is not None:
        found.add(ref)


SHAPE = Shape(NAME, keys=frozenset({"url"}), scalar=registry_url)
