"""Where a Helm chart's version is pinned (shape `chart`): Argo CD sources, Chart.yaml
dependencies, Flux HelmRelease and OCIRepository, kustomize `helmCharts`, helmfile releases,
Rancher Fleet's `fleet.yaml`.

Each pin is found through the source the file names, so its identity (a ChartRef key) is the
chart repository plus the chart's name; the version scalar is what a bump rewrites. A Flux
HelmRelease names its source by a `sourceRef`: it is found here with that name, and the planner
resolves it through the tree's HelmRepository objects (bumper.plan.chart_sources).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bumper.chart_ref import ChartRef, is_range, is_version, source_of, valid_chart_name
from bumper.image_ref import ImageRef
from bumper.shapes import is_kustomization
from bumper.shapes.left_alone import PLACEHOLDER, RANGE, is_placeholder
from bumper.shapes.nodes import STR_TAG, merged_pairs
from bumper.shapes.reference import Ignored, IgnoreFn, Reference
from bumper.shapes.shape import Shape
from bumper.yaml_edit import Plan, Source

NAME = "chart"
# RANGE (left_alone.py): a version range (`^1.2`, `~1.2`, `>=1 <2`, `*`, `1.x`, `1.2`, `ref.semver`)
NOT_A_VERSION = "not-a-version"  # a version field holding more than one version
REPOSITORY_ALIAS = "repository-alias"  # a Chart.yaml dependency on `@name`/`alias:name`
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_CHART_FILES = frozenset({"Chart.yaml", "Chart.yml", "requirements.yaml"})  # the last: Helm 2
_FLEET_FILES = frozenset({"fleet.yaml", "fleet.yml"})
_FLUX_SOURCE_API = "source.toolkit.fluxcd.io/"
_HELM_REPOSITORY = "HelmRepository"
UNRESOLVED_PREFIX = f"{_HELM_REPOSITORY}/"  # the key of a HelmRelease pin not yet resolved
# The kinds whose kustomize patch may set a chart version alone, and the keys of such versions
# not yet resolved (`KIND/NAMESPACE/NAME`).
PATCHED_KINDS = ("HelmRelease", "HelmChart", "Application", "ApplicationSet", "OCIRepository")
PATCH_PREFIXES = tuple(f"{kind}/" for kind in PATCHED_KINDS)
# A JSON 6902 patch (a kustomize overlay's `- op: replace`) setting a chart version: the kind
# each path is of. The patch names no object; the kustomization's `target:` does
# (bumper.plan.chart_sources), so its pin's object name is "" until then.
JSON_PATCH_VERSIONS = {
    "/spec/chart/spec/version": "HelmRelease",
    "/spec/version": "HelmChart",
    "/spec/source/targetRevision": "Application",
    "/spec/template/spec/source/targetRevision": "ApplicationSet",
    "/spec/ref/tag": "OCIRepository",
}
# Paths whose operation names another chart or source than the base's (`/spec/chart/spec/chart`,
# `/spec/source/repoURL`, an OCIRepository's `url`, `digest` or `semver`, or a whole parent of
# them): a version the same patch sets is then that other chart's.
SWITCH_PATHS = (
    "/spec/chart/spec/chart",
    "/spec/chart/spec/sourceRef",
    "/spec/chartRef",
    "/spec/sourceRef",
    "/spec/source/chart",
    "/spec/source/repoURL",
    "/spec/sources",
    "/spec/template/spec/source/chart",
    "/spec/template/spec/source/repoURL",
    "/spec/template/spec/sources",
    "/spec/url",
    "/spec/ref/digest",
    "/spec/ref/semver",
)
_SWITCH_PARENTS = frozenset(
    {"/spec", "/spec/chart", "/spec/chart/spec", "/spec/source", "/spec/ref"}
    | {"/spec/template", "/spec/template/spec", "/spec/template/spec/source"}
)
_SWITCH_BELOW = tuple(f"{path}/" for path in SWITCH_PATHS)
_BOOL_TAG = "tag:yaml.org,2002:bool"


@dataclass
class ChartReference(Reference):
    """A pinned chart version; `flux_source` is a HelmRelease's `sourceRef` (namespace, name)
    until the planner resolves it to the HelmRepository's URL (then None)."""

    flux_source: tuple[str, str] | None = None
    # A kustomize patch setting only a version (a HelmRelease's `spec.chart.spec.version`, an
    # Argo CD Application's `spec.source.targetRevision`): the object it patches (kind,
    # namespace, name), whose chart and source the planner looks up in the tree.
    patched: tuple[str, str, str] | None = None
    # That patch's file, which a kustomization's `target:` may apply to another object.
    patch_file: str | None = None

    @property
    def holds_digest(self) -> bool:
        return False  # a version field; a chart REF has no digest

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str | None:
        if new.tag is None:
            return None
        plan.replace(source, self.node, new.tag)
        return str(self.new_ref(new))


