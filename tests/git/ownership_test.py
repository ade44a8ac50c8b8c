"""A bot branch is bumper's only while its tip carries both trailers, for this branch, for the very
files it changes, on one parent that is on the base."""

from __future__ import annotations

from bumper.changes import add_trailers
from bumper.git.ownership import (
    content_digest,
    images_trailer,
    not_own_reason,
    ownership_trailers,
    read_trailers,
    trailer_images,
)

BRANCH = "bumper/ghcr.io-acme-app"
ENTRIES = [("apps/a.yaml", "1" * 40), ("apps/b.yaml", "2" * 40)]


def _message(branch: str = BRANCH, entries: list[tuple[str, str]] = ENTRIES) -> str:
    return add_trailers("Bump app to v2\n\nbody", ownership_trailers(branch, entries))


def test_the_digest_is_of_paths_and_blobs_in_any_order() -> None:
    assert content_digest(ENTRIES) == content_digest(reversed(ENTRIES))
    assert content_digest(ENTRIES) != content_digest([("apps/a.yaml", "1" * 40)])
    assert content_digest([("a", "")]) != content_digest([("a", "0" * 40)])  # a deletion differs


def test_bumpers_own_commit_and_each_way_it_stops_being_so() -> None:
    assert read_trailers(_message())["Bumper-Branch"] == BRANCH
    assert not_own_reason(_message(), ["p"], BRANCH, ENTRIES, True) is None
    reasons = [
        not_own_reason("a person's commit", ["p"], BRANCH, ENTRIES, True),
        not_own_reason(_message("bumper/other"), ["p"], BRANCH, ENTRIES, True),
        not_own_reason(_message(), ["p", "q"], BRANCH, ENTRIES, True),
        not_own_reason(_message(), ["p"], BRANCH, ENTRIES[:1], True),
        not_own_reason(_message(), ["p"], BRANCH, ENTRIES, False),
    ]
    assert reasons == [
        "its last commit was not made by bumper",
        "its last commit was not made by bumper",
        "its last commit is a merge",
        "its last commit was changed after bumper made it",
        "it holds commits bumper did not make",
    ]


def test_a_tip_naming_another_image_set_is_not_this_runs() -> None:
    """A branch of bumper's naming is for one image set (its Bumper-Images trailer); --branch
    (images None) and a commit made before the trailer existed are judged as before."""
    ours, theirs = frozenset({"ghcr.io/acme/app"}), frozenset({"ghcr.io/acme-app"})
    named = add_trailers("Bump app to v2", [images_trailer(ours), *ownership_trailers(BRANCH, ENTRIES)])
    assert read_trailers(named)["Bumper-Images"] == "ghcr.io/acme/app"
    assert trailer_images(read_trailers(named)) == ours
    assert trailer_images(read_trailers(_message())) is None
    assert not_own_reason(named, ["p"], BRANCH, ENTRIES, True, ours) is None
    assert not_own_reason(named, ["p"], BRANCH, ENTRIES, True, None) is None
    assert not_own_reason(_message(), ["p"], BRANCH, ENTRIES, True, theirs) is None
    assert (
        not_own_reason(named, ["p"], BRANCH, ENTRIES, True, theirs)
        == "its last commit bumps other images (ghcr.io/acme/app)"
    )


def test_the_images_trailer_is_sorted_and_each_image_once() -> None:
    assert images_trailer(["b.io/x", "a.io/y", "b.io/x"]) == ("Bumper-Images", "a.io/y b.io/x")
