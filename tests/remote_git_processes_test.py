"""The git commands a small `--repo` run starts, as GIT_TRACE lists them (issue 30: each one is a
process start on the way to the PR). A new one, or one run twice, fails here with the list."""

from __future__ import annotations

import re
from pathlib import Path

from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, make_world

# A first run: the bot branch asked for beside the clone, the files that mention the image read,
# one commit, one push, and the branch read once more after the PR step (the race check). The
# first two run at once, so the trace may list them in either order.
FIRST_RUN = [
    "ls-remote",  # the bot branch, while the clone runs
    "clone",
    "rev-parse",  # the base's commit and the default branch's name, in one run
    "grep",
    "read-tree",
    "ls-files",
    "update-index",
    "checkout-index",
    "fast-import",  # the commit; HEAD is not moved to it (nothing reads it)
    "push",
    "ls-remote",  # the bot branch still holds the pushed commit
]


# What git itself starts below the clone (the pack, its connectivity check) and the push.
GITS_OWN = {"index-pack", "rev-list", "send-pack", "pack-objects"}


def _git_commands(trace: Path) -> list[str]:
    """The subcommand of each git process bumper started, as the trace shows them."""
    found = re.findall(r" trace: built-in: git (\S+)", trace.read_text(errors="replace"))
    return [name for name in found if name not in GITS_OWN]


def test_a_first_run_starts_these_git_commands_and_no_other(tmp_path: Path) -> None:
    trace = tmp_path / "git-trace.txt"
    with make_world(tmp_path, "github") as world:
        proc = world.run("bump", f"{EXAMPLE_IMAGE}:v9.9.9", GIT_TRACE=str(trace))
        assert proc.returncode == 0, proc.stderr
        assert world.branch_sha(EXAMPLE_BRANCH) is not None and len(world.open_pulls()) == 1
    assert sorted(_git_commands(trace)) == sorted(FIRST_RUN)
