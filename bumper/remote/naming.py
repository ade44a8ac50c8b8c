"""Which name a bot branch that bumper names takes: its default name, or that name's twin when
the default one already holds another image set's bump.

Default names are spelled from the images (`bumper/` + ImageRef.slug), and two image sets can
spell alike: `ghcr.io/acme/app-x`, `ghcr.io/acme-app/x` and `ghcr.io/acme/app/x` all name
`bumper/ghcr.io-acme-app-x`. Each bump commit on a bot branch names its image set in a
`Bumper-Images` trailer (bumper/git/ownership.py); a run whose default branch names another
set takes the twin `<default>-<8 hex of its image set>`, and keeps taking the twin while it
exists. Existing branches are never renamed: a default branch whose set matches, or that an
older bumper made for this set, stays in use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from bumper import changes
from bumper.chart_ref import one_hub, try_parse_ref
from bumper.ci.provenance import TRAILER_IMAGE
from bumper.git.clone import Clone
from bumper.git.ownership import BRANCH_TRAILER, PROMOTE_TO_TRAILER, trailer_images
from bumper.git.read import deepen_branch
from bumper.git.refname import MAX_BRANCH_LEN

TWIN_DIGITS = 8
# The tip, and the commit under it: a person's commit or a merge of the base on top of
# bumper's commit still tells whose branch it is (the bot branch is fetched two deep).
_LOOKED_AT = 2
# Past those two (more commits of a person's, a merge and a commit on it), the branch's history
# is fetched deeper, once, and read down to this many first-parent commits off the base.
_DEEPEST = 50


def twin_name(name: str, keys: Iterable[str]) -> str:
    """The branch an image set takes when its default name `name` is another set's (a name
    near git's length limit for bumper is shortened first, so the twin is always valid)."""
    digest = hashlib.sha256("\n".join(sorted(set(keys))).encode()).hexdigest()
    room = MAX_BRANCH_LEN - 1 - TWIN_DIGITS
    stem = name if len(name) <= room else name[:room].rstrip("/.")
    return f"{stem}-{digest[:TWIN_DIGITS]}"


def held_by_another_set(
    cloned: Clone, sha: str, name: str, keys: frozenset[str], promote_to: str | None = None
) -> bool:
    """Whether branch `name`, fetched at `sha`, holds the bump of an image set other than `keys`.

    Read from the nearest commit of bumper's for `name` (its Bumper-Branch trailer) on the
    branch's first-parent line off the base: the tip and the commit under it, else (a person
    put more on top) down to _DEEPEST commits, fetched once. Its Bumper-Images trailer, else
    (made before that trailer existed) its Bumper-Image trailers, which name the images it
    changed: another set when one of them is not in `keys`. No such commit: not known to be
    another's (as before; the branch is then judged as the run's own, and a person's commit on
    it leaves it `blocked`). `promote_to`: a promotion's target (Bumper-Promote-To); a commit
    naming another target is another promotion's, one naming none (older) is not known to be.
    """
    found = _nearest_own(cloned, sha, name, _LOOKED_AT)
    if found is None and _longer_than(cloned, sha, _LOOKED_AT):
        deepen_branch(cloned, name, _DEEPEST - _LOOKED_AT)
        found = _nearest_own(cloned, sha, name, _DEEPEST)
    if found is None:
        return False
    target = dict(changes.read_trailers(found)).get(PROMOTE_TO_TRAILER)
    if promote_to is not None and target is not None and target != promote_to:
        return True
    return names_another_set(found, keys)


def names_another_set(message: str, keys: frozenset[str]) -> bool:
    """Whether bumper's commit `message` bumps an image set other than `keys`: its
    Bumper-Images trailer is another set, or (without it) its Bumper-Image trailers name an image
    not in `keys`. A Docker Hub chart's key an older bumper wrote as the REF spelled it
    (`oci://docker.io/…`) is the key it has now."""
    images = trailer_images(dict(changes.read_trailers(message)))
    if images is not None:
        return frozenset(one_hub(key) for key in images) != keys
    return not commit_images(message) <= keys


def _nearest_own(cloned: Clone, sha: str, name: str, depth: int) -> str | None:
    """The message of the nearest first-parent commit off the base, among `depth`, that bumper
    made for branch `name`."""
    log = ["log", "--first-parent", f"-n{depth}", "--format=%B%x00", sha, f"^{cloned.base_sha}"]
    for message in cloned.git.out(log, action="read").split("\0"):
        if dict(changes.read_trailers(message)).get(BRANCH_TRAILER) == name:
            return message
    return None


def _longer_than(cloned: Clone, sha: str, depth: int) -> bool:
    """Whether the branch may have more than `depth` first-parent commits off the base: `depth`
    of them were read, and the last one's first parent is not the base's tip (or not fetched)."""
    log = ["log", "--first-parent", f"-n{depth}", "--format=%H %P", sha, f"^{cloned.base_sha}"]
    lines = cloned.git.out(log, action="read").splitlines()  # a shallow commit shows no parent
    return len(lines) >= depth and lines[-1].split()[1:2] != [cloned.base_sha]


def commit_images(message: str) -> frozenset[str]:
    """The image set a bump commit of bumper's names: its Bumper-Images trailer, else (made
    before that trailer existed) the images its `Bumper-Image: OLD -> NEW` trailers changed."""
    found = changes.read_trailers(message)
    images = trailer_images(dict(found))
    if images is not None:
        return images
    return frozenset(key for name, value in found if name == TRAILER_IMAGE if (key := _changed_key(value)))


def _changed_key(value: str) -> str | None:
    """The image a `Bumper-Image: OLD -> NEW` trailer changed (None: unreadable)."""
    ref = try_parse_ref(value.rpartition(" -> ")[2].strip())
    return None if ref is None else ref.key
