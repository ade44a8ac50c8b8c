"""Shape `marker`: a scalar on a line ending with `# {"$bumper": "REPO[:tag|:name|:digest]"}`;
and the line scan both marker shapes share (Flux's `# {"$imagepolicy": ...}` is policy_marker.py's)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from yaml.nodes import Node, ScalarNode

from bumper.errors import RefParseError
from bumper.image_ref import DIGEST_HINT, ImageRef, is_digest, parse_tag_value, repository_key, split_name
from bumper.shapes.left_alone import PLACEHOLDER, is_placeholder
from bumper.shapes.reference import Ignored, IgnoreFn, Reference, WholeRef
from bumper.shapes.shape import Shape
from bumper.yaml_edit import Plan, Source, parser_lines

NAME = "marker"


@cache
def _marker_re() -> re.Pattern[str]:
    """Compiled by the first file that says a marker word (most trees: none)."""
    return re.compile(r"#\s*(\{\s*\"\$(?:bumper|imagepolicy)\"\s*:\s*\"[^\"]*\"\s*\})\s*$")


@dataclass
class MarkedPart(Reference):
    """A scalar a marker comment (`$bumper`, `$imagepolicy`) says holds one part of an image, and
    what a marked tag takes from the Helm map or kustomize entry of its line (walk.py)."""

    part: str = "tag"
    # A marked tag's Helm map or kustomize entry pinned by a digest no marker sets (walk.py):
    # the digest moves with the tag, and a REF (policy image) without one is refused (no stale digest).
    digest_node: ScalarNode | None = None
    # A marked `version:` repeating the tag of the `image:` beside it: they move together.
    tied_node: ScalarNode | None = None
    # The image the Helm map or kustomize entry of its line runs, when the marker names another
    # (a mirror's map tracking the upstream's tags): a hold rule naming either holds it.
    runs: str | None = None

    def moves_with(self) -> tuple[Node, ...]:
        return tuple(node for node in (self.digest_node, self.tied_node) if node is not None)

    def tied(self) -> ScalarNode | None:
        return self.tied_node

    def runs_image(self) -> str | None:
        return self.runs


@dataclass
class MarkerPartRef(MarkedPart):
    """A scalar holding one part (tag, digest or name) of the reference its `$bumper` marker names."""

    def rewrite(self, plan: Plan, source: Source, new: ImageRef) -> str:
        moved = self.new_ref(new)
        if self.part == "tag" and new.tag is not None:
            plan.replace(source, self.node, new.tag)
            if self.digest_node is not None and new.digest is not None:
                plan.replace(source, self.digest_node, new.digest)
        elif self.part == "digest" and new.digest is not None:
            plan.replace(source, self.node, new.digest)
        return str(moved)


def find_markers(source: Source) -> dict[int, tuple[str, str, str]]:
    """0-based line -> (target, part, kind) for each line ending with a marker comment:
    kind `bumper` (target a repository) or `imagepolicy` (target a Flux NAMESPACE:NAME)."""
    text = source.text
    if not says_a_word(text, ("$bumper", "$imagepolicy")):
        return {}
    import json  # only a file with a marker reads JSON (tests/import_budget_test.py)

    found: dict[int, tuple[str, str, str]] = {}
    marker_re = _marker_re()
    for index, line in enumerate(parser_lines(text).split("\n")):  # the lines the marks number
        match = marker_re.search(line.rstrip("\r"))
        if match is None:
            continue
        try:
            ((key, target),) = json.loads(match.group(1)).items()
        except (ValueError, TypeError):
            continue
        if not isinstance(target, str):
            continue
        if key == "$imagepolicy":
            found[index] = (*split_policy_marker(target), "imagepolicy")
            continue
        repo, _, part = target.rpartition(":")
        if part not in ("tag", "name", "digest"):
            repo, part = target, "whole"
        found[index] = (repo, part, "bumper")
    return found


def says_a_word(text: str, words: tuple[str, ...]) -> bool:
    """Whether `text` holds one of `words`, each starting with `$`: memchr-fast looks for each
    `$` (most files have none, a chart's values file a few), a search for the words past a few."""
    at = text.find("$")
    for _ in range(8):
        if at < 0:
            return False
        if text.startswith(words, at):
            return True
        at = text.find("$", at + 1)
    return at >= 0 and any(word in text for word in words)


def split_policy_marker(target: str) -> tuple[str, str]:
    """`ns:name` -> (ns:name, whole); `ns:name:tag` -> (ns:name, tag). Flux's setter names
    always start with NAMESPACE:NAME, so a policy may itself be called `tag`."""
    policy, _, part = target.rpartition(":")
    if target.count(":") == 2 and part in ("tag", "name", "digest"):
        return policy, part
    return target, "whole"


def not_a_digest(node: ScalarNode, key: str | None, ignore: IgnoreFn) -> bool:
    """`digest: latest # {"$bumper": "REPO:digest"}` is no pin to move: listed, never rewritten."""
    if not node.value or is_digest(str(node.value)):
        return False
    ignore(Ignored(node.start_mark.line + 1, NAME, str(node.value), f"not-a-digest: {DIGEST_HINT}", key))
    return True


def without_tagless_marks(found: list[Reference], ignore: IgnoreFn) -> list[Reference]:
    """`found` less the `:tag`-marked scalars that hold no tag (`image: REPO:v1` marked
    `REPO:tag` read as a tag `REPO:v1` of another variant and was skipped so); each is noted
    with what to write instead."""
    kept = []
    for ref in found:
        value = str(ref.node.value)
        if not (isinstance(ref, MarkedPart) and ref.part == "tag" and value) or is_placeholder(value):
            kept.append(ref)
            continue
        try:
            parse_tag_value(value)
        except RefParseError as exc:
            why, key = str(exc), (None if getattr(ref, "policy", "") else ref.ref.key)
            if ImageRef.try_parse(value) is not None:
                why = "not-a-tag: the value is a whole reference; mark it without :tag"
            ignore(Ignored(ref.line, NAME, value, why, key))
            continue
        kept.append(ref)
    return kept


def placeholder_marked(node: ScalarNode, tag: str | None, key: str | None, ignore: IgnoreFn) -> bool:
    """A marked scalar whose tag another tool fills in (`changeme`, `${TAG}`, `set-by-chartpress`):
    listed as `placeholder`, as unmarked such values are, never written (it was skipped as
    another variant); write a real tag there for the marker to move it."""
    if not tag or not is_placeholder(tag.partition("@")[0]):
        return False
    ignore(Ignored(node.start_mark.line + 1, NAME, str(node.value), PLACEHOLDER, key))
    return True


def marker_ref(node: ScalarNode, repo: str, part: str, ignore: IgnoreFn) -> Reference | None:
    """The reference a scalar marked `{"$bumper": repo}` holds: `part` of it, or the whole."""
    if part == "digest" and not_a_digest(node, repository_key(repo), ignore):
        return None
    if part == "tag" and placeholder_marked(node, str(node.value), repository_key(repo), ignore):
        return None
    try:
        registry, path = split_name(repo)
    except RefParseError:
        return None
    if part == "whole":
        text, prefix = str(node.value), ""
        ref = ImageRef.try_parse(text)
        if ref is None and "=" in text:  # `--config-reloader=REF`, `IMAGE=REF`: after the last `=`
            prefix, _, text = text.rpartition("=")
            prefix += "="
            ref = ImageRef.try_parse(text)
        if ref is None or ref.key != f"{registry}/{path}":
            return None
        if placeholder_marked(node, ref.tag, ref.key, ignore):
            return None
        return WholeRef("marker", node, ref, prefix=prefix)
    tag = node.value if part == "tag" else None
    digest = node.value if part == "digest" else None
    return MarkerPartRef("marker", node, ImageRef(repo, registry, path, tag, digest), part=part)


SHAPE = Shape(NAME, marker_kind="bumper", marked=marker_ref)
