"""`CommitsThroughApi` against the fake hosts: the commit lands in the served git repository,
signed by the host, and a branch someone moved is never overwritten (GitHub) or refused where
the host cannot check (GitLab direct commits)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github import Auth, Github

from bumper.errors import ConfigError
from bumper.providers.api import ApiCommit, BranchMoved, CommitsThroughApi, FileChange, PullRequestSpec
from bumper.providers.github import GitHubProvider
from bumper.providers.gitlab import GitLabProvider
from testing import repos
from testing.fake_github import FakeGitHub
from testing.fake_gitlab import FakeGitLab

BRANCH = "bumper/ghcr.io-acme-app"
OLD = b"image: ghcr.io/acme/app:v1.0.0\n"
NEW = b"image: ghcr.io/acme/app:v1.2.3\n"
MESSAGE = (
    "Bump ghcr.io/acme/app to v1.2.3\n\nUpdated 1 reference.\n\n"
    "Bumper-Branch: bumper/ghcr.io-acme-app\nBumper-Content: 0123456789abcdef0123456789abcdef"
)


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    return repos.make_bare_repo(
        tmp_path / "srv" / "manifests.git", {"app.yaml": OLD, "other.yaml": b"x: 1\n"}
    )


@pytest.fixture
def base(bare: Path) -> str:
    sha = repos.branch_sha(bare, "main")
    assert sha is not None
    return sha


@pytest.fixture
def github(fake_github: FakeGitHub, bare: Path) -> Iterator[tuple[FakeGitHub, GitHubProvider]]:
    fake_github.serve_git_repo("acme/manifests", bare)
    yield fake_github, GitHubProvider(fake_github.settings("acme/manifests"))
    assert fake_github.graphql_violations == []


@pytest.fixture
def gitlab(fake_gitlab: FakeGitLab, bare: Path) -> tuple[FakeGitLab, GitLabProvider]:
    fake_gitlab.serve_git_repo("acme/platform/manifests", bare)
    return fake_gitlab, GitLabProvider(fake_gitlab.settings("acme/platform/manifests"))


def _commit(base: str, expected: str | None, branch: str = BRANCH, **kw: object) -> ApiCommit:
    fields: dict[str, object] = {
        "branch": branch,
        "parent": base,
        "expected": expected,
        "message": MESSAGE,
        "author": ("bumper[bot]", "bot@example.com"),
        "files": (FileChange("app.yaml", NEW),),
    }
    fields.update(kw)
    return ApiCommit(**fields)  # type: ignore[arg-type]


def _verified_on_github(server: FakeGitHub, sha: str) -> bool:
    """What the Verified badge reads: the REST commit's verification, through PyGithub."""
    gh = Github(auth=Auth.Token(server.token), base_url=server.api_url)
    return bool(gh.get_repo("acme/manifests").get_commit(sha).raw_data["commit"]["verification"]["verified"])


def test_both_providers_commit_through_the_api() -> None:
    assert issubclass(GitHubProvider, CommitsThroughApi)
    assert issubclass(GitLabProvider, CommitsThroughApi)


def test_github_new_branch_is_one_signed_commit_on_the_base(
    github: tuple[FakeGitHub, GitHubProvider], bare: Path, base: str
) -> None:
    server, provider = github
    mark = server.mark()
    sha = provider.commit_through_api(_commit(base, None))
    assert [(r.method, r.path) for r in server.since(mark)] == [
        ("POST", "/api/v3/repos/acme/manifests/git/refs"),
        ("POST", "/api/graphql"),
    ]
    assert repos.branch_sha(bare, BRANCH) == sha
    info = repos.commit_info(bare, sha)
    assert info["parents"] == base
    assert info["message"] == MESSAGE  # trailers kept byte for byte
    assert (info["committer_name"], info["committer_email"]) == ("GitHub", "noreply@github.com")
    assert repos.read_file(bare, sha, "app.yaml") == NEW
    assert repos.changed_paths(bare, sha) == ["app.yaml"]
    assert _verified_on_github(server, sha)
    assert not _verified_on_github(server, base)


