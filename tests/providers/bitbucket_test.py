"""Bitbucket Cloud (bumper/providers/bitbucket.py vs testing/fake_bitbucket.py) and Bitbucket Data
Center (bitbucket_server.py vs the same module's FakeBitbucketServer) beyond the shared contract
(tests/providers_test.py's CONTRACT runs both): what each host lacks, its error bodies, its
optional capabilities, its URL rules and credentials."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest

from bumper.errors import ConfigError, ProviderError
from bumper.providers import host_rules, registry
from bumper.providers.api import (
    CommentsOnPullRequests,
    FindsClosedPullRequests,
    FollowsPullRequests,
    Provider,
    PullRequestSpec,
    PullRequestState,
)
from bumper.providers.bitbucket import BitbucketProvider
from bumper.providers.bitbucket_server import BitbucketServerProvider
from testing import fake_bitbucket as fb
from testing.fake_bitbucket import FakeBitbucket, FakeBitbucketServer
from testing.fake_provider import PullRecord
from testing.provider_contract import BASE, HEAD, assert_clean
from testing.provider_contract import HttpBackend as Backend

SPEC = PullRequestSpec(
    head_branch=HEAD,
    base_branch=BASE,
    title="Bump ghcr.io/acme/app to v1.2.3",
    body="| file | old | new |\n|---|---|---|\n| app.yaml | v1.2.2 | v1.2.3 |",
    reviewers=("alice",),
    draft=True,
)


@pytest.fixture(params=["bitbucket", "bitbucket-server"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "bitbucket":
        return Backend(
            "bitbucket", request.getfixturevalue("fake_bitbucket"), "acme/manifests", BitbucketProvider
        )
    server = request.getfixturevalue("fake_bitbucket_server")
    return Backend("bitbucket-server", server, "PLAT/manifests", BitbucketServerProvider)


# -- both hosts, beyond the shared contract -----------------------------------------------------


def test_is_a_provider_with_comments_and_closed_lookup(backend: Backend) -> None:
    provider = backend.provider()
    assert isinstance(provider, Provider)
    assert isinstance(provider, CommentsOnPullRequests) and isinstance(provider, FindsClosedPullRequests)
    assert provider.name == backend.name
    assert registry.spec_for(backend.name).implementation_class() is backend.cls


def test_what_the_host_lacks_is_one_warning_each(backend: Backend) -> None:
    spec = PullRequestSpec(
        HEAD, BASE, "t", "b", labels=("dependencies", "bumper"), assignees=("bob",), automerge=True
    )
    pr = backend.provider().open_pull_request(spec)
    labels = [w for w in pr.warnings if "labels" in w]
    assignees = [w for w in pr.warnings if "assignees" in w]
    assert len(labels) == 1 and "dependencies, bumper" in labels[0]
    assert len(assignees) == 1 and "bob" in assignees[0]
    [rec] = backend.open_records()
    if backend.name == "bitbucket":  # Bitbucket Cloud has no auto-merge in its API
        assert len(pr.warnings) == 3 and "auto-merge" in pr.warnings[2]
        assert rec.automerge is False
    else:  # Data Center 8.15+ has auto-merge
        assert len(pr.warnings) == 2 and rec.automerge is True


def test_unknown_repository_is_not_found_with_the_hosts_reason(backend: Backend) -> None:
    repo = "acme/missing" if backend.name == "bitbucket" else "PLAT/missing"
    provider = backend.provider(repo=repo)
    for call in (lambda: provider.find_pull_request(HEAD, BASE), lambda: provider.open_pull_request(SPEC)):
        with pytest.raises(ProviderError) as info:
            call()
        assert info.value.kind == "not-found"
        assert repo in str(info.value) and "missing" in str(info.value).split(":", 1)[1]
        assert_clean(info.value, backend.token)


def test_comment_once(backend: Backend) -> None:
    provider = backend.provider()
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    assert provider.comment_once(pr, "<!-- bumper:blocked -->", "<!-- bumper:blocked --> left alone") is True
    mark = backend.server.mark()
    assert provider.comment_once(pr, "<!-- bumper:blocked -->", "<!-- bumper:blocked --> again") is False
    assert [r.method for r in backend.server.since(mark)] == ["GET"]  # a rerun writes nothing
    [rec] = backend.open_records()
    assert rec.comments == ["<!-- bumper:blocked --> left alone"]


def test_closed_and_merged_heads_are_found_open_ones_are_not(backend: Backend) -> None:
    provider = backend.provider()
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    assert provider.closed_head_shas(HEAD, BASE) == []
    rec = backend.server.pulls[0]
    rec.state, rec.head_sha = "merged", "ab" * 20
    backend.server.pulls.append(
        PullRecord(rec.repo, 2, "t", "b", HEAD, BASE, state="closed", head_sha="cd" * 20)
    )
    backend.server.pulls.append(
        PullRecord(rec.repo, 3, "t", "b", HEAD, "release", state="closed", head_sha="ef" * 20)
    )
    # Into any base: a PR retargeted to "release", then closed, left the branch stale too.
    shas = sorted(provider.closed_head_shas(HEAD, BASE))
    if backend.name == "bitbucket":  # Bitbucket Cloud gives 12 digits
        assert shas == ["ab" * 6, "cd" * 6, "ef" * 6]
    else:
        assert shas == ["ab" * 20, "cd" * 20, "ef" * 20]
    assert provider.find_pull_request(HEAD, BASE) is None and pr.number == 1


def test_a_merge_without_its_commit_is_merged_with_none(backend: Backend) -> None:
    """--wait merged (the rest of pull_request_state is tests/providers_test.py's): an older Data
    Center, or an answer without `mergeCommit`, is still `merged`."""
    provider = backend.provider()
    assert isinstance(provider, FollowsPullRequests)
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    rec = backend.server.pulls[0]
    rec.state, rec.merge_commit = "merged", None
    assert provider.pull_request_state(pr.number) == PullRequestState("merged", None, BASE)


@pytest.mark.parametrize(
    "status,kind", [(403, "auth"), (404, "not-found"), (409, "conflict"), (400, "other")]
)
def test_status_kinds_quote_the_hosts_reason(backend: Backend, status: int, kind: str) -> None:
    reason = "the host's own words"
    body = (
        {"type": "error", "error": {"message": reason}}
        if backend.name == "bitbucket"
        else {"errors": [{"message": reason, "exceptionName": "x"}]}
    )
    backend.server.inject((status, {}, body), method="GET")
    with pytest.raises(ProviderError) as info:
        backend.provider().find_pull_request(HEAD, BASE)
    assert info.value.kind == kind
    assert f"{status} {reason}" in str(info.value)
    assert_clean(info.value, backend.token)
    assert len(backend.server.requests) == 1  # not retried


# -- Bitbucket Cloud ----------------------------------------------------------------------------


def test_cloud_app_password_is_basic_with_the_username(fake_bitbucket: FakeBitbucket) -> None:
    env = {"BITBUCKET_USERNAME": fb.APP_USER, "BITBUCKET_APP_PASSWORD": fb.APP_PASSWORD}
    provider = BitbucketProvider(fake_bitbucket.settings("acme/manifests", token=fb.APP_PASSWORD, env=env))
    assert provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b")).number == 1
    wrong = BitbucketProvider(fake_bitbucket.settings("acme/manifests", token="nope-nope-nope", env=env))
    with pytest.raises(ProviderError) as info:
        wrong.find_pull_request(HEAD, BASE)
    assert info.value.kind == "auth" and "app password" in str(info.value)


def test_cloud_credentials_for_git_and_the_api() -> None:
    token_env = {"BITBUCKET_TOKEN": "atok"}
    assert host_rules.bitbucket_api_auth("atok", token_env) == "Bearer atok"
    assert _basic(host_rules.bitbucket_git_auth("atok", token_env)) == "x-token-auth:atok"
    app_env = {"BITBUCKET_USERNAME": "me", "BITBUCKET_APP_PASSWORD": "pw"}
    assert _basic(host_rules.bitbucket_api_auth("pw", app_env)) == "me:pw"
    assert _basic(host_rules.bitbucket_git_auth("pw", app_env)) == "me:pw"
    # BUMPER_TOKEN with a username is an app password; without one, an access token
    assert (
        _basic(host_rules.bitbucket_git_auth("bt", {"BUMPER_TOKEN": "bt", "BITBUCKET_USERNAME": "me"}))
        == "me:bt"
    )
    assert host_rules.bitbucket_api_auth("bt", {"BUMPER_TOKEN": "bt"}) == "Bearer bt"
    with pytest.raises(ConfigError, match="BITBUCKET_USERNAME"):
        host_rules.bitbucket_api_auth("pw", {"BITBUCKET_APP_PASSWORD": "pw"})


def test_cloud_reviewers_by_id_or_nickname_and_an_unknown_one_is_a_warning(
    fake_bitbucket: FakeBitbucket,
) -> None:
    carol = fake_bitbucket.members["carol"]
    provider = BitbucketProvider(fake_bitbucket.settings("acme/manifests"))
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", reviewers=("@alice", carol, "zed")))
    assert pr.warnings == ("Bitbucket workspace acme has no member 'zed'; not added as reviewer",)
    assert fake_bitbucket.pulls[0].reviewers == ["alice", "carol"]


def test_cloud_closed_lookup_reads_every_page_of_the_branchs_prs(fake_bitbucket: FakeBitbucket) -> None:
    """More than a page (50) of the branch's declined PRs, the one at its tip last (the API
    documents no order; the fake gives oldest first): found, through `next`, one GET per page,
    the `q` filter asking for the branch only."""
    provider = BitbucketProvider(fake_bitbucket.settings("acme/manifests"))
    repo = "acme/manifests"
    for number in range(1, 121):
        sha = f"{number:040x}"
        fake_bitbucket.pulls.append(
            PullRecord(repo, number, "t", "b", HEAD, BASE, state="closed", head_sha=sha)
        )
    fake_bitbucket.pulls.append(PullRecord(repo, 121, "t", "b", "bumper/other", BASE, state="closed"))
    mark = fake_bitbucket.mark()
    shas = provider.closed_head_shas(HEAD, BASE)
    assert shas == [f"{n:040x}"[:12] for n in range(1, 121)]
    lists = fake_bitbucket.since(mark)
    assert len(lists) == 3 and all(r.method == "GET" for r in lists)
    assert lists[0].query["q"] == [f'source.branch.name = "{HEAD}"']
    assert getattr(fake_bitbucket, "problems", []) == []


def test_cloud_closed_lookup_stops_at_a_bound(fake_bitbucket: FakeBitbucket) -> None:
    """A proxy answering a `next` link forever: at most PULL_PAGES requests."""
    from bumper.providers import bitbucket

    page = {
        "values": [],
        "pagelen": 50,
        "size": 1,
        "page": 1,
        "next": f"{fake_bitbucket.api_url}/repositories/acme/manifests/pullrequests?page=2",
    }
    fake_bitbucket.inject((200, {}, page), method="GET", times=1000)
    provider = BitbucketProvider(fake_bitbucket.settings("acme/manifests"))
    assert provider.closed_head_shas(HEAD, BASE) == []
    assert len(fake_bitbucket.requests) == bitbucket.PULL_PAGES


def test_cloud_branch_names_are_quoted_in_the_query(fake_bitbucket: FakeBitbucket) -> None:
    provider = BitbucketProvider(fake_bitbucket.settings("acme/manifests"))
    odd = 'bumper/a"b\\c'
    provider.open_pull_request(PullRequestSpec(odd, BASE, "t", "b"))
    found = provider.find_pull_request(odd, BASE)
    assert found is not None and found.head_branch == odd
    assert provider.find_pull_request("bumper/a", BASE) is None


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://bitbucket.org/acme/manifests.git", ("https://api.bitbucket.org/2.0", "acme/manifests")),
        ("git@bitbucket.org:acme/manifests.git", ("https://api.bitbucket.org/2.0", "acme/manifests")),
    ],
)
def test_cloud_api_location(url: str, expected: tuple[str, str]) -> None:
    assert tuple(host_rules.bitbucket_location(url, None, {})[:2]) == expected
    assert registry.resolve("auto", url, None, {}) == "bitbucket"


def test_auto_knows_bitbucket_pipelines_repository_host() -> None:
    env = {"BITBUCKET_BUILD_NUMBER": "7", "BITBUCKET_GIT_HTTP_ORIGIN": "http://bb.proxy.acme.io/acme/app"}
    assert registry.resolve("auto", "https://bb.proxy.acme.io/acme/manifests.git", None, env) == "bitbucket"
    assert host_rules.bitbucket_ci_host({**env, "BITBUCKET_BUILD_NUMBER": ""}) is None


def test_cloud_refuses_a_nested_path() -> None:
    with pytest.raises(ConfigError, match="WORKSPACE/REPO"):
        host_rules.bitbucket_location("https://bitbucket.org/a/b/c.git", None, {})


# -- Bitbucket Data Center ----------------------------------------------------------------------


def test_dc_refused_reviewers_are_a_warning_and_the_pr_opens(
    fake_bitbucket_server: FakeBitbucketServer,
) -> None:
    provider = BitbucketServerProvider(fake_bitbucket_server.settings("PLAT/manifests"))
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", reviewers=("alice", "zed")))
    [warning] = pr.warnings
    assert "zed" in warning and "refused the reviewers" in warning
    assert [r.number for r in fake_bitbucket_server.open_pulls()] == [pr.number]


def test_dc_update_racing_a_person_reads_the_version_again(
    fake_bitbucket_server: FakeBitbucketServer,
) -> None:
    provider = BitbucketServerProvider(fake_bitbucket_server.settings("PLAT/manifests"))
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    bump = fake_bitbucket_server.versions

    def someone_edits(req: Any) -> Any:
        puts = [r for r in fake_bitbucket_server.requests if r.method == "PUT"]
        if req.method == "PUT" and not puts:  # a person's edit lands between our read and write
            bump[("PLAT/manifests", pr.number)] += 1
        return None

    fake_bitbucket_server.fault = someone_edits
    updated = provider.update_pull_request(pr, "t2", "b2")
    assert (updated.title, updated.body) == ("t2", "b2")
    puts = [r for r in fake_bitbucket_server.requests if r.method == "PUT"]
    assert len(puts) == 2  # the first was out of date


def test_dc_older_instance_without_drafts_or_automerge_says_so(
    fake_bitbucket_server: FakeBitbucketServer,
) -> None:
    fake_bitbucket_server.supports_draft = False
    fake_bitbucket_server.supports_automerge = False
    provider = BitbucketServerProvider(fake_bitbucket_server.settings("PLAT/manifests"))
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", draft=True, automerge=True))
    assert len(pr.warnings) == 2
    assert "draft" in pr.warnings[0] and "8.18" in pr.warnings[0]
    assert "auto-merge" in pr.warnings[1] and "404" in pr.warnings[1]
    assert pr.draft is False


@pytest.mark.parametrize(
    "url,api,path",
    [
        ("https://git.acme.io/scm/PLAT/manifests.git", "https://git.acme.io/rest/api/1.0", "PLAT/manifests"),
        (
            "https://git.acme.io/bitbucket/scm/plat/manifests.git",
            "https://git.acme.io/bitbucket/rest/api/1.0",
            "plat/manifests",
        ),
        (
            "https://git.acme.io:8443/projects/PLAT/repos/manifests/browse",
            "https://git.acme.io:8443/rest/api/1.0",
            "PLAT/manifests",
        ),
        (
            "https://git.acme.io/projects/PLAT/repos/manifests",
            "https://git.acme.io/rest/api/1.0",
            "PLAT/manifests",
        ),
        (
            "ssh://git@git.acme.io:7999/plat/manifests.git",
            "https://git.acme.io/rest/api/1.0",
            "plat/manifests",
        ),
        (
            "https://git.acme.io/scm/~alice/dotfiles.git",
            "https://git.acme.io/rest/api/1.0",
            "~alice/dotfiles",
        ),
    ],
)
def test_dc_api_location(url: str, api: str, path: str) -> None:
    assert tuple(host_rules.bitbucket_server_location(url, None, {})[:2]) == (api, path)
    named = host_rules.bitbucket_server_location(url, "https://api.acme.io/bb", {})
    assert (named.url, named.path, named.source) == ("https://api.acme.io/bb/rest/api/1.0", path, "--api-url")


@pytest.mark.parametrize(
    "url",
    [
        "https://git.acme.io/scm/PLAT/manifests.git",
        "https://bitbucket.acme.io/acme/manifests.git",
        "ssh://git@stash.acme.io:7999/plat/manifests.git",
    ],
)
def test_auto_knows_a_data_center_by_its_layout_or_name(url: str) -> None:
    assert registry.resolve("auto", url, None, {}) == "bitbucket-server"


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://gitlab.acme.io/scm/team/app.git", "gitlab"),  # a host label outranks the layout
        ("https://github.acme.io/projects/x/repos/y", "github"),
        ("https://bitbucket.org/scm/x.git", "bitbucket"),  # a group called scm on bitbucket.org
    ],
)
def test_a_hosts_name_outranks_a_path_layout(url: str, expected: str) -> None:
    assert registry.resolve("auto", url, None, {}) == expected


def test_dc_credentials_are_bearer_or_basic_with_a_username() -> None:
    assert host_rules.bitbucket_server_auth("t", {}) == "Bearer t"
    assert _basic(host_rules.bitbucket_server_auth("t", {"BITBUCKET_USERNAME": "me"})) == "me:t"


def test_dc_refuses_a_url_that_names_no_repository() -> None:
    with pytest.raises(ConfigError, match="scm/PROJECT/REPO"):
        host_rules.bitbucket_server_location("https://git.acme.io/dashboard", None, {})


def _basic(header: str) -> str:
    scheme, _, value = header.partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(value).decode()


def test_cloud_refused_reviewers_are_a_warning_and_the_pr_opens(fake_bitbucket: FakeBitbucket) -> None:
    provider = BitbucketProvider(fake_bitbucket.settings("acme/manifests"))
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", reviewers=("bumper-bot",)))
    [warning] = pr.warnings
    assert "refused the reviewers" in warning and "is the author" in warning
    assert [r.number for r in fake_bitbucket.open_pulls()] == [pr.number]


def test_a_redirect_within_the_api_is_followed_one_out_of_it_is_one_line(backend: Backend) -> None:
    provider = backend.provider()
    provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    provider.find_pull_request(HEAD, BASE)
    listed = next(
        r
        for r in backend.server.requests
        if r.method == "GET" and r.path.endswith(("/pullrequests", "/pull-requests"))
    )
    query = "&".join(f"{k}={quote(v)}" for k, values in listed.query.items() for v in values)
    moved = f"{backend.server.base_url}{listed.path}?{query}"  # a renamed repository: 301 to its new name
    backend.server.inject((301, {"Location": moved}, {}), method="GET", times=1)
    assert provider.find_pull_request(HEAD, BASE) is not None
    backend.server.inject(
        (302, {"Location": "https://sso.acme.test/login?state=s3cr3t"}, {}), method="GET", times=1
    )
    with pytest.raises(ProviderError) as info:
        provider.find_pull_request(HEAD, BASE)
    assert "redirected to https://sso.acme.test/login" in str(info.value) and "s3cr3t" not in str(info.value)
    assert_clean(info.value, backend.token)


def test_cloud_find_reads_the_whole_pr_when_the_list_leaves_the_description_out(
    fake_bitbucket: FakeBitbucket,
) -> None:
    provider = BitbucketProvider(fake_bitbucket.settings("acme/manifests"))
    opened = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "the body"))
    fake_bitbucket.list_descriptions = False
    mark = fake_bitbucket.mark()
    assert provider.find_pull_request(HEAD, BASE) == opened  # the body too: a rerun writes nothing
    assert len(fake_bitbucket.since(mark)) == 2


def test_dc_project_keys_from_a_lower_case_clone_url_are_upper_case(
    fake_bitbucket_server: FakeBitbucketServer,
) -> None:
    provider = BitbucketServerProvider(fake_bitbucket_server.settings("plat/manifests"))
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    create = next(r for r in fake_bitbucket_server.requests if r.method == "POST")
    assert create.path == "/bitbucket/rest/api/1.0/projects/PLAT/repos/manifests/pull-requests"
    assert create.body["fromRef"]["repository"] == {"slug": "manifests", "project": {"key": "PLAT"}}
    found = provider.find_pull_request(HEAD, BASE)
    assert found is not None and found.number == pr.number
