"""Shape `version_table`: a list giving each version it supports its own images, `versions:`
entries `{version: 2.8.1, natsImage: nats:2.8.1, metricsExporterImage: …}` (Argo Events' chart,
`configs.jetstream.versions`: an EventBus asking for 2.8.1 runs that entry's images). One REF
cannot say which entry is its version: written everywhere, every version would run the same
image. Each image of such a table is noted (reason `version-table`) and left; a `$bumper` marker
on one line moves that line."""

from __future__ import annotations

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from bumper.changes import explained
from bumper.image_ref import ImageRef
from bumper.shapes.nodes import STR_TAG
from bumper.shapes.reference import Ignored
from bumper.shapes.shape import Claim, Found, Shape

NAME = "version_table"
TABLE_KEY = "versions"
VERSION_TABLE = explained(
    "version-table",
    "an entry of a list giving each supported version its images (Argo Events' "
    "configs.jetstream.versions: `version: 2.8.1` runs nats:2.8.1); one REF would make every "
    "version run the same image: add or edit the entry by hand",
)


def version_table(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """Note each image of a `versions:` list whose entries say distinct `version`s and one of
    whose images is tagged its entry's version (`_tagged`; so the list is such a table, not a list of
    settings that happen to say a version). Claims nothing: the entries are walked as ever and
    their images reported as notes instead (`Found.tabled`)."""
    table = next((v for k, v in node.value if type(k) is ScalarNode and k.value == TABLE_KEY), None)
    if type(table) is not SequenceNode or len(table.value) < 2:
        return None
    entries: list[tuple[str, list[tuple[ScalarNode, ImageRef]]]] = []
    for item in table.value:
        if type(item) is not MappingNode:
            return None
        pairs = {k.value: v for k, v in item.value if type(k) is ScalarNode}
        version = pairs.get("version")
        if type(version) is not ScalarNode or not str(version.value):
            return None
        entries.append((str(version.value), _images(item)))
    versions = [version for version, _ in entries]
    if len(set(versions)) != len(versions):
        return None
    if not any(_tagged(ref.tag, version) for version, images in entries for _, ref in images):
        return None
    for _, images in entries:
        for value, ref in images:
            line = value.start_mark.line + 1
            found.tabled.setdefault(
                id(value), Ignored(line, "container", str(value.value), VERSION_TABLE, ref.key)
            )
    return None


def _tagged(tag: str | None, version: str) -> bool:
    """Whether an image tag is its entry's version: the same, with a `v` before it, or that
    version's release (`version: "2.10"` runs nats:2.10.11; `2.8.1` runs nats:2.8.1-alpine)."""
    for written in (tag or "", (tag or "").removeprefix("v")):
        if written == version or written.startswith((version + ".", version + "-")):
            return True
    return False


def _images(entry: MappingNode) -> list[tuple[ScalarNode, ImageRef]]:
    """The entry's values that are whole image references (a tag or a digest)."""
    images = []
    for _, value in entry.value:
        if type(value) is not ScalarNode or value.tag != STR_TAG:
            continue
        parsed = ImageRef.try_parse(str(value.value))
        if parsed is not None and (parsed.tag or parsed.digest):
            images.append((value, parsed))
    return images


SHAPE = Shape(NAME, mapping=version_table, mapping_keys=frozenset({TABLE_KEY}))
