"""Istio's images are `HUB/COMPONENT:TAG`: one `hub` and one `tag` (`global.hub`, `global.tag`,
an IstioOperator's `spec.hub`/`spec.tag`) for every component, each named by a bare `image: pilot`
(`proxyv2`, `ztunnel`) that its chart joins with them (`{{ .hub }}/{{ .image }}:{{ .tag }}`, a
name with a `/` is used as written). Neither is a reference bumper may rewrite for one image: the
tag is every component's, and `image: pilot` is no `docker.io/library/pilot`. Both are noted
(reason `hub-and-tag`), keyed so a bump of `HUB/COMPONENT` lists them."""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import ScalarNode

from bumper.changes import explained
from bumper.errors import RefParseError
from bumper.image_ref import ImageRef, repository_key, split_name
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
                ignore(_component_note(ref, hub))
        self.hubs, self.pending = [], []


def is_component_name(key: str, text: str, parsed: ImageRef) -> bool:
    """`image: pilot`: a bare name under `image` (no registry, no path, no tag or digest)."""
    return key == "image" and "/" not in text and not parsed.tag and not parsed.digest


def _component_note(ref: Reference, hub: ScalarNode | None) -> Ignored:
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