def flux_source_ref(namespace: str, name: str, chart: str, version: str | None) -> ChartRef:
    """What an unresolved HelmRelease pin says: `HelmRepository/NAMESPACE/NAME/CHART` (`-` for
    a namespace the file does not set); its key matches no REF until it is resolved."""
    return ChartRef(
        f"{_HELM_REPOSITORY}/{namespace or '-'}/{name}/{chart}",
        f"{_HELM_REPOSITORY}/{namespace or '-'}/{name}",
        chart,
        version,
        None,
    )


def patch_ref(kind: str, namespace: str, name: str, version: str | None) -> ChartRef:
    """What a patch's version says until the object it patches is found: `KIND/NAMESPACE/NAME`
    (`-` for a namespace the file does not set)."""
    where = f"{kind}/{namespace or '-'}"
    return ChartRef(f"{where}/{name}", where, name, version, None)


def chart_references(source: Source, doc: Node, ignore: IgnoreFn) -> list[ChartReference]:
    """The chart pins of one YAML document, in no particular order; ranges and placeholders
    go to `ignore` with the chart's key."""
    if type(doc) is not MappingNode:
        return []
    root = merged_pairs(doc)
    api, kind = _text(root.get("apiVersion")) or "", _text(root.get("kind"))
    refs = (_pin_reference(pin, ignore) for pin in _pins(source, root, api, kind))
    return [ref for ref in refs if ref is not None]


def chart_patch_references(source: Source, doc: Node, ignore: IgnoreFn) -> list[ChartReference]:
    """The chart pins of a document: an object's, or a JSON 6902 patch's version operations."""
    if type(doc) is SequenceNode:
        refs = (_pin_reference(pin, ignore) for pin in _json_patch(source.path, doc))
        return [ref for ref in refs if ref is not None]
    return chart_references(source, doc, ignore)


def json_patch_operations(doc: Node) -> list[tuple[str, str, Node | None]]:
    """A JSON 6902 patch's operations `(op, path, value)`: none when `doc` is no list of them."""
    found: list[tuple[str, str, Node | None]] = []
    for item in _items(doc):
        op, path = _text(item.get("op")), _text(item.get("path"))
        if op is None or path is None:
            return []
        found.append((op, path, item.get("value")))
    return found


def switches_chart(operations: list[tuple[str, str, Node | None]]) -> bool:
    """Whether a JSON 6902 patch names another chart or source than its target's."""
    return any(
        op != "test" and (path in _SWITCH_PARENTS or path in SWITCH_PATHS or path.startswith(_SWITCH_BELOW))
        for op, path, _ in operations
    )


def _json_patch(path: str, doc: Node) -> Iterator[_Pin]:
    """`- {op: replace, path: /spec/chart/spec/version, value: 6.5.0}` (or `add`): the version
    of the object a kustomization's `target:` names; its kind is the path's."""
    for op, pointer, value in json_patch_operations(doc):
        kind = JSON_PATCH_VERSIONS.get(pointer)
        if kind is not None and op in ("replace", "add") and type(value) is ScalarNode:
            pin = _Pin(None, "", value, patched=(kind, "", ""), patch_file=path)
            yield pin._replace(exact_tag=True) if kind == "OCIRepository" else pin


