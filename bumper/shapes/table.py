"""The shapes the walk asks, in order: supporting a new place images live is one line here.

Order matters where two shapes could read the same node: `mapping` hooks are asked in this order
and the first to claim a mapping ends the asking (a Helm values map before an image volume).
Everything else is keyed (by context, key, or marker kind) and must not overlap: `index` refuses
a table where two shapes claim one key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, TypeVar

from bumper.shapes import (
    actions,
    admission_cel,
    argocd,
    cdi,
    chart,
    container,
    crossplane,
    csi_image_set,
    embedded,
    flux_operator,
    helm,
    hub_tag,
    image_options,
    image_volume,
    joined_tag,
    kustomize,
    markers,
    openshift,
    policy_marker,
    tekton_bundle,
    version_table,
    wasm,
)
from bumper.shapes.shape import DocumentFn, MappingFn, MarkedFn, RootFn, ScalarFn, SequenceFn, Shape

V = TypeVar("V")

SHAPES: tuple[Shape, ...] = (
    hub_tag.SHAPE,  # Istio's {hub, tag}: noted, and no Helm values map (before helm claims it)
    joined_tag.SHAPE,  # an untagged image: REPO whose chart appends imageVersion/imageTag: noted
    # a Tekton taskRef's/pipelineRef's OCI bundle (bundles resolver, v1beta1); it claims no map,
    # and comes before helm, which claims a map holding a merge key (`taskRef: {<<: *bundle}`)
    tekton_bundle.SHAPE,
    version_table.SHAPE,  # versions: [{version: X, natsImage: REF}]: each version's images, noted
    helm.SHAPE,  # values maps {repository, tag}: the tag
    image_volume.SHAPE,  # Kubernetes image volumes: image.reference
    container.SHAPE,  # image: repo:tag (and keys ending in Image)
    image_options.SHAPE,  # kubeflow: Kubeflow's spawner form: image: {value: REF, options: [REF, ...]}
    openshift.SHAPE,  # from: {kind: DockerImage, name: REF}: an ImageStream's or a BuildConfig's
    actions.SHAPE,  # a GitHub Actions step's uses: docker://REF
    cdi.SHAPE,  # a KubeVirt CDI import's source.registry.url: docker://REF
    crossplane.SHAPE,  # a Crossplane Provider's (Configuration's, Function's) spec.package
    flux_operator.SHAPE,  # a FluxInstance's distribution.artifact: oci://REPO:TAG
    wasm.SHAPE,  # a WasmPlugin's (an EnvoyExtensionPolicy's) Wasm image url: oci://REPO:TAG
    csi_image_set.SHAPE,  # cephcsi: the Ceph CSI operator's ImageSet ConfigMap, data: {plugin: REF, ...}
    admission_cel.SHAPE,  # image: "REF" in a MutatingAdmissionPolicy's CEL mutation expression
    kustomize.SHAPE,  # a kustomization's images: newTag, digest
    argocd.SHAPE,  # an Application's helm.parameters and kustomize.images strings
    embedded.SHAPE,  # YAML in a helm.values / valuesContent block, a `*.yaml: |` file, a manifest
    markers.SHAPE,  # # {"$bumper": REPO[:part]}
    policy_marker.SHAPE,  # # {"$imagepolicy": NS:NAME[:part]}; Flux's own objects skipped
    chart.SHAPE,  # Helm chart versions: Argo CD, Chart.yaml, Flux, kustomize, helmfile
)


class Dispatch(NamedTuple):
    """The table turned into what the walk looks up per node."""

    roots: tuple[RootFn, ...]
    documents: tuple[DocumentFn, ...]
    contexts: dict[str, dict[str, str]]  # key -> parent context -> the child's context
    sequences: dict[str, SequenceFn]  # context -> reader
    # (the keys that ask it, the endings of keys that ask it, the hook)
    mappings: tuple[tuple[frozenset[str], tuple[str, ...], MappingFn], ...]
    any_mapping_key: frozenset[str]  # every such key, for one test per mapping
    any_mapping_suffix: tuple[str, ...]  # every such ending
    keys: dict[str, ScalarFn]  # exact key names (these win over suffixes)
    suffixes: tuple[tuple[tuple[str, ...], ScalarFn], ...]
    any_suffix: tuple[str, ...]  # every suffix, for one `endswith` per key
    prefixes: tuple[tuple[tuple[str, ...], ScalarFn], ...]  # asked when no key or suffix reads it
    any_prefix: tuple[str, ...]  # every prefix, for one `startswith` per key
    block: ScalarFn | None  # a `|` block under a key no key or suffix reads
    marked: dict[str, MarkedFn]  # marker kind -> reader
    # What the walk learnt of each key name it met (files repeat a few hundred keys endlessly):
    # one set and dict look-up per key instead of an `endswith` and `startswith` per table group.
    learnt: KeyKinds


class KeyKinds(NamedTuple):
    """Key names the walk has classified, and what it found: filled in by `learn`."""

    names: set[str]  # every key name classified
    asking: set[str]  # those that make a mapping worth asking the mapping hooks about
    scalars: dict[str, ScalarFn]  # those whose scalar value a key, suffix or prefix hook reads


# Key names remembered at most: a tree of generated keys (one per file) is forgotten and learnt
# again, not held for the whole run.
MAX_LEARNT = 20_000


def index(shapes: tuple[Shape, ...]) -> Dispatch:
    """The lookups for `shapes`; ValueError when two of them claim one context, key or marker."""
    contexts: dict[str, dict[str, str]] = {}
    sequences: dict[str, SequenceFn] = {}
    keys: dict[str, ScalarFn] = {}
    marked: dict[str, MarkedFn] = {}
    blocks: dict[str, ScalarFn] = {}
    for shape in shapes:
        for key, parents in shape.contexts.items():
            _put_all(contexts.setdefault(key, {}), parents, f"{shape.name}: context of {key!r}")
        _put_all(sequences, shape.sequences, f"{shape.name}: sequence context")
        if shape.scalar is not None:
            _put_all(keys, dict.fromkeys(shape.keys, shape.scalar), f"{shape.name}: key")
        if shape.marked is not None and shape.marker_kind is not None:
            _put_all(marked, {shape.marker_kind: shape.marked}, f"{shape.name}: marker")
        if shape.block is not None:
            _put_all(blocks, {"|": shape.block}, f"{shape.name}: block")
    mappings = tuple((s.mapping_keys, s.mapping_suffixes, s.mapping) for s in shapes if s.mapping is not None)
    suffixes = tuple((s.suffixes, s.scalar) for s in shapes if s.suffixes and s.scalar is not None)
    prefixes = tuple((s.prefixes, s.scalar) for s in shapes if s.prefixes and s.scalar is not None)
    return Dispatch(
        roots=tuple(s.root for s in shapes if s.root is not None),
        documents=tuple(s.document for s in shapes if s.document is not None),
        contexts=contexts,
        sequences=sequences,
        mappings=mappings,
        any_mapping_key=frozenset().union(*(trigger for trigger, _, _ in mappings)),
        any_mapping_suffix=tuple(suffix for _, group, _ in mappings for suffix in group),
        keys=keys,
        suffixes=suffixes,
        any_suffix=tuple(suffix for group, _ in suffixes for suffix in group),
        prefixes=prefixes,
        any_prefix=tuple(prefix for group, _ in prefixes for prefix in group),
        block=blocks.get("|"),
        marked=marked,
        learnt=KeyKinds(set(), set(), {}),
    )


def learn(dispatch: Dispatch, names: set[str]) -> None:
    """Classify the key names in `names` that `dispatch.learnt` does not know yet."""
    learnt = dispatch.learnt
    new = names - learnt.names
    if not new:
        return
    if len(learnt.names) + len(new) > MAX_LEARNT:
        learnt.names.clear()
        learnt.asking.clear()
        learnt.scalars.clear()
    for name in new:
        if name in dispatch.any_mapping_key or name.endswith(dispatch.any_mapping_suffix):
            learnt.asking.add(name)
        scalar = dispatch.keys.get(name)
        if scalar is None and name.endswith(dispatch.any_suffix):
            scalar = next((fn for suffixes, fn in dispatch.suffixes if name.endswith(suffixes)), None)
        if scalar is None and name.startswith(dispatch.any_prefix):
            scalar = next((fn for prefixes, fn in dispatch.prefixes if name.startswith(prefixes)), None)
        if scalar is not None:
            learnt.scalars[name] = scalar
    learnt.names.update(new)


def _put_all(into: dict[str, V], items: Mapping[str, V], what: str) -> None:
    for key, value in items.items():
        if key in into:
            raise ValueError(f"{what} {key!r} is claimed twice")
        into[key] = value


DISPATCH = index(SHAPES)
