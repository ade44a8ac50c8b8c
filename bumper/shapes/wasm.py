"""Shape `wasm`: a Wasm plugin pulled as an OCI image, Istio's `WasmPlugin` `spec.url` and Envoy
Gateway's `EnvoyExtensionPolicy` `spec.wasm[].code.image.url`: the reference after `oci://` (or the
whole value, which both read as OCI without a scheme), reported as `container`."""

from __future__ import annotations

from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, SequenceNode

from bumper.image_ref import ImageRef
from bumper.shapes.container import checked_after_prefix
from bumper.shapes.nodes import NULL_TAG, merged_pairs, scalar, text_of
from bumper.shapes.reference import Ignored, IgnoreFn, Reference
from bumper.shapes.shape import Shape
from bumper.yaml_edit import Source

NAME = "wasm"
_OCI = "oci://"
# Both check the pulled image against `sha256` when it is set: a tag moved without it fails the
# pull, and the checksum is the image's, which bumper does not look up.
CHECKSUM = (
    "checksum: the `sha256` beside it must match the image the tag names; write the digest "
    "in the url (`…:TAG@sha256:…`) and drop `sha256`, or move both by hand"
)


def wasm_images(source: Source, doc: Node, ignore: IgnoreFn) -> Iterator[Reference]:
    """The Wasm images of one document: an Istio `WasmPlugin` or an Envoy Gateway
    `EnvoyExtensionPolicy`; any other document holds none."""
    if type(doc) is not MappingNode:
        return
    root = merged_pairs(doc)
    api, kind = text_of(scalar(root, "apiVersion")) or "", text_of(scalar(root, "kind"))
    spec = _pairs(root.get("spec"))
    if api.startswith("extensions.istio.io/") and kind == "WasmPlugin":
        yield from _image(spec, "url", ignore)
    elif api.startswith("gateway.envoyproxy.io/") and kind == "EnvoyExtensionPolicy":
        wasm = spec.get("wasm")
        for item in wasm.value if type(wasm) is SequenceNode else ():
            code = _pairs(_pairs(item).get("code"))
            if text_of(scalar(code, "type")) == "Image":
                yield from _image(_pairs(code.get("image")), "url", ignore)


def _pairs(node: Node | None) -> dict[str, Node]:
    return merged_pairs(node) if type(node) is MappingNode else {}


def _image(pairs: dict[str, Node], key: str, ignore: IgnoreFn) -> Iterator[Reference]:
    """`url: oci://REPO:TAG` (or `REPO:TAG`); an `http(s)://` or `file://` module is no image.
    It needs a tag or digest: without one the registry's latest is pulled, nothing to write."""
    node = scalar(pairs, key)
    text = text_of(node)
    if node is None or text is None or ("://" in text and not text.startswith(_OCI)):
        return
    prefix = _OCI if text.startswith(_OCI) else ""
    checksum = scalar(pairs, "sha256")
    if checksum is not None and checksum.tag != NULL_TAG and str(checksum.value):
        parsed = ImageRef.try_parse(text[len(prefix) :])
        if parsed is not None and (parsed.tag or parsed.digest):
            ignore(Ignored(node.start_mark.line + 1, "container", text, CHECKSUM, parsed.key))
        return
    found = checked_after_prefix(node, prefix, ignore)
    if found is not None:
        yield found


SHAPE = Shape(NAME, document=wasm_images)