class _Pin(NamedTuple):
    """A chart version field and what names its source: a normalized URL, a HelmRelease's
    `sourceRef` (namespace, name), or a Chart.yaml repository alias (`@name`)."""

    source: str | None
    chart: str
    version: ScalarNode
    flux: tuple[str, str] | None = None
    patched: tuple[str, str, str] | None = None  # a patch: the object it patches (kind, ns, name)
    patch_file: str | None = None  # that patch's file
    alias: str | None = None
    names: tuple[ScalarNode, ...] = ()  # the scalars naming the chart and its source (holds)
    exact_tag: bool = False  # an OCIRepository's `ref.tag`, an Argo CD OCI artifact's: one tag, never a range


def _pins(source: Source, root: dict[str, Node], api: str, kind: str | None) -> Iterator[_Pin]:
    file_name = source.path.rsplit("/", 1)[-1]
    if api.startswith("argoproj.io/") and kind in ("Application", "ApplicationSet"):
        spec = _mapping(root, "spec")
        if kind == "ApplicationSet":
            spec = _mapping(_mapping(spec, "template"), "spec")
        yield from _argo_sources(spec)
        yield from _argo_patch(source.path, root, kind, _mapping(spec, "source"))
    elif api.startswith("helm.toolkit.fluxcd.io/") and kind == "HelmRelease":
        chart_spec = _mapping(_mapping(_mapping(root, "spec"), "chart"), "spec")
        yield from _helm_release(root, chart_spec)
        if "chart" not in chart_spec and "sourceRef" not in chart_spec:
            yield from _patch(source.path, root, "HelmRelease", chart_spec.get("version"))
    elif api.startswith(_FLUX_SOURCE_API) and kind == "HelmChart":
        spec = _mapping(root, "spec")
        yield from _helm_release(root, spec)
        if "chart" not in spec and "sourceRef" not in spec:  # a HelmRelease's chartRef, patched
            yield from _patch(source.path, root, "HelmChart", spec.get("version"))
    elif api.startswith(_FLUX_SOURCE_API) and kind == "OCIRepository":
        yield from _oci_repository(root)
        ref = _mapping(_mapping(root, "spec"), "ref")
        if "url" not in _mapping(root, "spec") and "digest" not in ref and "semver" not in ref:
            for pin in _patch(source.path, root, "OCIRepository", ref.get("tag")):
                yield pin._replace(exact_tag=True)  # one tag, as the OCIRepository's own
    elif api.startswith("helm.cattle.io/") and kind == "HelmChart":  # k3s / RKE2
        yield from _k3s_helm_chart(_mapping(root, "spec"))
    elif file_name in _CHART_FILES and "dependencies" in root:
        yield from _chart_dependencies(root)
    elif "helmCharts" in root and is_kustomization(file_name, api):
        for item in _items(root.get("helmCharts")):
            repo = _text(item.get("repo"))
            yield from _pin(
                source_of(repo) if repo else None, item.get("name"), item.get("version"), item.get("repo")
            )
    elif not api and not kind and type(root.get("releases")) is SequenceNode:
        yield from _helmfile(root)
    elif file_name in _FLEET_FILES and not api:
        yield from _fleet(root)


def oci_chart(doc: Node) -> tuple[tuple[str, str, str], tuple[str, str]] | None:
    """A Flux OCIRepository naming a chart by `spec.url` (`oci://REGISTRY/PATH/CHART`): ((kind,
    namespace, name), (chart, source)), for a patch of its `ref.tag` (bumper.plan.chart_sources).
    None for one pinned by `ref.digest` (Flux prefers it to a patch's tag)."""
    if type(doc) is not MappingNode:
        return None
    root = merged_pairs(doc)
    api, kind = _text(root.get("apiVersion")) or "", _text(root.get("kind"))
    spec, metadata = _mapping(root, "spec"), _mapping(root, "metadata")
    url, name = _text(spec.get("url")), _text(metadata.get("name"))
    if not api.startswith(_FLUX_SOURCE_API) or kind != "OCIRepository" or not url or not name:
        return None
    base, _, chart = url.rstrip("/").rpartition("/")
    found = source_of(base) if base.lower().startswith("oci://") else None
    if found is None or not chart or "digest" in _mapping(spec, "ref"):
        return None
    return ("OCIRepository", _text(metadata.get("namespace")) or "", name), (chart, found)


