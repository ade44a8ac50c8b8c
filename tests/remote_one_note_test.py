"""End to end, every host: bumper's PR note about a branch it left alone (a person's commit on
it, a retargeted PR) is one comment, kept up to date. Each newer version waiting edits that
comment instead of adding another, the same note is not written again, a note from an earlier
bumper (its marker naming the images) is taken over, and a person's comment quoting or naming
the note is never edited (docs/reference.md, "Left alone").
"""

from __future__ import annotations

import json
from typing import Any

from testing import repos
from testing.runs import bump_json, run_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, world_on_each

BRANCH, IMAGE = EXAMPLE_BRANCH, EXAMPLE_IMAGE


world = world_on_each()


def opened(world: World) -> Any:
    first = bump_json(world, f"{IMAGE}:v1.2.3")
    assert first["status"] == "opened"
    return next(p for p in world.host.pulls if p.number == first["pull_request"]["number"])


def blocked(world: World, tag: str) -> None:
    proc = run_bump(world, f"{IMAGE}:{tag}")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "blocked"
    assert f"{IMAGE}:{tag} is waiting" in proc.stderr


def test_each_newer_version_edits_the_one_note(world: World) -> None:
    pr = opened(world)
    theirs = repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"reviewer's fixup\n"}, message="fixup")
    blocked(world, "v1.3.0")
    [note] = pr.comments
    assert f"{IMAGE}:v1.3.0" in note

    for tag in ("v1.4.0", "v1.5.0"):  # a busy pipeline: each version waits on the same branch
        api = world.host.mark()
        blocked(world, tag)
        [note] = pr.comments  # the same one comment, edited
        assert f"{IMAGE}:{tag}" in note and "v1.3.0" not in note and "v1.4.0" not in note.replace(tag, "")
        assert [w.method for w in world.writes(api)] in (["PATCH"], ["PUT"])

    api, git = world.host.mark(), len(world.git.requests)
    blocked(world, "v1.5.0")  # the same note: nothing written
    assert world.writes(api) == [] and world.pushes(git) == []
    assert world.branch_sha(BRANCH) == theirs and len(pr.comments) == 1

    api = world.host.mark()
    blocked(world, "v1.4.0")  # a pipeline of an older version finishing late: the note stays
    assert world.writes(api) == [] and f"{IMAGE}:v1.5.0" in pr.comments[0] and len(pr.comments) == 1
    assert getattr(world.host, "problems", []) == []  # every edit as the host's published API has it


def test_a_retargeted_prs_note_is_one_comment_too(world: World) -> None:
    pr = opened(world)
    if world.branch_sha("release-1") is None:
        repos.git("branch", "release-1", "main", cwd=world.bare)
    pr.base = "release-1"
    blocked(world, "v1.3.0")
    blocked(world, "v1.4.0")
    [note] = pr.comments
    assert "release-1" in note and f"{IMAGE}:v1.4.0" in note and "v1.3.0" not in note


def test_an_earlier_bumpers_note_is_taken_over_and_a_persons_comment_is_not(world: World) -> None:
    pr = opened(world)
    repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"reviewer's fixup\n"}, message="fixup")
    legacy = (
        f"bumper did not update this branch: `{BRANCH}` has commits bumper did not make. "
        f"Waiting: {IMAGE}:v1.3.0.\n\n<!-- bumper:blocked images={IMAGE}:v1.3.0 -->"
    )
    quoting = f"> Waiting: {IMAGE}:v1.3.0.\n>\n> <!-- bumper:blocked -->\n\nwhy is it waiting?"
    naming = "bumper ends its note with <!-- bumper:blocked --> so do not edit that line\n\nthanks"
    pr.comments += [legacy, quoting, naming]

    blocked(world, "v1.4.0")
    assert len(pr.comments) == 3 and pr.comments[1:] == [quoting, naming]  # the persons' stay
    assert f"{IMAGE}:v1.4.0" in pr.comments[0] and pr.comments[0].rstrip().endswith("<!-- bumper:blocked -->")


def test_a_persons_comment_ending_with_the_note_pasted_is_not_edited(world: World) -> None:
    """A person who pasted bumper's note, marker and all, below words of their own (a token with
    write access may edit anyone's comment on most hosts): their comment is not bumper's note,
    so it stays as written and bumper adds its own."""
    pr = opened(world)
    repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"reviewer's fixup\n"}, message="fixup")
    pasted = (
        f"@team this is stuck, bumper said:\n\nbumper did not update this branch: `{BRANCH}` has "
        f"commits bumper did not make. Waiting: {IMAGE}:v1.3.0.\n\n<!-- bumper:blocked -->"
    )
    pr.comments.append(pasted)
    blocked(world, "v1.4.0")
    assert len(pr.comments) == 2 and pr.comments[0] == pasted and f"{IMAGE}:v1.4.0" in pr.comments[1]


def test_a_note_the_host_will_not_let_it_edit_is_followed_by_a_new_one(world: World) -> None:
    """The token was rotated to another bot account, and only a comment's author may edit it:
    the edit is refused (403), so the run adds a new note, which the next run edits."""
    pr = opened(world)
    repos.add_commit(world.bare, BRANCH, {"NOTES.md": b"reviewer's fixup\n"}, message="fixup")
    blocked(world, "v1.3.0")
    refusal = (403, {}, {"message": "only the author may edit this comment"})
    world.host.inject(refusal, path=r"(comments|notes)/\d+$", times=1)
    blocked(world, "v1.4.0")
    assert len(pr.comments) == 2 and "v1.3.0" in pr.comments[0] and "v1.4.0" in pr.comments[1]
    blocked(world, "v1.5.0")  # the new note is this token's: its edit goes through
    assert len(pr.comments) == 2 and "v1.5.0" in pr.comments[1] and "v1.3.0" in pr.comments[0]
