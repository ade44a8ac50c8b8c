"""End to end, every CI system with a compare view (GitHub Actions, GitLab CI, Gitea and Forgejo
Actions, Bitbucket Pipelines, Azure Pipelines), each on its host's world: the PR body links
"what's in this deploy" (the source repository's compare view) when the version being replaced
came from a bumper commit naming its source commit, and has no link otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testing.seeds import seed_bump
from testing.world import World, make_world

OLD, NEW, OTHER = "a" * 40, "b" * 40, "c" * 40
CI = {
    "github": lambda sha: {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_ID": "7",
        "GITHUB_SHA": sha,
    },
    "gitlab": lambda sha: {
        "GITLAB_CI": "true",
        "CI_PROJECT_URL": "https://gitlab.example/acme/app",
        "CI_PIPELINE_URL": "https://gitlab.example/acme/app/-/pipelines/7",
        "CI_PIPELINE_ID": "7",
        "CI_COMMIT_SHA": sha,
    },
    "gitea": lambda sha: {
        "GITEA_ACTIONS": "true",
        "GITHUB_ACTIONS": "true",  # Gitea's runner sets GITHUB_* too
        "GITHUB_SERVER_URL": "https://gitea.example",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_NUMBER": "7",
        "GITHUB_SHA": sha,
    },
    "forgejo": lambda sha: {
        "FORGEJO_ACTIONS": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://codeberg.example",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_NUMBER": "7",
        "GITHUB_SHA": sha,
    },
    "bitbucket": lambda sha: {
        "BITBUCKET_BUILD_NUMBER": "7",
        "BITBUCKET_GIT_HTTP_ORIGIN": "http://bitbucket.org/acme/app",  # as Pipelines sets it
        "BITBUCKET_COMMIT": sha,
    },
    "azure": lambda sha: {
        "TF_BUILD": "True",
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/",
        "SYSTEM_TEAMPROJECT": "Platform Team",
        "BUILD_REPOSITORY_NAME": "app",
        "BUILD_REPOSITORY_PROVIDER": "TfsGit",
        "BUILD_BUILDID": "7",
        "BUILD_SOURCEVERSION": sha,
    },
}
WORLD = {"forgejo": "gitea", "azure": "azure-devops"}  # the CI's host, where it is not its name
LINK = {
    "github": f"https://github.example/acme/app/compare/{OLD}...{NEW}",
    "gitlab": f"https://gitlab.example/acme/app/-/compare/{OLD}...{NEW}",
    "gitea": f"https://gitea.example/acme/app/compare/{OLD}...{NEW}",
    "forgejo": f"https://codeberg.example/acme/app/compare/{OLD}...{NEW}",
    "bitbucket": f"http://bitbucket.org/acme/app/branches/compare/{NEW}%0D{OLD}",
    "azure": f"https://dev.azure.com/acme/Platform%20Team/_git/app/branchCompare?baseVersion=GC{OLD}&targetVersion=GC{NEW}",
}


@dataclass
class Case:
    """A world on the CI's host, and the CI system whose variables the runs see."""

    world: World
    ci: str


@pytest.fixture(params=sorted(CI))
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Case]:
    with make_world(tmp_path, WORLD.get(request.param, request.param)) as w:
        yield Case(w, request.param)


def bump(case: Case, ref: str, sha: str | None, *args: str) -> None:
    env = CI[case.ci](sha) if sha else {}
    proc = case.world.run("bump", ref, *args, **env)
    assert proc.returncode == 0, proc.stderr


def seed(case: Case, ref: str, sha: str, *args: str) -> None:
    """bump() run only to set up what a test starts from (testing/seeds.py: run once per worker)."""
    seed_bump(case.world, ref, *args, **CI[case.ci](sha))


def test_the_pr_links_the_source_changes_between_the_two_builds(case: Case) -> None:
    seed(case, "ghcr.io/acme/app:v1.2.5", OLD, "--mode", "commit")  # deployed by a build of OLD
    bump(case, "ghcr.io/acme/app:v1.3.0", NEW)

    [pr] = case.world.open_pulls()
    assert f"What's in this deploy: {LINK[case.ci]}" in pr.body


def test_no_link_when_the_old_version_was_set_by_hand(case: Case) -> None:
    bump(case, "ghcr.io/acme/app:v1.3.0", NEW)
    [pr] = case.world.open_pulls()
    assert "What's in this deploy" not in pr.body and "/compare/" not in pr.body


def test_no_link_outside_ci_or_for_the_same_commit(case: Case) -> None:
    seed(case, "ghcr.io/acme/app:v1.2.5", OLD, "--mode", "commit")
    bump(case, "ghcr.io/acme/app:v1.3.0", None)
    [pr] = case.world.open_pulls()
    assert "What's in this deploy" not in pr.body

    bump(case, "ghcr.io/acme/app:v1.3.1", OLD)  # a rebuild of the same source commit
    [pr] = case.world.open_pulls()
    assert "What's in this deploy" not in pr.body


def test_a_promotion_links_the_source_commits_of_both_environments(case: Case) -> None:
    seed(case, "ghcr.io/acme/app:v1.2.5", OLD, "--mode", "commit")  # every environment
    bump(case, "ghcr.io/acme/app:v1.3.0", NEW, "--mode", "commit", "--path", "apps/web")
    proc = case.world.run(
        "promote", "ghcr.io/acme/app", "--from", "apps/web", "--to", "charts", **CI[case.ci](OTHER)
    )

    assert proc.returncode == 0, proc.stderr
    [pr] = case.world.open_pulls()
    assert pr.title.startswith("Promote ghcr.io/acme/app:v1.3.0 from apps/web")
    assert f"What's in this deploy: {LINK[case.ci]}" in pr.body  # OLD...NEW, not the run's own


def test_azure_pipelines_building_a_repository_elsewhere_has_no_link(tmp_path: Path) -> None:
    """Azure Pipelines can build a GitHub repository: BUILD_REPOSITORY_NAME is then `owner/repo`
    and Azure Repos has no compare view of it, so there is no link rather than a wrong one."""
    with make_world(tmp_path, "azure-devops") as world:
        case = Case(world, "azure")
        seed(case, "ghcr.io/acme/app:v1.2.5", OLD, "--mode", "commit")
        env = {**CI["azure"](NEW), "BUILD_REPOSITORY_PROVIDER": "GitHub", "BUILD_REPOSITORY_NAME": "acme/app"}
        proc = world.run("bump", "ghcr.io/acme/app:v1.3.0", **env)

        assert proc.returncode == 0, proc.stderr
        [pr] = world.open_pulls()
        assert "What's in this deploy" not in pr.body and "branchCompare" not in pr.body