def argo_chart(doc: Node) -> tuple[tuple[str, str, str], tuple[str, str]] | None:
    """An Argo CD Application (ApplicationSet) whose `spec.source` names a chart: ((kind,
    namespace, name), (chart, source)), for a patch of it (bumper.plan.chart_sources)."""
    if type(doc) is not MappingNode:
        return None
    root = merged_pairs(doc)
    api, kind = _text(root.get("apiVersion")) or "", _text(root.get("kind"))
    if not api.startswith("argoproj.io/") or kind not in ("Application", "ApplicationSet"):
        return None
    spec = _mapping(root, "spec")
    if kind == "ApplicationSet":
        spec = _mapping(_mapping(spec, "template"), "spec")
    source, metadata = _mapping(spec, "source"), _mapping(root, "metadata")
    url, chart, name = _text(source.get("repoURL")), _text(source.get("chart")), _text(metadata.get("name"))
    found = source_of(url, oci_without_scheme=True) if url else None
    if not name or not chart or found is None:
        return None
    return (kind, _text(metadata.get("namespace")) or "", name), (chart, found)


def _argo_sources(spec: dict[str, Node]) -> Iterator[_Pin]:
    """`spec.source` and `spec.sources[]`: `{repoURL, chart, targetRevision}`; a `repoURL`
    without a scheme beside `chart` is an OCI registry path (Argo CD's OCI form)."""
    sources = [spec["source"]] if "source" in spec else []
    for item in [*sources, *_nodes(spec.get("sources"))]:
        if type(item) is not MappingNode:
            continue
        pairs = merged_pairs(item)
        url = _text(pairs.get("repoURL"))
        if url is None:
            continue
        if "chart" in pairs:
            found = source_of(url, oci_without_scheme=True)
            yield from _pin(found, pairs["chart"], pairs.get("targetRevision"), pairs.get("repoURL"))
        elif url.lower().startswith("oci://"):  # Argo CD 3.1: the OCI artifact itself
            base, _, chart = url.rstrip("/").rpartition("/")
            version = pairs.get("targetRevision")
            # Argo CD pulls an artifact's tag `1.2` as written (its `IsConstraint` is false)
            for pin in _pin(source_of(base), _scalar_text(chart), version, pairs.get("repoURL")):
                yield pin._replace(exact_tag=True)


def _helm_release(root: dict[str, Node], spec: dict[str, Node]) -> Iterator[_Pin]:
    """`{chart, version, sourceRef}` (a HelmRelease's `spec.chart.spec`, a HelmChart's `spec`)
    naming a HelmRepository (a GitRepository or Bucket holds a chart by path: no version)."""
    source_ref = _mapping(spec, "sourceRef")
    name = _text(source_ref.get("name"))
    if _text(source_ref.get("kind")) != _HELM_REPOSITORY or not name:
        return
    namespace = _text(source_ref.get("namespace")) or _text(_mapping(root, "metadata").get("namespace")) or ""
    chart, version = spec.get("chart"), spec.get("version")
    chart_text = _text(chart)
    if chart_text is not None and type(version) is ScalarNode:
        yield _Pin(None, chart_text, version, flux=(namespace, name), names=_real(chart))


def _argo_patch(path: str, root: dict[str, Node], kind: str, source: dict[str, Node]) -> Iterator[_Pin]:
    """An Application whose `spec.source` says `targetRevision` alone (no `repoURL`, no
    `chart`): a kustomize overlay's patch of an Application its base defines."""
    if "targetRevision" in source and "repoURL" not in source and "chart" not in source:
        yield from _patch(path, root, kind, source.get("targetRevision"))


