"""End to end: the base and the bot branch both moved after this run cloned the base.

Another run rebuilt the bot branch on a base commit that landed after this run's clone. The
branch's parent was then newer than the base this run had, and the ownership check read that
as "not on the base": the run reported `blocked` and told the PR, in a comment, that the
branch had commits bumper did not make, and the newer version was not delivered. It is bumper's
own commit on the current base: the attempt now starts again from a fresh clone, as when a
push loses a race.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from testing import repos
from testing.git_server import FaultAnswer, RequestInfo
from testing.runs import bump_json, run_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, make_world


@pytest.mark.parametrize("provider", ["github", "gitlab", "azure-devops"])
def test_a_bot_branch_rebuilt_on_a_newer_base_is_still_bumpers(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider) as world:
        first = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        old_main, old_tip = world.branch_sha("main"), world.branch_sha(EXAMPLE_BRANCH)
        new_main = repos.add_commit(world.bare, "main", {"NOTES.md": b"a person's change\n"}, message="notes")
        bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.5")  # the other run: v1.2.5 on the new main
        new_tip = world.branch_sha(EXAMPLE_BRANCH)
        for ref, sha in (("main", old_main), (EXAMPLE_BRANCH, old_tip)):  # as before both landed
            repos.git("update-ref", f"refs/heads/{ref}", str(sha), cwd=world.bare)

        reads: list[int] = []

        def both_land_after_the_clone(info: RequestInfo) -> FaultAnswer:
            if info.method == "GET" and "git-upload-pack" in info.query:
                reads.append(info.seq)
                if len(reads) == 4:  # the clone, its reads, the branch's ls-remote; then its fetch
                    for ref, sha in (("main", new_main), (EXAMPLE_BRANCH, new_tip)):
                        repos.git("update-ref", f"refs/heads/{ref}", str(sha), cwd=world.bare)
            return None

        world.git.fault = both_land_after_the_clone
        comments = [len(p.comments) for p in world.host.pulls]
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.6", "--base", "main")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "updated", (result["status"], proc.stderr)
        assert result["pull_request"] == first["pull_request"] and "blocked" not in proc.stderr
        tip = world.branch_sha(EXAMPLE_BRANCH)
        assert repos.git("rev-parse", f"{tip}^", cwd=world.bare).decode().strip() == new_main
        assert b"v1.2.6" in (world.read(EXAMPLE_BRANCH, "apps/web/deployment.yaml") or b"")
        assert [len(p.comments) for p in world.host.pulls] == comments  # no word to the PR


def test_a_base_commit_dated_ahead_of_a_later_one_still_carries_bumpers_branch(tmp_path: Path) -> None:
    """A commit on main dated a day ahead (a laptop whose clock was off), bumper's branch made
    on it, then a person's commit on top with a right clock: the branch's parent was dated after
    main's tip, read as 'not on the base', and the run said `blocked`, 'commits bumper did not
    make', and left the newer version waiting."""
    with make_world(tmp_path, "github") as world:
        ahead = str(int(time.time()) + 86_400)
        env = {**repos.git_env(), "GIT_AUTHOR_DATE": f"@{ahead}", "GIT_COMMITTER_DATE": f"@{ahead}"}
        future = subprocess.run(
            ["git", "commit-tree", "main^{tree}", "-p", "main", "-m", "a commit from tomorrow"],
            cwd=world.bare, env=env, capture_output=True, check=True, text=True,
        ).stdout.strip()  # fmt: skip
        repos.git("update-ref", "refs/heads/main", future, cwd=world.bare)
        assert bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")["status"] == "opened"
        repos.add_commit(world.bare, "main", {"NOTES.md": b"a person's change\n"}, message="notes")

        result = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.5")
        assert result["status"] == "updated", result
        assert repos.commit_info(world.bare, EXAMPLE_BRANCH)["parents"] == world.branch_sha("main")
