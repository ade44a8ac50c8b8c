"""Shape `tekton_bundle`: the OCI bundle a Tekton `taskRef`/`pipelineRef` runs a Task or Pipeline
from (a step's `ref` a StepAction), through the bundles resolver (`params: [{name: bundle,
value: REF}, …]`) or v1beta1's `bundle: REF`; a whole reference, reported as `container`."""

from __future__ import annotations

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from bumper.shapes.container import whole_ref
from bumper.shapes.nodes import merged_pairs, scalar, text_of
from bumper.shapes.shape import Claim, Found, Shape

NAME = "tekton_bundle"
_REFS = ("taskRef", "pipelineRef")  # the keys whose mapping names what a task (a run) runs
_RESOLVED = (*_REFS, "ref")  # and a step's `ref`, the StepAction it runs (resolvers only)


def bundle_key(value: ScalarNode, key: str, context: str | None, found: Found) -> None:
    """v1beta1's `taskRef: {name: build, bundle: REF}`, read as an `image:` with a tag or digest
    is (a `bundle:` elsewhere is anything)."""
    if context in _REFS:
        whole_ref(value, key, context, found)


def bundles_resolver(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """`{resolver: bundles, params: [{name: bundle, value: REF}, …]}` as a `taskRef` (a
    `pipelineRef`, a step's `ref`): the `bundle` param's value (another resolver's params are its
    own); also as keys a merge key brings (`taskRef: {<<: *bundle}`, the anchor written
    elsewhere: the value is edited where it is written). Claims nothing."""
    if context not in _RESOLVED:
        return None
    pairs = merged_pairs(node)
    params = pairs.get("params")
    if text_of(scalar(pairs, "resolver")) != "bundles" or type(params) is not SequenceNode:
        return None
    for item in params.value:
        if type(item) is not MappingNode:
            continue
        entry = {k.value: v for k, v in item.value if type(k) is ScalarNode}
        name, value = scalar(entry, "name"), scalar(entry, "value")
        if name is not None and value is not None and text_of(name) == "bundle":
            whole_ref(value, "bundle", context, found, (name,))
    return None


SHAPE = Shape(
    NAME,
    mapping=bundles_resolver,
    mapping_keys=frozenset({"resolver", "<<"}),
    keys=frozenset({"bundle"}),
    scalar=bundle_key,
)
