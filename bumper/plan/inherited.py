"""A kustomize `images:` entry without newTag runs the tag of the base it patches; adding one
must not make the move that base's own reference was refused (another variant, a downgrade, a
hold, a rule's `allow`): the overlay would render it all the same."""

from __future__ import annotations

from collections.abc import Iterable

from bumper.changes import Skip
from bumper.image_ref import ImageRef
from bumper.plan.file import FileOutcome, renamed_key

_REFUSED = ("variant", "downgrade", "held", "policy")  # a move the tree's own reference may not make


def overridden(
    outcomes: Iterable[FileOutcome], renaming: tuple[ImageRef, ImageRef] | None = None
) -> dict[tuple[str, int], Skip]:
    """(path, line) of each entry whose added newTag would override a refused reference of the
    same image -> the skip it gets instead: that reference's reason (and rule) and its place.
    A reference another commit mode delivers counts too: the entry renders its tag all the same.
    `renaming` (image, REF): the refusals are of `image` judged at the REF's version, and veto
    only the entries renaming it to that REF."""
    outcomes = list(outcomes)
    refused: dict[str, Skip] = {}
    for outcome in outcomes:
        for left in [*outcome.skipped, *outcome.refused_elsewhere]:
            parsed = ImageRef.try_parse(left.value) if left.reason in _REFUSED and left.value else None
            if parsed is not None:
                key = parsed.key
                if renaming is not None and key == renaming[0].key:
                    key = renamed_key(*renaming)
                refused.setdefault(key, left)
    vetoed: dict[tuple[str, int], Skip] = {}
    for outcome in outcomes:
        for path, line, key, by_digest in outcome.inherited:
            base = refused.get(key)
            if base is not None:
                reason = _by_digest(base) if by_digest else _runs_base_tag(base)
                vetoed[(path, line)] = Skip(path, line, None, None, reason, base.rule)
    return vetoed


def _runs_base_tag(base: Skip) -> str:
    return (
        f"{base.reason}: the entry has no newTag, so it runs the tag of {base.file}:{base.line} "
        f"({base.value}), which is not moved"
    )


def _by_digest(base: Skip) -> str:
    """An entry pinning the image by `digest:` alone renders NAME@DIGEST: it runs no base's tag,
    and its digest says nothing bumper can read of the variant or version it was pushed as. It is
    judged by another reference of the image in the tree (the skip is safe); the reason says so
    rather than claim the entry runs that reference's tag."""
    return (
        f"{base.reason}: the entry pins the image by digest alone (no newTag), so bumper cannot "
        f"read the variant or version it runs; it judged it by {base.file}:{base.line} "
        f"({base.value}), another reference of this image in the tree, which is not moved; write "
        "the tag of the entry's digest as its newTag for bumper to judge the entry on its own"
    )
