"""Which commit on a bot branch is bumper's own: the trailers it writes and the test that reads them.

bumper owns a bot branch only while its tip is one commit of bumper's on top of a commit of
the base (README, "The remote flow"). Its commits end with two trailers:

    Bumper-Branch: bumper/ghcr.io-acme-app
    Bumper-Content: 3f1c…   (a digest of the paths and blob ids the commit changed)

and a commit on a bot branch names the image set the branch is for (bumper/remote/naming.py
reads it to tell apart two image sets whose default branch names read alike):

    Bumper-Images: ghcr.io/acme/app   (the normalized repositories, sorted, space-separated)

The test relies on the message and the shape only, never on the author or committer: a commit
made through the host's API (GitHub `createCommitOnBranch`) carries the host's identity. A
person's amend that changes any file, a commit added on top, a merge of the base, or a message
without the trailers all fail the test, so bumper leaves that branch alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from bumper import changes

BRANCH_TRAILER = "Bumper-Branch"
CONTENT_TRAILER = "Bumper-Content"
IMAGES_TRAILER = "Bumper-Images"
# A promotion's target, `--to` as given (a digest: patterns may hold any text): two promotions
# whose branch names read alike (--to clusters/prod, --to 'clusters/*/prod') keep apart.
PROMOTE_TO_TRAILER = "Bumper-Promote-To"


def promote_to_key(paths: Iterable[str]) -> str:
    """The Bumper-Promote-To value of a promotion to `paths` (--to, in order)."""
    return hashlib.sha256("\n".join(paths).encode()).hexdigest()[:16]


_DIGEST_LEN = 32


def content_digest(entries: Iterable[tuple[str, str]]) -> str:
    """A digest of `(path, new blob id)` for every path a commit changes ('' for a deletion).

    The blob ids are git's, so a commit made with git and one the host builds from the same
    bytes (through its API) get the same digest.
    """
    h = hashlib.sha256()
    for path, blob in sorted(entries):
        h.update(path.encode("utf-8", "surrogateescape") + b"\0" + blob.encode() + b"\n")
    return h.hexdigest()[:_DIGEST_LEN]


def ownership_trailers(branch: str, entries: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The trailers that mark a commit on `branch` as bumper's (see `changes.add_trailers`)."""
    return [(BRANCH_TRAILER, branch), (CONTENT_TRAILER, content_digest(entries))]


def images_trailer(keys: Iterable[str]) -> tuple[str, str]:
    """The trailer naming the image set (normalized repositories) a bot branch's commit bumps."""
    return (IMAGES_TRAILER, " ".join(sorted(set(keys))))


def trailer_images(trailers: dict[str, str]) -> frozenset[str] | None:
    """The image set a commit's Bumper-Images trailer names; None without that trailer."""
    value = trailers.get(IMAGES_TRAILER)
    return None if value is None else frozenset(value.split())


def read_trailers(message: str) -> dict[str, str]:
    """The message's trailers by key (the last one of a repeated key)."""
    return dict(changes.read_trailers(message))


def not_own_reason(
    message: str,
    parents: list[str],
    branch: str,
    entries: Iterable[tuple[str, str]],
    parent_on_base: bool,
    images: frozenset[str] | None = None,
) -> str | None:
    """Why the tip commit of `branch` is not bumper's own, or None when it is.

    `entries` are the `(path, blob id)` pairs the tip changes against its parent. `images`: the
    image set this run names the branch after (None: --branch chose it); a tip naming another
    set is another run's (a commit made before the trailer existed names none).
    """
    trailers = read_trailers(message)
    if trailers.get(BRANCH_TRAILER) != branch or CONTENT_TRAILER not in trailers:
        return "its last commit was not made by bumper"
    held = trailer_images(trailers)
    if images is not None and held is not None and held != images:
        return f"its last commit bumps other images ({', '.join(sorted(held))})"
    if len(parents) != 1:
        return "its last commit is a merge"
    if trailers[CONTENT_TRAILER] != content_digest(entries):
        return "its last commit was changed after bumper made it"
    if not parent_on_base:
        return "it holds commits bumper did not make"
    return None
