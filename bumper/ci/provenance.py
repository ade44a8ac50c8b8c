"""Where a bumped image came from: the CI build and the old -> new references, as commit trailers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from bumper.chart_ref import try_parse_ref
from bumper.image_ref import ImageRef

if TYPE_CHECKING:
    from bumper.ci.env import Build


# Provenance trailers on every bump commit (README, "Audit and roll back"):
# `git log --grep='^Bumper-Image: REPO:'`.
TRAILER_IMAGE = "Bumper-Image"
TRAILER_BUILD = "Bumper-Build"
# The CI build's trailers, one per field of bumper.ci.env.Build (system, url, run_id, commit), in its order.
TRAILER_SOURCE_COMMIT = "Bumper-Source-Commit"
BUILD_TRAILERS = ("Bumper-CI", TRAILER_BUILD, "Bumper-Run-Id", TRAILER_SOURCE_COMMIT)


class Changed(Protocol):
    """What the trailers read of a change record (bumper.changes.Change): its two values."""

    @property
    def old(self) -> str: ...

    @property
    def new(self) -> str: ...


def current_build(env: Mapping[str, str]) -> Build | None:
    """bumper.ci.env's reading of the CI build; imported here, where a run first asks (a dry run
    never does: its CI tables cost start-up)."""
    from bumper.ci.env import current_build as read

    return read(env)


def source_build(env: Mapping[str, str]) -> str | None:
    """A link to the CI build that produced the image, when the CI environment says it."""
    build = current_build(env)
    return build.url if build else None


def source_commit(env: Mapping[str, str]) -> str | None:
    build = current_build(env)
    return build.commit if build else None


def provenance_trailers(
    refs: Sequence[ImageRef],
    changes: Sequence[Changed],
    env: Mapping[str, str],
    kept_from: Sequence[tuple[str, str]] | None = None,
) -> list[tuple[str, str]]:
    """The trailers of a bump commit: each image's old -> new reference, then the CI build.

    The new reference is the REF as given (with its digest when the CI knew it); the old one is
    what the files held, spelled with the REF's name so one `git log --grep` finds every bump.
    `kept_from`: the trailers of the bot branch's commit whose versions this one keeps, every
    one of them (a later build pushed them first): its build is named, not this run's, which
    brought none of them.
    """
    by_key = {r.key: r for r in refs}
    pairs: dict[tuple[str, str], None] = {}
    for old_text, new_text in dict.fromkeys((c.old, c.new) for c in changes):  # each pair parsed once
        old, new = try_parse_ref(old_text), try_parse_ref(new_text)  # images and charts
        ref = by_key.get(new.key) if new is not None else None
        if ref is None:
            continue
        before = ref.name + old.version if old is not None else old_text
        pairs[(before, str(ref))] = None
    trailers = [(TRAILER_IMAGE, f"{old} -> {new}") for old, new in sorted(pairs)]
    if kept_from is not None:
        return trailers + [(key, value) for key, value in kept_from if key in BUILD_TRAILERS]
    build = current_build(env)
    if build is not None:
        trailers += [(key, value) for key, value in zip(BUILD_TRAILERS, build) if value]
    return trailers
