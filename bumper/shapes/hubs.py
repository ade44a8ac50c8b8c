"""Istio's images are `HUB/COMPONENT:TAG`: one `hub` and one `tag` (`global.hub`, `global.tag`,
an IstioOperator's `spec.hub`/`spec.tag`) for every component, each named by a bare `image: pilot`
(`proxyv2`, `ztunnel`) that its chart joins with them (`{{ .hub }}/{{ .image }}:{{ .tag }}`, a
name with a `/` is used as written). Neither is a reference bumper may rewrite for one image: the
tag is every component's, and `image: pilot` is no `docker.io/library/pilot`. Both are noted
(reason `hub-and-tag`), keyed so a bump of `HUB/COMPONENT` lists them."""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import Node, ScalarNode

from bumper.changes import explained
from bumper.errors import RefParseError
from bumper.image_ref import ImageRef, repository_key, split_name
from bumper.shapes.nodes import STR_TAG
from bumper.shapes.reference import Ignored, IgnoreFn, Reference

HUB_AND_TAG = "hub-and-tag"
_MARK = '# {"$bumper": "%s:tag"}'


def hub_key(hub: str) -> str | None:
    """The normalized registry/namespace a `hub` names (`docker.io/istio`, `gcr.io/istio-release`),
    None for one that names none (empty, a placeholder, a URL)."""
    try:
        registry, path = split_name(f"{hub.strip('/')}/component")
    except RefParseError:
        return None
    return f"{registry}/{path.removesuffix('/component')}"


def tag_note(hub: ScalarNode, tag: ScalarNode) -> Ignored | None:
    """The note for a `tag` beside a `hub`: every component's tag, moved for none of them."""
    key = hub_key(str(hub.value))
    if key is None or not str(tag.value):
        return None
    why = explained(
        HUB_AND_TAG,
        f"the chart runs {hub.value}/COMPONENT:{tag.value} for every component it names "
        f"(Istio's pilot, proxyv2): a tag several images share is not moved for one; move it "
        f"with {_MARK % f'{hub.value}/COMPONENT'} on its line",
    )
    return Ignored(tag.start_mark.line + 1, "helm", f"{hub.value}/*:{tag.value}", why, f"{key}/*")


class HubComponents:
    """One document's `hub` + `tag` maps and its bare `image: NAME` values (container.py defers
    them here): once the document is walked, each such name is its hub's component, noted, or
    (no hub in the document) the whole reference it reads as."""

    def __init__(self) -> None:
        self.hubs: list[tuple[ScalarNode, ScalarNode, bool]] = []  # (hub, tag, marked) in walk order
        self.pending: list[tuple[Reference, ScalarNode | None]] = []  # (name, the hub beside it)
        self.tags: dict[int, ScalarNode] = {}  # an unmarked hub's tag (by id) -> its hub, whole file
        # a marked hub's tag (by id) -> its hub's scalars (an Argo CD parameter's name too), whole file
        self.marked: dict[int, tuple[ScalarNode, ...]] = {}

    def off_hub_tags(self, refs: list[Reference], ignore: IgnoreFn) -> list[Reference]:
        """`refs` less those that would edit an unmarked hub's tag, reached through an anchor
        (`global: {hub: docker.io/istio, tag: *ver}` beside `app: {repository: …, tag: *ver}`):
        that edit moves every component the hub names; each is noted `hub-and-tag`."""
        for ref in refs:
            for said in self.marked.get(id(ref.node), ()):
                if said not in ref.name_nodes:
                    ref.name_nodes = (*ref.name_nodes, said)  # `hub: …  # bumper: hold` holds the tag
        if not self.tags:
            return refs
        kept: list[Reference] = []
        for ref in refs:
            nodes = (ref.node, *ref.moves_with())
            hub = next((self.tags[id(node)] for node in nodes if id(node) in self.tags), None)
            if hub is None:
                kept.append(ref)
                continue
            why = explained(
                HUB_AND_TAG,
                f"the value is also the tag the chart runs {hub.value}/COMPONENT with (line "
                f"{hub.start_mark.line + 1}), through an anchor: moving it moves every component; "
                "write this image's tag apart to move it",
            )
            ignore(Ignored(ref.line, ref.shape, str(ref.ref), why, ref.ref.key or None))
        return kept

    def defer(self, ref: Reference, hub: ScalarNode | None = None) -> None:
        """Settle `ref` (a bare `image: NAME`) once the document is walked; `hub`: its map's."""
        self.pending.append((ref, hub))

    def flush(self, add: Callable[[Reference | None], None], ignore: IgnoreFn) -> None:
        """Settle the document's deferred names; ready for the next document."""
        named = [(hub, marked) for hub, _, marked in self.hubs if hub_key(str(hub.value)) is not None]
        for ref, own in self.pending:
            if not self.hubs:
                add(ref)
                continue
            mine = next(((h, m) for h, m in named if h is own), None)
            hub, marked = mine or (named[0] if named else (None, False))
            if not marked:  # a marker on its hub's tag line moves that tag: nothing to say
                ignore(component_note(ref, hub))
        self.hubs, self.pending = [], []


def repository_note(hub: ScalarNode, repository: Node | None) -> Ignored | None:
    """The note for a `repository:` in a map with a `hub` and a `tag` (`<<: *global` beside
    `repository: REPO`): whether the chart joins that tag with the hub or the repository is not
    for bumper to guess, and the tag is every component's."""
    if type(repository) is not ScalarNode or repository.tag != STR_TAG:
        return None
    key = repository_key(str(repository.value))
    if key is None:
        return None
    name = str(repository.value)
    why = explained(
        HUB_AND_TAG,
        f"the map's `tag` is also its `hub`'s ({hub.value}/COMPONENT:TAG for every component the "
        f"chart names): it is not moved for one image; to move it, write the map's own `tag:` "
        f"with {_MARK % name} on that line",
    )
    return Ignored(repository.start_mark.line + 1, "helm", name, why, key)


def is_component_name(key: str, text: str, parsed: ImageRef) -> bool:
    """`image: pilot`: a bare name under `image` (no registry, no path, no tag or digest)."""
    return key == "image" and "/" not in text and not parsed.tag and not parsed.digest


def component_note(ref: Reference, hub: ScalarNode | None) -> Ignored:
    """The note for a bare `image: NAME` its chart joins with `hub` and `tag`."""
    name = str(ref.node.value)
    image = f"{hub.value}/{name}" if hub is not None else f"HUB/{name}"
    why = explained(
        HUB_AND_TAG,
        f"a component's name the chart joins with `hub` and `tag` ({image}:TAG), not Docker Hub's "
        f"{name}; bumper does not move that shared tag for one image: move it with "
        f"{_MARK % image} on the `tag` line",
    )
    key = repository_key(image) if hub is not None else ref.ref.key
    return Ignored(ref.line, "container", name, why, key)
