"""The gitea provider's own behaviour beyond the shared contract (tests/providers_test.py):
labels as ids, drafts as a WIP title prefix, PRs found by paging without a branch filter (and
never a fork's), auto-merge scheduling, the API URL rule, requests checked against the swagger."""

from __future__ import annotations

import pytest

from bumper.errors import ConfigError
from bumper.providers.api import ApiLocation, PullRequestSpec
from bumper.providers.builtin import gitea_location
from bumper.providers.gitea import GiteaProvider
from testing.fake_gitea import FakeGitea
from testing.fake_provider import PullRecord, Response

HEAD, BASE = "bumper/ghcr.io-acme-app", "main"
REPO = "acme/manifests"


def provider(server: FakeGitea) -> GiteaProvider:
    return GiteaProvider(server.settings(REPO))


def test_a_missing_label_is_created_and_sent_as_an_id(fake_gitea: FakeGitea) -> None:
    known = fake_gitea.add_label(REPO, "dependencies")
    pr = provider(fake_gitea).open_pull_request(
        PullRequestSpec(HEAD, BASE, "t", "b", labels=("dependencies", "new"))
    )
    assert pr.warnings == ()
    [rec] = fake_gitea.pulls
    assert rec.labels == ["dependencies", "new"]
    create = next(r for r in fake_gitea.requests if r.method == "POST" and r.path.endswith("/pulls"))
    made = next(r for r in fake_gitea.requests if r.method == "POST" and r.path.endswith("/labels"))
    assert made.body == {"name": "new", "color": "#ededed"}
    assert create.body["labels"][0] == known and all(isinstance(i, int) for i in create.body["labels"])


def test_a_label_gitea_refuses_to_create_is_a_warning_and_the_pr_opens(fake_gitea: FakeGitea) -> None:
    fake_gitea.inject((403, {}, {"message": "token does not have write:issue scope", "url": ""}),
                      method="POST", path=r"/labels$")  # fmt: skip
    pr = provider(fake_gitea).open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", labels=("new",)))
    assert len(pr.warnings) == 1 and "label 'new' not added" in pr.warnings[0]
    assert [p.number for p in fake_gitea.open_pulls()] == [pr.number]


def test_draft_is_a_wip_prefix_that_updates_keep_and_a_persons_wip_is_kept(fake_gitea: FakeGitea) -> None:
    gitea = provider(fake_gitea)
    pr = gitea.open_pull_request(PullRequestSpec(HEAD, BASE, "Bump app", "b", draft=True))
    assert fake_gitea.pulls[0].title == "WIP: Bump app" and pr.title == "Bump app" and pr.draft
    gitea.update_pull_request(pr, "Bump app to v2", "b2")
    assert fake_gitea.pulls[0].title == "WIP: Bump app to v2"
    fake_gitea.pulls[0].title = "[WIP] Bump app to v2"  # a person marks it their way
    found = gitea.find_pull_request(HEAD, BASE)
    assert found is not None and found.draft and found.title == "Bump app to v2"
    again = gitea.open_pull_request(PullRequestSpec(HEAD, BASE, "Bump app to v3", "b3"))  # not a draft now
    assert again.draft and fake_gitea.pulls[0].title == "WIP: Bump app to v3"  # never un-drafted


def test_automerge_on_a_draft_is_a_warning_and_a_scheduled_one_is_no_news(fake_gitea: FakeGitea) -> None:
    gitea = provider(fake_gitea)
    pr = gitea.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", draft=True, automerge=True))
    assert len(pr.warnings) == 1 and "auto-merge not enabled" in pr.warnings[0] and "405" in pr.warnings[0]
    fake_gitea.pulls[0].title = "t"  # a person takes it out of WIP; the next run asks again
    assert gitea.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", automerge=True)).warnings == ()
    assert fake_gitea.pulls[0].automerge
    assert gitea.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", automerge=True)).warnings == ()
    merge = [r for r in fake_gitea.requests if r.path.endswith("/merge")]
    assert merge[-1].body == {"Do": "merge", "merge_when_checks_succeed": True}