def test_github_reset_replaces_a_stale_commit_of_bumpers(
    github: tuple[FakeGitHub, GitHubProvider], bare: Path, base: str
) -> None:
    server, provider = github
    stale = repos.add_bot_commit(
        bare, BRANCH, {"app.yaml": b"image: ghcr.io/acme/app:v1.1.0\n"}, message="old", parent=base
    )
    # A PR the host returned names the repository's node id: the reset costs no lookup.
    provider.open_pull_request(PullRequestSpec(BRANCH, "main", "t", "b"))
    mark = server.mark()
    sha = provider.commit_through_api(_commit(base, stale))
    assert len(server.since(mark)) == 2
    assert repos.branch_sha(bare, BRANCH) == sha
    assert repos.commit_info(bare, sha)["parents"] == base
    assert repos.count_commits(bare, BRANCH, since="main") == 1


def test_github_never_overwrites_a_commit_pushed_meanwhile(
    github: tuple[FakeGitHub, GitHubProvider], bare: Path, base: str
) -> None:
    server, provider = github
    stale = repos.add_bot_commit(bare, BRANCH, {"app.yaml": b"v: 1\n"}, message="old", parent=base)
    person = repos.add_commit(bare, BRANCH, {"other.yaml": b"x: 2\n"}, message="a person's fix")
    with pytest.raises(BranchMoved):
        provider.commit_through_api(_commit(base, stale))  # bumper read `stale`; the tip is now `person`
    assert repos.branch_sha(bare, BRANCH) == person
    # A branch bumper thought absent, created by someone meanwhile, is left alone too.
    with pytest.raises(BranchMoved):
        provider.commit_through_api(_commit(base, None))
    assert repos.branch_sha(bare, BRANCH) == person


def test_github_direct_commit_is_a_compare_and_swap_on_the_base(
    github: tuple[FakeGitHub, GitHubProvider], bare: Path, base: str
) -> None:
    server, provider = github
    mark = server.mark()
    sha = provider.commit_through_api(_commit(base, base, branch="main", direct=True))
    assert len(server.since(mark)) == 1  # no ref to create or reset
    assert repos.branch_sha(bare, "main") == sha
    with pytest.raises(BranchMoved):  # the base moved since bumper read `base`
        provider.commit_through_api(_commit(base, base, branch="main", direct=True))
    assert repos.branch_sha(bare, "main") == sha


def test_github_failed_commit_leaves_no_empty_branch(
    github: tuple[FakeGitHub, GitHubProvider], bare: Path, base: str
) -> None:
    server, provider = github
    with pytest.raises(Exception, match="deletion"):
        provider.commit_through_api(_commit(base, None, files=(FileChange("missing.yaml", None),)))
    assert repos.branch_sha(bare, BRANCH) is None


def test_gitlab_new_branch_and_reset_are_one_call_each(
    gitlab: tuple[FakeGitLab, GitLabProvider], bare: Path, base: str
) -> None:
    server, provider = gitlab
    mark = server.mark()
    first = provider.commit_through_api(_commit(base, None))
    assert [(r.method, r.path) for r in server.since(mark)] == [
        ("POST", "/api/v4/projects/acme%2Fplatform%2Fmanifests/repository/commits")
    ]
    info = repos.commit_info(bare, first)
    assert (info["parents"], info["message"]) == (base, MESSAGE)
    assert (info["author_name"], info["author_email"]) == ("bumper[bot]", "bot@example.com")
    assert repos.read_file(bare, BRANCH, "app.yaml") == NEW
    assert first in server.verified
    # bumper's own stale commit is replaced: still one commit on the base
    second = provider.commit_through_api(_commit(base, first, files=(FileChange("app.yaml", b"v: 9\n"),)))
    assert repos.commit_info(bare, second)["parents"] == base
    assert repos.count_commits(bare, BRANCH, since="main") == 1


def test_gitlab_refuses_what_it_cannot_check(
    gitlab: tuple[FakeGitLab, GitLabProvider], bare: Path, base: str
) -> None:
    server, provider = gitlab
    person = repos.add_commit(
        bare, BRANCH, {"other.yaml": b"x: 2\n"}, message="a person's branch", parent=base
    )
    with pytest.raises(BranchMoved):  # created meanwhile: GitLab refuses to start it again
        provider.commit_through_api(_commit(base, None))
    assert repos.branch_sha(bare, BRANCH) == person
    mark = server.mark()
    with pytest.raises(ConfigError, match="--commit-via git"):
        provider.commit_through_api(_commit(base, base, branch="main", direct=True))
    assert server.since(mark) == []  # refused before any request
    assert repos.branch_sha(bare, "main") == base
