"""End to end, every host: a fork's pull request from a branch named like bumper's bot branch.

Anyone who can fork the manifests repository can open a PR from their fork's branch
`bumper/ghcr.io-acme-app` into `main`. The hosts list that PR among the repository's own
(GitLab's merge requests of the target project, Bitbucket Cloud's and Azure Repos' pull requests
into the repository), by branch name alone. bumper took it for its own: it pushed its branch
and rewrote the fork owner's title and description, reporting `updated` with their PR's
number, while its own commit had no PR at all. Now a PR whose head is in another repository is
never bumper's: the run opens its own and the fork's PR is left exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.fake_provider import PullRecord
from testing.runs import bump_json
from testing.seeds import seed_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, HOST_LAYOUTS, REPO_PATH, World, make_world

HOSTS = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")


def _fork_pull(world: World, state: str = "open") -> PullRecord:
    """A PR into the manifests repository from a fork's branch of the bot branch's name."""
    repo = HOST_LAYOUTS[world.provider][0] if world.provider in HOST_LAYOUTS else REPO_PATH
    fork = "mallory/" + repo.split("/")[1]
    pull = PullRecord(
        repo, 1, "Bump app to my build", "from my fork", EXAMPLE_BRANCH, "main", state=state, head_repo=fork
    )
    world.host.pulls.append(pull)
    return pull


@pytest.mark.parametrize("provider", HOSTS)
def test_a_forks_pr_from_a_same_named_branch_is_not_bumpers(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider) as world:
        theirs = _fork_pull(world)
        opened = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert opened["status"] == "opened", opened
        assert (theirs.title, theirs.body, theirs.state) == ("Bump app to my build", "from my fork", "open")
        mine = [p for p in world.open_pulls() if p.head_repo is None]
        assert [p.number for p in mine] == [opened["pull_request"]["number"]] != [theirs.number]
        assert f"{EXAMPLE_IMAGE}:v1.2.3" in mine[0].title

        again = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")  # converged: its own PR is found
        assert again["status"] == "up-to-date" and again["pull_request"] == opened["pull_request"]
        updated = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        assert updated["status"] == "updated" and updated["pull_request"] == opened["pull_request"]
        assert (theirs.title, theirs.body) == ("Bump app to my build", "from my fork")


@pytest.mark.parametrize("provider", HOSTS)
def test_a_forks_closed_pr_does_not_make_the_bot_branch_stale(tmp_path: Path, provider: str) -> None:
    """Another run pushed v1.3.0 to the bot branch and has not opened its PR yet; a fork made
    from that branch had a PR closed at the same commit. That closed PR is not bumper's: the
    branch is not stale, so a run asked for v1.2.9 keeps v1.3.0 (never backwards) and opens
    the PR, rather than starting from the base and force-pushing the older version over it."""
    with make_world(tmp_path, provider) as world:
        seed_bump(world, f"{EXAMPLE_IMAGE}:v1.3.0")
        world.host.pulls.clear()  # as when the other run has pushed and not yet opened its PR
        theirs = _fork_pull(world, state="closed")
        theirs.head_sha = world.branch_sha(EXAMPLE_BRANCH) or ""
        lower = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.9")
        assert lower["status"] == "opened", lower
        assert b"v1.3.0" in (world.read(EXAMPLE_BRANCH, "apps/web/deployment.yaml") or b"")


def test_a_pr_from_the_bot_branch_into_a_fork_is_not_bumpers(tmp_path: Path) -> None:
    """Bitbucket Data Center lists the PRs from a branch into every repository of its fork
    hierarchy (OUTGOING): one a person opened from bumper's branch into their fork's `main` was
    taken for bumper's PR, and its id (numbered in the fork) sent to this repository's API."""
    with make_world(tmp_path, "bitbucket-server") as world:
        repo = HOST_LAYOUTS["bitbucket-server"][0]
        theirs = PullRecord(
            "~MALLORY/manifests", 1, "Try bumper's change", "in my fork", EXAMPLE_BRANCH, "main"
        )
        theirs.head_repo = repo
        world.host.pulls.append(theirs)
        bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3", "--provider", "none")  # the branch exists
        opened = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        assert opened["status"] == "opened", opened
        assert (theirs.title, theirs.body) == ("Try bumper's change", "in my fork")
        [mine] = [p for p in world.open_pulls() if p.repo == repo]
        assert mine.head == EXAMPLE_BRANCH and f"{EXAMPLE_IMAGE}:v1.2.4" in mine.title


def test_a_github_that_ignores_the_head_filter_does_not_hand_over_a_forks_pr(tmp_path: Path) -> None:
    """bumper asks GitHub for `head=acme:BRANCH`; a host (or a proxy dropping the query) that
    answers every open PR must not have it take the fork's same-named PR for its own."""
    with make_world(tmp_path, "github") as world:
        world.host.ignores_head_filter = True  # type: ignore[union-attr]
        theirs = _fork_pull(world)
        opened = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert opened["status"] == "opened" and opened["pull_request"]["number"] != theirs.number
        assert (theirs.title, theirs.body) == ("Bump app to my build", "from my fork")
        again = bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        assert again["status"] == "updated" and again["pull_request"] == opened["pull_request"]
        assert (theirs.title, theirs.body) == ("Bump app to my build", "from my fork")