def test_an_unknown_assignee_is_a_warning_not_a_lost_pr(fake_gitea: FakeGitea) -> None:
    pr = provider(fake_gitea).open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", assignees=("zed",)))
    assert len(pr.warnings) == 1 and "zed" in pr.warnings[0]
    assert [p.number for p in fake_gitea.open_pulls()] == [pr.number]


def test_the_pr_is_found_past_the_first_page_and_a_forks_branch_is_not_ours(fake_gitea: FakeGitea) -> None:
    fake_gitea.add_repo("mallory/manifests")
    gitea = provider(fake_gitea)
    ours = gitea.open_pull_request(PullRequestSpec(HEAD, BASE, "ours", "b"))
    for n in range(60):  # newer PRs push ours to page 2
        fake_gitea.pulls.append(PullRecord(REPO, 2 + n, f"other {n}", "", f"feature/{n}", BASE))
        fake_gitea._touch(fake_gitea.pulls[-1])
    mark = fake_gitea.mark()
    found = gitea.find_pull_request(HEAD, BASE)
    assert found is not None and found.number == ours.number
    assert len(fake_gitea.since(mark)) == 2  # two pages of 50
    # the same branch name, but the head lives in a fork: never taken for bumper's PR
    fake_gitea.pulls.remove(next(p for p in fake_gitea.pulls if p.number == ours.number))
    fork = PullRecord(REPO, 99, "fork", "", HEAD, BASE)
    fake_gitea.pulls.append(fork)
    fake_gitea._touch(fork)
    real = fake_gitea._pr_json

    def from_fork(rec: PullRecord) -> dict[str, object]:
        data = real(rec)
        if rec.number == 99:
            data["head"] = {**data["head"], "repo_id": 2, "repo": {"id": 2, "full_name": "mallory/manifests"}}
        return data

    fake_gitea._pr_json = from_fork  # type: ignore[method-assign]
    assert gitea.find_pull_request(HEAD, BASE) is None


def test_closed_and_merged_heads_are_found_for_stale_branch_detection(fake_gitea: FakeGitea) -> None:
    gitea = provider(fake_gitea)
    pr = gitea.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    rec = fake_gitea.pulls[0]
    rec.state, rec.head_sha = "merged", "a" * 40
    fake_gitea.pulls.append(PullRecord(REPO, 2, "t", "b", HEAD, BASE, state="closed", head_sha="b" * 40))
    fake_gitea._touch(fake_gitea.pulls[-1])
    assert gitea.closed_head_shas(HEAD, BASE) == ["b" * 40, "a" * 40]
    assert gitea.closed_head_shas(HEAD, "release") == ["b" * 40, "a" * 40]  # any base: retargeted
    assert gitea.closed_head_shas("bumper/other", BASE) == []
    assert gitea.find_pull_request(HEAD, BASE) is None and pr.number == 1


def test_comment_once(fake_gitea: FakeGitea) -> None:
    gitea = provider(fake_gitea)
    pr = gitea.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    assert gitea.comment_once(pr, "<!-- bumper:blocked -->", "blocked <!-- bumper:blocked -->")
    assert not gitea.comment_once(pr, "<!-- bumper:blocked -->", "again <!-- bumper:blocked -->")
    assert fake_gitea.pulls[0].comments == ["blocked <!-- bumper:blocked -->"]


def test_team_reviewers_and_users(fake_gitea: FakeGitea) -> None:
    provider(fake_gitea).open_pull_request(
        PullRequestSpec(HEAD, BASE, "t", "b", reviewers=("alice", "acme/sre"))
    )
    req = next(r for r in fake_gitea.requests if r.path.endswith("/requested_reviewers"))
    assert req.body == {"reviewers": ["alice"], "team_reviewers": ["sre"]}
    assert fake_gitea.pulls[0].reviewers == ["alice", "acme/sre"]