def _patch(path: str, root: dict[str, Node], kind: str, version: Node | None) -> Iterator[_Pin]:
    """A version set by a kustomize overlay's patch that names neither the chart nor its source
    (a HelmRelease's `spec.chart.spec.version` alone: Flux's flux2-kustomize-helm-example
    layout): the pin deployed for the object of that kind and name its base defines, found
    through that object (bumper.plan.chart_sources)."""
    metadata = _mapping(root, "metadata")
    name = _text(metadata.get("name"))
    if name and type(version) is ScalarNode:
        patched = (kind, _text(metadata.get("namespace")) or "", name)
        yield _Pin(None, "", version, patched=patched, patch_file=path)


def _k3s_helm_chart(spec: dict[str, Node]) -> Iterator[_Pin]:
    """k3s `HelmChart` `spec.{repo, chart, version}`, or `chart: oci://REGISTRY/PATH/CHART`."""
    repo, chart = _text(spec.get("repo")), _text(spec.get("chart"))
    if repo:
        yield from _pin(source_of(repo), spec.get("chart"), spec.get("version"), spec.get("repo"))
    elif chart and chart.lower().startswith("oci://"):
        base, _, name = chart.rstrip("/").rpartition("/")
        yield from _pin(source_of(base), _scalar_text(name), spec.get("version"), spec.get("chart"))


def _fleet(root: dict[str, Node]) -> Iterator[_Pin]:
    """Rancher Fleet's `fleet.yaml`: `helm.{repo, chart, version}` or `helm.chart: oci://…`
    (as a k3s HelmChart), and each `targetCustomizations[].helm` that names its own chart."""
    yield from _k3s_helm_chart(_mapping(root, "helm"))
    for item in _items(root.get("targetCustomizations")):
        yield from _k3s_helm_chart(_mapping(item, "helm"))


def _oci_repository(root: dict[str, Node]) -> Iterator[_Pin]:
    """`spec.url` `oci://REGISTRY/PATH/CHART` and `spec.ref.tag`; `ref.semver` is a range, a
    `ref.digest` wins over the tag in Flux (nothing to move)."""
    spec = _mapping(root, "spec")
    url, ref = _text(spec.get("url")), _mapping(spec, "ref")
    if url is None or "digest" in ref:
        return
    base, _, chart = url.rstrip("/").rpartition("/")
    version = ref.get("semver") if "semver" in ref else ref.get("tag")
    found = source_of(base) if base.lower().startswith("oci://") else None
    for pin in _pin(found, _scalar_text(chart), version, spec.get("url")):
        yield pin._replace(exact_tag="semver" not in ref)


def _chart_dependencies(root: dict[str, Node]) -> Iterator[_Pin]:
    """`dependencies[] {name, repository, version}`; a repository `@name`/`alias:name` names a
    `helm repo add` entry this tree does not hold: left alone with its reason."""
    for item in _items(root.get("dependencies")):
        repository = _text(item.get("repository")) or ""
        if repository.startswith(("@", "alias:")):
            name, version = _text(item.get("name")), item.get("version")
            if name and type(version) is ScalarNode:
                yield _Pin(None, name, version, alias=repository)
            continue
        yield from _pin(source_of(repository), item.get("name"), item.get("version"), item.get("repository"))


