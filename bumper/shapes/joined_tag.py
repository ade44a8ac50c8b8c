"""Shape `joined_tag`: Helm values whose chart joins an untagged `image: REPO` with a version kept
in another key, `imageVersion` or `imageTag` beside it or in the map above its map (kubecost's
`imageVersion` over `kubecostFrontend.image` and `kubecostModel.image`, rendered
`{{ .image }}:{{ .imageVersion }}`): a tag appended to the image would render `REPO:NEW:OLD`.
Such an image is noted (reason `tag-elsewhere`) and left; a `$bumper` marker on the version
field moves it."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode

from bumper.changes import explained
from bumper.image_ref import ImageRef
from bumper.shapes.left_alone import TAG_ELSEWHERE
from bumper.shapes.nodes import STR_TAG, merged_pairs
from bumper.shapes.reference import Ignored
from bumper.shapes.shape import Claim, Found, Shape

NAME = "joined_tag"
# The keys that hold the version a chart appends to a name-only `image:`. `tag` and `version`
# are not: beside `image:` the helm shape reads them as its tag, and higher up they are any
# chart's words (Istio's `global.tag` names no single image).
VERSION_KEYS = frozenset(
    {"imageVersion", "imageTag", "image_version", "image_tag", "IMAGE_VERSION", "IMAGE_TAG"}
)


def joined_images(node: MappingNode, keys: list[str], context: str | None, found: Found) -> Claim | None:
    """Note each untagged `image:` of this map and of the maps directly in it as joined with the
    version key of this map. Claims nothing: the helm shape reads `image` + `imageTag`/`image_tag`
    as its split pair."""
    pairs = merged_pairs(node)
    key = next((k for k in keys if k in VERSION_KEYS and type(pairs.get(k)) is ScalarNode), None)
    if key is None:
        return None
    version = pairs[key]
    assert type(version) is ScalarNode
    for holder in (pairs, *(merged_pairs(v) for v in pairs.values() if type(v) is MappingNode)):
        _note(holder.get("image"), key, version, found)
    return None


def _note(image: Node | None, key: str, version: ScalarNode, found: Found) -> None:
    if type(image) is not ScalarNode or image.tag != STR_TAG:
        return
    parsed = ImageRef.try_parse(str(image.value))
    if parsed is None or parsed.tag or parsed.digest:
        return  # a whole reference: the chart runs it as written
    line = version.start_mark.line + 1
    reason = explained(
        TAG_ELSEWHERE,
        f"the chart joins it with `{key}` (line {line}): a tag written here would render "
        f'{parsed.name}:TAG:VERSION; move `{key}` with # {{"$bumper": "{parsed.name}:tag"}}',
    )
    found.joined.setdefault(
        id(image), Ignored(image.start_mark.line + 1, "container", str(image.value), reason, parsed.key)
    )


SHAPE = Shape(NAME, mapping=joined_images, mapping_keys=VERSION_KEYS)
