"""Values that name an image but hold no tag bumper may write: placeholders another tool fills
in, kustomize `tagSuffix` entries, Helm values without a tag field, a name whose tag is kept
elsewhere, a version range (README, "What gets rewritten").

Each is listed under `ignored` with its reason (the words are defined here, for every shape that
leaves a value alone for one of them) and the image's repository, so a bump of that image names
it and a bump of another does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yaml.nodes import Node, ScalarNode

from bumper.changes import explained
from bumper.image_ref import repository_key
from bumper.shapes.reference import Ignored

PLACEHOLDER = "placeholder"
TAG_SUFFIX = "tag-suffix"
NO_TAG_FIELD = "no-tag-field"  # a values map's `repository:` with no tag key (left_alone.py)
# A key other than `image` (`RUNNER_IMAGE:`, `sidecarImage:`, an env var's value) holding a name
# with no tag or digest: the program may put a tag after it from a field of its own
# (`RUNNER_IMAGE` + `RUNNER_TAG`), so a tag written there would run `repo:v2:v1` (container.py).
NO_TAG = "no-tag"
NO_TAG_NOTE = explained(
    NO_TAG,
    "a key other than `image` names the image without a tag or digest (its tag may be set "
    "beside it); write the tag in the value for bumper to move it",
)
TAG_ELSEWHERE = "tag-elsewhere"  # an `image:` its chart joins with `imageVersion` (joined_tag.py)
# A file saying two things where it means one (a Helm map's `imageTag` and `ImageTag`, a kustomize
# `newName: repo:v1` beside `newTag`): which one its tool reads is not for bumper to guess.
AMBIGUOUS = "ambiguous"
# A version range where the version goes: a chart's `^1.2` (chart.py), an ImageUpdater's
# `app:~1.0` (container.py); the tool that reads it picks the version.
RANGE = "range"

# `CONTAINER_IMAGES_TAG`, `__TAG__`: capitals, digits and underscores, with a letter.
_CAPITALS = re.compile(r"[A-Z_][A-Z0-9_]*")
_VERSION = re.compile(r"V\d+")  # `V2`: capitals and digits, yet a version tag, not a placeholder
# Words release tooling writes where it fills the version in when it publishes, never a tag an
# image is pushed with: zero-to-jupyterhub's chartpress writes `tag: "set-by-chartpress"` in
# values.yaml (and `version: 0.0.1-set.by.chartpress` in Chart.yaml), others `set-by-ci`,
# `replaced-by-ci`, `overridden-at-deploy`; anywhere in the tag. And a tag that is only a request
# to fill it in: `changeme`, `replace-me`, `to-be-replaced`, `placeholder`. (Tags only: a name
# part may be any word, `ghcr.io/acme/placeholder`.)
_FILLED_IN = re.compile(
    r"(?:^|[-_.])(?:set|replaced|filled|overridden|overwritten|injected|populated|updated)"
    r"[-_.](?:by|in|at|on|from|during)[-_.][a-z]",
    re.IGNORECASE,
)
_FILL_ME = re.compile(
    r"(?:change|replace|fill|set)[-_.]?me|to[-_.]be[-_.](?:set|replaced|filled|defined)|placeholder",
    re.IGNORECASE,
)
# Keys of a values map that make a lone `repository:` an image's (beside `image:` as its key).
_IMAGE_MAP_KEYS = frozenset({"registry", "pullPolicy", "digest"})
# The keys a Helm values map keeps its tag in beside `repository:` (helm.py reads them too).
TAG_KEYS = frozenset({"tag", "imageTag", "version"})


def is_placeholder(text: str) -> bool:
    """A value another tool fills in before deploying: `$TAG`, `${TAG}`, `{{ .tag }}`, all
    capitals/digits/underscores like `CONTAINER_IMAGES_TAG` (but `V2`, a version), or words
    saying so (`set-by-chartpress`, `changeme`)."""
    if _FILLED_IN.search(text) is not None or _FILL_ME.fullmatch(text) is not None:
        return True
    return _fills_in(text)


def _fills_in(text: str) -> bool:
    """`$NAME`, `{{ … }}` or all capitals/digits/underscores: what a placeholder name part is."""
    if "$" in text or "{{" in text or "}}" in text:
        return True
    if _VERSION.fullmatch(text):
        return False
    return _CAPITALS.fullmatch(text) is not None and any(c.isalpha() for c in text)


def placeholder_whole(text: str) -> str | None:
    """The repository of `NAME:PLACEHOLDER` (`app:$TAG`, `app:${TAG}`, `app:BUILD_TAG`), else None."""
    name, colon, tag = text.partition("@")[0].rpartition(":")
    if not colon or "/" in tag or not is_placeholder(tag):
        return None
    return repository_key(name)


def kustomize_left_alone(
    pairs: dict[str, Node], name: ScalarNode | None, new_name: ScalarNode | None, key: str
) -> Ignored | None:
    """Why a kustomize `images:` entry for `key` is left alone: it only appends `tagSuffix`, or
    its `newTag`/`newName` is a placeholder; None when it is a reference to bump."""
    tag, suffix = pairs.get("newTag"), pairs.get("tagSuffix")
    if type(tag) is ScalarNode and tag.value and is_placeholder(str(tag.value).partition("@")[0]):
        return Ignored(tag.start_mark.line + 1, "kustomize", str(tag.value), PLACEHOLDER, key)
    if new_name is not None and any(_fills_in(part) for part in str(new_name.value).split("/")):
        return Ignored(new_name.start_mark.line + 1, "kustomize", str(new_name.value), PLACEHOLDER, key)
    if suffix is not None and (tag is None or (type(tag) is ScalarNode and not tag.value)):
        where = suffix if type(suffix) is ScalarNode else (name or new_name)
        line = where.start_mark.line + 1 if where is not None else 0
        value = str(suffix.value) if type(suffix) is ScalarNode else ""
        return Ignored(line, "kustomize", value, TAG_SUFFIX, key)
    return None


def untagged_values(
    pairs: dict[str, Node], parent_key: str | None, ignore: Callable[[Ignored], None]
) -> None:
    """A Helm values map naming an image by `repository:` with no tag field (the chart's
    appVersion applies): there is nothing to write; list it as `no-tag-field`."""
    note = _untagged_note(pairs, parent_key)
    if note is not None:
        ignore(note)


class UntaggedNotes:
    """The `no-tag-field` notes of one walk, given out once it has seen every map: a repository
    written in an anchored map (`&base`) is no note when a map merging it (`<<: *base`) has a tag."""

    def __init__(self) -> None:
        self.pending: dict[int, Ignored] = {}
        self.used: set[int] = set()

    def see(self, pairs: dict[str, Node], parent_key: str | None) -> None:
        repository = pairs.get("repository")
        if repository is None:
            return
        if any(k in pairs for k in TAG_KEYS):
            self.used.add(id(repository))
            return
        note = _untagged_note(pairs, parent_key)
        if note is not None:
            self.pending.setdefault(id(repository), note)

    def flush(self, ignore: Callable[[Ignored], None]) -> None:
        for node_id, note in self.pending.items():
            if node_id not in self.used:
                ignore(note)


def _untagged_note(pairs: dict[str, Node], parent_key: str | None) -> Ignored | None:
    repository = pairs.get("repository")
    if type(repository) is not ScalarNode or repository.tag != "tag:yaml.org,2002:str":
        return None
    if any(k in pairs for k in TAG_KEYS):
        return None
    is_image = parent_key is not None and parent_key.endswith(("image", "Image"))
    if not is_image and _IMAGE_MAP_KEYS.isdisjoint(pairs):
        return None  # a chart dependency, a Git repository, a CI job's `repository:`
    registry = pairs.get("registry")
    name = str(repository.value)
    if type(registry) is ScalarNode and registry.value:
        name = f"{registry.value}/{name}"
    key = repository_key(name)
    if key is None:
        return None
    return Ignored(repository.start_mark.line + 1, "helm", name, NO_TAG_FIELD, key)