def test_the_fake_refuses_what_the_swagger_refuses(fake_gitea: FakeGitea) -> None:
    """The fake's check is live: a field Gitea does not know, or a label name where an id
    belongs, is answered 422 and recorded (the fixture then fails the test; cleared here)."""
    session = GiteaProvider(fake_gitea.settings(REPO))._rest._session
    url = f"{fake_gitea.api_url}/repos/{REPO}/pulls"
    answer = session.post(url, json={"head": HEAD, "base": BASE, "titel": "t", "labels": ["x"]}, timeout=5)
    assert answer.status_code == 422
    [(_, _, found)] = fake_gitea.schema_violations
    assert any("'titel' was unexpected" in f for f in found) and any("'x' is not of type" in f for f in found)
    answer = session.get(url, params={"head": HEAD}, timeout=5)
    assert answer.status_code == 422 and "'head' is not declared" in answer.json()["message"]
    fake_gitea.schema_violations.clear()


@pytest.mark.parametrize(
    "url,api_url,env,expected",
    [
        (
            "https://codeberg.org/acme/app.git",
            None,
            {},
            ApiLocation("https://codeberg.org/api/v1", "acme/app"),
        ),
        ("git@codeberg.org:acme/app.git", None, {}, ApiLocation("https://codeberg.org/api/v1", "acme/app")),
        (
            "ssh://git@git.acme.test:2222/acme/app.git",
            None,
            {},
            ApiLocation("https://git.acme.test/api/v1", "acme/app"),
        ),
        (
            "http://127.0.0.1:3000/acme/app.git",
            None,
            {},
            ApiLocation("http://127.0.0.1:3000/api/v1", "acme/app"),
        ),
        (  # an instance under a sub-path: what precedes OWNER/REPO is the prefix
            "https://acme.test/git/acme/app.git",
            None,
            {},
            ApiLocation("https://acme.test/git/api/v1", "acme/app"),
        ),
        (
            "https://acme.test/git/acme/app.git",
            "https://acme.test/git",
            {},
            ApiLocation("https://acme.test/git/api/v1", "acme/app", "--api-url"),
        ),
        (
            "https://acme.test/acme/app.git",
            "https://api.acme.test/api/v1/",
            {},
            ApiLocation("https://api.acme.test/api/v1", "acme/app", "--api-url"),
        ),
        (
            "https://acme.test/git/acme/app.git",
            None,
            {"GITEA_ACTIONS": "true", "GITHUB_SERVER_URL": "https://acme.test/git/"},
            ApiLocation("https://acme.test/git/api/v1", "acme/app", "GITHUB_SERVER_URL"),
        ),
        (  # the CI's server is another host: the clone URL decides
            "https://codeberg.org/acme/app.git",
            None,
            {"FORGEJO_ACTIONS": "true", "GITHUB_SERVER_URL": "https://ci.acme.test"},
            ApiLocation("https://codeberg.org/api/v1", "acme/app"),
        ),
    ],
)
def test_api_location(url: str, api_url: str | None, env: dict[str, str], expected: ApiLocation) -> None:
    assert gitea_location(url, api_url, env) == expected


def test_a_path_that_is_not_owner_repo_is_a_config_error() -> None:
    from bumper.providers.api import ProviderSettings

    with pytest.raises(ConfigError, match="does not name an owner and a repository"):
        GiteaProvider(ProviderSettings("https://codeberg.org/acme.git", None, "t0k3n"))


def test_a_server_that_ignores_the_page_cannot_keep_bumper_looping(fake_gitea: FakeGitea) -> None:
    """A proxy that drops `page` (and the X-Total-Count header) answers the same full page
    forever: bumper reads at most MAX_PAGES (20) of it and stops."""
    for n in range(50):
        fake_gitea.pulls.append(PullRecord(REPO, 1 + n, f"other {n}", "", f"feature/{n}", BASE))
        fake_gitea._touch(fake_gitea.pulls[-1])
    real = fake_gitea._list

    def first_page_without_total(repo: str, query: dict[str, list[str]]) -> Response:
        status, _, body = real(repo, {**query, "page": ["1"]})
        return status, {}, body

    fake_gitea._list = first_page_without_total  # type: ignore[method-assign]
    gitea = provider(fake_gitea)
    mark = fake_gitea.mark()
    assert gitea.find_pull_request(HEAD, BASE) is None
    assert len(fake_gitea.since(mark)) == 20