def _helmfile(root: dict[str, Node]) -> Iterator[_Pin]:
    """`releases[] {chart: ALIAS/NAME, version}` through `repositories[] {name, url, oci}`, or
    a release naming `oci://REGISTRY/PATH/CHART` itself."""
    repositories: dict[str, str | None] = {}
    for item in _items(root.get("repositories")):
        name, url = _text(item.get("name")), _text(item.get("url"))
        if name and url:
            oci = _text(item.get("oci")) in ("true", "True") or _bool(item.get("oci"))
            found = source_of(f"oci://{url}" if oci and "://" not in url else url)
            # A name given two sources names neither for sure: its releases are never guessed at.
            repositories[name] = found if repositories.get(name, found) == found else None
    for item in _items(root.get("releases")):
        chart = _text(item.get("chart"))
        if chart is None:
            continue
        if chart.lower().startswith("oci://"):
            base, _, name = chart.rstrip("/").rpartition("/")
            yield from _pin(source_of(base), _scalar_text(name), item.get("version"), item.get("chart"))
            continue
        alias, slash, name = chart.partition("/")
        if slash and "/" not in name and alias in repositories:
            yield from _pin(repositories[alias], _scalar_text(name), item.get("version"), item.get("chart"))


def _pin(
    source: str | None, chart: Node | None, version: Node | None, named_by: Node | None = None
) -> Iterator[_Pin]:
    """The pin of `version`; `chart` and `named_by` (the repository's or URL's scalar) name it."""
    chart_text = _text(chart)
    if source is None or chart_text is None or type(version) is not ScalarNode:
        return
    if valid_chart_name(chart_text, source):
        yield _Pin(source, chart_text, version, names=_real(chart, named_by))


def _real(*nodes: Node | None) -> tuple[ScalarNode, ...]:
    """The scalars of the file among `nodes` (a chart name taken out of a URL is none)."""
    return tuple(n for n in nodes if type(n) is ScalarNode and n.start_mark is not None)


def _pin_reference(pin: _Pin, ignore: IgnoreFn) -> ChartReference | None:
    text = _version_text(pin.version)
    if text is None:
        return None
    line = pin.version.start_mark.line + 1
    if pin.alias is not None:
        ignore(Ignored(line, NAME, f"{pin.alias}/{pin.chart}:{text}", REPOSITORY_ALIAS, None))
        return None
    if pin.source is not None:
        ref = ChartRef.at(pin.source, pin.chart, text)
    elif pin.patched is not None:
        ref = patch_ref(*pin.patched, text)
    else:
        ref = flux_source_ref(*(pin.flux or ("", "")), pin.chart, text)
    if is_placeholder(text):
        ignore(Ignored(line, NAME, str(ref), PLACEHOLDER, ref.key))
        return None
    if is_range(text, exact_tag=pin.exact_tag):
        ignore(Ignored(line, NAME, str(ref), RANGE, ref.key))
        return None
    if not is_version(text):  # `1.2.3@sha256:…`, `1.2.3 beta`: more than a version to lose
        ignore(Ignored(line, NAME, str(ref), NOT_A_VERSION, ref.key))
        return None
    return ChartReference(
        NAME,
        pin.version,
        ref,
        name_nodes=pin.names,
        flux_source=pin.flux,
        patched=pin.patched,
        patch_file=pin.patch_file,
    )


def _version_text(node: ScalarNode) -> str | None:
    """A version field's text: a string, or a number (`version: 1.2`); None for null or a bool."""
    if node.tag == STR_TAG or node.tag in _NUMBER_TAGS:
        return str(node.value)
    return None


def _text(node: Node | None) -> str | None:
    return str(node.value) if type(node) is ScalarNode and node.tag == STR_TAG and node.value else None


def _bool(node: Node | None) -> bool:
    return type(node) is ScalarNode and node.tag == _BOOL_TAG and str(node.value).lower() == "true"


def _scalar_text(text: str) -> ScalarNode:
    """A chart name taken out of a URL, as the node `_pin` reads."""
    return ScalarNode(STR_TAG, text)


def _mapping(pairs: dict[str, Node], key: str) -> dict[str, Node]:
    node = pairs.get(key)
    return merged_pairs(node) if type(node) is MappingNode else {}


def _nodes(node: Node | None) -> list[Node]:
    return list(node.value) if type(node) is SequenceNode else []


def _items(node: Node | None) -> Iterator[dict[str, Node]]:
    for item in _nodes(node):
        if type(item) is MappingNode:
            yield merged_pairs(item)


SHAPE = Shape(NAME, document=chart_patch_references)
