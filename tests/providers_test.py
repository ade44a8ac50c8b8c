"""One provider contract, run by every provider against its fake host: GitHub (PyGithub vs
fake_github), GitLab (python-gitlab vs fake_gitlab), Gitea, Bitbucket Cloud and Data Center, Azure
Repos (the shared REST client vs their fakes) and FakeProvider; plus error mapping, retries and
API call budgets. A new provider implements the Protocol and adds one CONTRACT entry (how to build
it against its fake): then it runs all of it. Host-specific cases: tests/providers_<host>_test.py."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import responses

from bumper.errors import ConfigError, ProviderError
from bumper.providers import api, registry
from bumper.providers.api import (
    Provider,
    ProviderSettings,
    PullRequestSpec,
    split_repo_url,
)
from bumper.providers.azure_devops import AzureDevOpsProvider
from bumper.providers.bitbucket import BitbucketProvider
from bumper.providers.bitbucket_server import BitbucketServerProvider
from bumper.providers.builtin import github_api_url, gitlab_url
from bumper.providers.failures import one_line
from bumper.providers.gitea import GiteaProvider
from bumper.providers.github import GitHubProvider
from bumper.providers.gitlab import GitLabProvider
from testing import fake_gitea as gt
from testing import fake_github as gh
from testing import fake_gitlab as gl
from testing.fake_gitea import FakeGitea
from testing.fake_github import FakeGitHub
from testing.fake_gitlab import FakeGitLab
from testing.fake_provider import AfterApply, FakeHost, FakeProvider, PullRecord
from testing.provider_contract import BASE, HEAD, HttpBackend, assert_clean

SPEC = PullRequestSpec(
    head_branch=HEAD,
    base_branch=BASE,
    title="Bump ghcr.io/acme/app to v1.2.3",
    body="| file | old | new |\n|---|---|---|\n| app.yaml | v1.2.2 | v1.2.3 |",
    labels=("dependencies", "bumper"),
    reviewers=("alice",),
    assignees=("bob",),
    draft=True,
)
# Most requests a new PR with labels, reviewers and assignees may cost; an update; a lookup.
OPEN_BUDGET, UPDATE_BUDGET = 4, 3


class Backend:
    """What the contract test needs from each host: a provider, the host's PRs, the call log."""

    name = ""
    server: FakeGitHub | FakeGitLab | FakeGitea | None = None

    def provider(self, token: str | None = None, repo: str | None = None) -> Provider:
        raise NotImplementedError

    def open_records(self) -> list[PullRecord]:
        raise NotImplementedError

    def mark(self) -> int:
        raise NotImplementedError

    def calls_since(self, mark: int) -> int:
        raise NotImplementedError

    @property
    def token(self) -> str:
        raise NotImplementedError


class InMemoryBackend(Backend):
    name = "fake"

    def __init__(self) -> None:
        self.host = FakeHost(token="fake-token-0123456789", repos={"https://fake.test/acme/manifests"})

    def provider(self, token: str | None = None, repo: str | None = None) -> Provider:
        settings = api.ProviderSettings(
            repo_url=f"https://fake.test/{repo or 'acme/manifests'}.git",
            api_url=None,
            token=self.host.token if token is None else token,
        )
        return self.host.provider(settings)

    def open_records(self) -> list[PullRecord]:
        return [p for p in self.host.pulls if p.state == "open"]

    def mark(self) -> int:
        return len(self.host.calls)

    def calls_since(self, mark: int) -> int:
        return len(self.host.calls) - mark

    @property
    def token(self) -> str:
        return self.host.token


def _gitea(request: pytest.FixtureRequest) -> FakeGitea:
    server: FakeGitea = request.getfixturevalue("fake_gitea")
    for name in ("dependencies", "bumper"):  # labels the repository has (a missing one costs +1)
        server.add_label("acme/manifests", name)
    return server


@dataclass(frozen=True)
class Contract:
    """One provider in the contract suite: its backend against its fake host, and what that
    host costs and answers. A new provider is one entry of CONTRACT."""

    make: Callable[[pytest.FixtureRequest], Backend]
    open_calls: int  # requests of a new PR with labels, reviewers and assignees (SPEC)
    open_budget: int = OPEN_BUDGET  # the most a new PR with every extra and auto-merge may cost
    # HTTP providers: the host's rate-limit answers, and how to make it refuse an unknown
    # reviewer and auto-merge (test_refusals_after_open_are_warnings). None: in memory.
    rate_limits: Callable[[], list[Any]] | None = None
    refuse_extras: Callable[[Any], None] | None = None
    error_status: int = 400  # what the host answers a create it refuses
    # What the host's API has no field for, of labels, assignees and automerge: each one a
    # request names is one warning on the result, never an error (the PR is still opened).
    lacks: frozenset[str] = frozenset()
    update_calls: int = 1  # requests of an update (a host whose PUT drops what it omits reads first)
    found_calls: int = 1  # requests of a lookup that finds the PR (a list, perhaps the PR in full)
    error_body: Callable[[str], Any] = lambda message: {"message": message}  # the host's error JSON
    commit_digits: int = 40  # how much of a merge commit the host's answer gives

    def kept(self, extra: str, names: list[str]) -> list[str]:
        """What the host records of a request's `extra` (labels, assignees): nothing if it lacks it."""
        return [] if extra in self.lacks else names


def _github_refuses(server: Any) -> None:
    server.users = {"alice", "bob"}
    server.repos["acme/manifests"]["automerge_allowed"] = False


def _not_mergeable(server: Any) -> None:
    server.mergeable = False


def _no_automerge(server: Any) -> None:
    server.supports_automerge = False  # a Data Center before 8.15


def _no_autocomplete(server: Any) -> None:
    server.autocomplete_allowed = False


CONTRACT: dict[str, Contract] = {
    "github": Contract(
        lambda r: HttpBackend("github", r.getfixturevalue("fake_github"), "acme/manifests", GitHubProvider),
        open_calls=3,
        rate_limits=lambda: [
            gh.too_many_requests(),
            gh.too_many_requests(0),
            gh.secondary_rate_limit(),
            gh.secondary_rate_limit(0),
        ],  # fmt: skip
        refuse_extras=_github_refuses,
        error_status=422,
    ),
    "gitlab": Contract(
        lambda r: HttpBackend(
            "gitlab", r.getfixturevalue("fake_gitlab"), "acme/platform/manifests", GitLabProvider
        ),
        open_calls=3,
        rate_limits=lambda: [gl.too_many_requests(), gl.too_many_requests(0)],
        refuse_extras=_not_mergeable,
    ),
    "gitea": Contract(
        lambda r: HttpBackend("gitea", _gitea(r), "acme/manifests", GiteaProvider),
        open_calls=3,  # labels looked up by name, create, reviewers
        open_budget=OPEN_BUDGET + 1,  # + a label the repository lacks, created
        rate_limits=lambda: [gt.too_many_requests(), gt.too_many_requests(0)],
        refuse_extras=_not_mergeable,
    ),
    "fake": Contract(lambda r: InMemoryBackend(), open_calls=1),
    "bitbucket": Contract(
        lambda r: HttpBackend(
            "bitbucket", r.getfixturevalue("fake_bitbucket"), "acme/manifests", BitbucketProvider
        ),
        open_calls=2,  # the reviewer's nickname looked up among the workspace's members, create
        rate_limits=lambda: [(429, {"Retry-After": "0"}, {"type": "error", "error": {"message": "Limit"}})],
        refuse_extras=lambda server: None,  # no auto-merge in Bitbucket Cloud's API: always a warning
        lacks=frozenset({"labels", "assignees", "automerge"}),
        update_calls=2,
        error_body=lambda message: {"type": "error", "error": {"message": message}},
        commit_digits=12,
    ),
    "bitbucket-server": Contract(
        lambda r: HttpBackend(
            "bitbucket-server",
            r.getfixturevalue("fake_bitbucket_server"),
            "PLAT/manifests",
            BitbucketServerProvider,
        ),
        open_calls=1,  # reviewers are names in the create itself
        rate_limits=lambda: [(429, {"Retry-After": "0"}, {"errors": [{"message": "Rate limit"}]})],
        refuse_extras=_no_automerge,
        lacks=frozenset({"labels", "assignees"}),
        update_calls=2,
        error_body=lambda message: {"errors": [{"message": message}]},
    ),
    "azure-devops": Contract(
        lambda r: HttpBackend(
            "azure-devops", r.getfixturevalue("fake_azure_devops"), "platform/manifests", AzureDevOpsProvider
        ),
        open_calls=2,  # the reviewer's identity looked up, create (labels in it)
        rate_limits=lambda: [(429, {"Retry-After": "0"}, {"message": "Request was blocked"})],
        refuse_extras=_no_autocomplete,
        lacks=frozenset({"assignees"}),
        found_calls=2,  # the list cuts descriptions at 400 characters: the PR read by id
    ),
}
HTTP = sorted(name for name, contract in CONTRACT.items() if contract.rate_limits is not None)


@pytest.fixture(params=sorted(CONTRACT))
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    made = CONTRACT[request.param].make(request)
    yield made
    _no_problems(made)


@pytest.fixture(params=HTTP)
def http(request: pytest.FixtureRequest) -> Iterator[HttpBackend]:
    made = CONTRACT[request.param].make(request)
    assert isinstance(made, HttpBackend)
    yield made
    _no_problems(made)


def _no_problems(made: Backend) -> None:
    """A fake that checks requests against the host's published API description (Azure's)
    saw only valid ones, whatever the case did."""
    assert getattr(made.server, "problems", []) == []


def plain_title(rec: PullRecord) -> str:
    """The title without GitLab's or Gitea's draft marker."""
    return rec.title.removeprefix("Draft: ").removeprefix("WIP: ")


# -- the shared contract ------------------------------------------------------------------------


def test_is_a_provider(backend: Backend) -> None:
    provider = backend.provider()
    assert isinstance(provider, Provider)
    assert provider.name == backend.name


def test_lifecycle_find_open_find_update(backend: Backend) -> None:
    provider = backend.provider()
    contract = CONTRACT[backend.name]
    assert provider.find_pull_request(HEAD, BASE) is None

    opened = provider.open_pull_request(SPEC)
    assert (opened.title, opened.body) == (SPEC.title, SPEC.body)
    assert (opened.head_branch, opened.base_branch) == (HEAD, BASE)
    assert opened.draft is True
    assert len(opened.warnings) == len(contract.lacks - {"automerge"})  # one for each extra it lacks
    assert opened.url
    [rec] = backend.open_records()
    assert rec.number == opened.number
    assert (plain_title(rec), rec.body, rec.head, rec.base) == (SPEC.title, SPEC.body, HEAD, BASE)
    assert rec.labels == contract.kept("labels", ["dependencies", "bumper"])
    assert rec.reviewers == ["alice"]
    assert rec.assignees == contract.kept("assignees", ["bob"])
    assert rec.draft is True
    assert rec.automerge is False

    found = provider.find_pull_request(HEAD, BASE)
    assert found == dataclasses.replace(opened, warnings=())  # a warning is the open's, not the PR's
    # No PR into "release": the one from the same branch into main is found (a PR a person
    # retargeted); the caller reads its base and leaves it alone (tests/remote_retargeted_pr_test.py).
    assert provider.find_pull_request(HEAD, "release") == found
    assert provider.find_pull_request("bumper/other", BASE) is None

    updated = provider.update_pull_request(found, "Bump to v1.2.4", "new body")
    assert (updated.number, updated.title, updated.body) == (opened.number, "Bump to v1.2.4", "new body")
    assert updated.draft is True  # an update never un-drafts
    [rec] = backend.open_records()
    assert (plain_title(rec), rec.body, rec.draft) == ("Bump to v1.2.4", "new body", True)
    assert rec.labels == contract.kept("labels", ["dependencies", "bumper"])
    assert rec.reviewers == ["alice"]  # an update sends back what a host's PUT would drop
    assert provider.find_pull_request(HEAD, BASE) == updated


def test_open_when_one_exists_updates_it(backend: Backend) -> None:
    """A second run (or a race with another job) opening the same branch ends with one PR."""
    provider = backend.provider()
    first = provider.open_pull_request(SPEC)
    again = provider.open_pull_request(
        PullRequestSpec(HEAD, BASE, "Bump to v1.2.4", "body 2", labels=("late",), reviewers=("carol",))
    )
    assert again.number == first.number
    [rec] = backend.open_records()
    assert (plain_title(rec), rec.body) == ("Bump to v1.2.4", "body 2")
    assert rec.labels == CONTRACT[backend.name].kept("labels", ["dependencies", "bumper", "late"])
    assert rec.reviewers[0] == "alice" and "carol" in rec.reviewers
    assert rec.draft is True  # a draft is not un-drafted behind someone's back


def test_automerge(backend: Backend) -> None:
    if "automerge" in CONTRACT[backend.name].lacks:
        pytest.skip(f"{backend.name} has no auto-merge (test_refusals_after_open_are_warnings)")
    spec = PullRequestSpec(HEAD, BASE, "t", "b", automerge=True)
    pr = backend.provider().open_pull_request(spec)
    assert pr.warnings == ()
    [rec] = backend.open_records()
    assert rec.automerge is True and rec.draft is False


def test_wrong_token_is_auth(backend: Backend) -> None:
    bad = "wrong-token-9876543210"
    provider = backend.provider(token=bad)
    with pytest.raises(ProviderError) as info:
        provider.find_pull_request(HEAD, BASE)
    assert info.value.kind == "auth"
    assert_clean(info.value, bad)
    with pytest.raises(ProviderError) as info:
        provider.open_pull_request(SPEC)
    assert info.value.kind == "auth"
    assert_clean(info.value, bad)
    assert backend.open_records() == []


def test_unknown_repository_is_not_found(backend: Backend) -> None:
    provider = backend.provider(repo="acme/missing")
    for call in (lambda: provider.find_pull_request(HEAD, BASE), lambda: provider.open_pull_request(SPEC)):
        with pytest.raises(ProviderError) as info:
            call()
        assert info.value.kind == "not-found"
        assert "acme/missing" in str(info.value)
        assert_clean(info.value, backend.token)


def test_call_budget(backend: Backend) -> None:
    provider = backend.provider()
    mark = backend.mark()
    assert provider.find_pull_request(HEAD, BASE) is None
    assert backend.calls_since(mark) == 1

    mark = backend.mark()
    pr = provider.open_pull_request(SPEC)
    opened = backend.calls_since(mark)
    assert opened <= OPEN_BUDGET
    assert opened == CONTRACT[backend.name].open_calls

    update, lookup = CONTRACT[backend.name].update_calls, CONTRACT[backend.name].found_calls
    mark = backend.mark()
    provider.update_pull_request(pr, "t2", "b2")
    assert backend.calls_since(mark) == update <= UPDATE_BUDGET

    # A whole re-run that finds the PR and updates it: one lookup, then the update.
    mark = backend.mark()
    found = provider.find_pull_request(HEAD, BASE)
    assert found is not None
    provider.update_pull_request(found, "t3", "b3")
    assert backend.calls_since(mark) == lookup + update <= UPDATE_BUDGET


def test_call_budget_with_automerge(backend: Backend) -> None:
    spec = PullRequestSpec(
        HEAD, BASE, "t", "b", labels=("x",), reviewers=("alice",), assignees=("bob",), automerge=True
    )
    mark = backend.mark()
    backend.provider().open_pull_request(spec)
    assert backend.calls_since(mark) <= CONTRACT[backend.name].open_budget


def test_pull_request_state_is_one_request_open_merged_or_closed(backend: Backend) -> None:
    """--wait merged polls this: a merged PR is `merged` with its merge commit, never `closed`."""
    provider = backend.provider()
    assert isinstance(provider, api.FollowsPullRequests)
    first = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    second = provider.open_pull_request(PullRequestSpec("bumper/other", BASE, "t", "b"))
    mark = backend.mark()
    assert provider.pull_request_state(first.number) == api.PullRequestState("open", None, BASE)
    assert backend.calls_since(mark) == 1
    merged, closed = sorted(backend.open_records(), key=lambda rec: rec.number)
    merged.state, merged.merge_commit, closed.state = "merged", "a" * 40, "closed"
    merged.base = "release-1"  # a person retargeted it, then merged it: the wait says where it went
    shown = "a" * CONTRACT[backend.name].commit_digits
    assert provider.pull_request_state(first.number) == api.PullRequestState("merged", shown, "release-1")
    assert provider.pull_request_state(second.number) == api.PullRequestState("closed", None, BASE)
    with pytest.raises(ProviderError) as info:
        provider.pull_request_state(999)
    assert info.value.kind == "not-found"
    assert_clean(info.value, backend.token)


# -- transport: retries, lost responses, exhausted retries (HTTP providers only) -----------------


def _rate_limits(name: str) -> list[Any]:
    limits = CONTRACT[name].rate_limits
    assert limits is not None
    return limits()


CREATE_PATH = r"/(pulls|merge_requests|pullrequests|pull-requests)$"  # each host's create


def test_lost_create_response_ends_with_one_pr(http: HttpBackend) -> None:
    """The create is applied but the answer is lost: the SDK retries the POST, the host says
    "already exists", the provider finds that PR and finishes the job on it."""
    contract = CONTRACT[http.name]
    for lost in ("reset", (502, {}, {"message": "Bad Gateway"})):
        http.server.pulls.clear()  # type: ignore[union-attr]
        http.server.inject(AfterApply(lost), method="POST", path=CREATE_PATH)
        pr = http.provider().open_pull_request(SPEC)
        [rec] = http.open_records()
        assert rec.number == pr.number
        assert rec.labels == contract.kept("labels", ["dependencies", "bumper"])
        assert rec.reviewers == ["alice"] and rec.assignees == contract.kept("assignees", ["bob"])
        creates = [
            r
            for r in http.server.requests
            if r.method == "POST" and re.search(CREATE_PATH, r.path)  # type: ignore[union-attr]
        ]
        assert creates[-2].fault is not None and creates[-1].fault is None


@pytest.mark.parametrize(
    "fault", ["429", "429-retry-after", "secondary", "secondary-retry-after", "502", "503", "reset"]
)
def test_transient_failures_are_retried(http: HttpBackend, fault: str) -> None:
    responses_by_name = {
        "502": ("", (502, {}, {"message": "Bad Gateway"})),
        "503": ("", (503, {}, {"message": "Service Unavailable"})),
        "reset": ("", "reset"),
    }
    limits = _rate_limits(http.name)
    names = ["429", "429-retry-after", "secondary", "secondary-retry-after"]
    for name, value in zip(names, limits):
        responses_by_name[name] = ("", value)
    if fault not in responses_by_name:
        pytest.skip(f"{http.name} has no {fault} answer")
    http.server.inject(responses_by_name[fault][1], times=2)  # type: ignore[union-attr]
    provider = http.provider()
    mark = http.mark()
    assert provider.find_pull_request(HEAD, BASE) is None
    assert http.calls_since(mark) == 3
    mark = http.mark()
    http.server.inject(responses_by_name[fault][1], times=2)  # type: ignore[union-attr]
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    assert http.calls_since(mark) == 3
    assert [r.number for r in http.open_records()] == [pr.number]


@pytest.mark.parametrize(
    "fault,kind",
    [("503", "other"), ("reset", "other"), ("429", "rate-limited"), ("secondary", "rate-limited")],
)
def test_exhausted_retries_give_one_line(http: HttpBackend, fault: str, kind: str) -> None:
    answer: Any = {
        "503": (503, {}, {"message": "Service Unavailable"}),
        "reset": "reset",
        "429": _rate_limits(http.name)[0],
        "secondary": gh.secondary_rate_limit(),
    }[fault]
    if fault == "secondary" and http.name != "github":
        pytest.skip("secondary rate limits are GitHub's")
    http.server.inject(answer, times=1000)  # type: ignore[union-attr]
    with pytest.raises(ProviderError) as info:
        http.provider().find_pull_request(HEAD, BASE)
    assert info.value.kind == kind
    assert "retries" in str(info.value)
    assert_clean(info.value, http.token)
    assert 2 < len(http.server.requests) < 10  # type: ignore[union-attr] # bounded


@pytest.mark.parametrize(
    "status,message,kind",
    [
        (403, "Resource not accessible by integration", "auth"),
        (404, "Not Found", "not-found"),
        (409, "Conflict", "conflict"),
        (422, "Validation Failed", "conflict"),
        (400, "Bad Request", "other"),
    ],
)
def test_status_kinds(http: HttpBackend, status: int, message: str, kind: str) -> None:
    http.server.inject((status, {}, {"message": message}), method="GET")  # type: ignore[union-attr]
    with pytest.raises(ProviderError) as info:
        http.provider().find_pull_request(HEAD, BASE)
    assert info.value.kind == kind
    assert str(status) in str(info.value)
    assert_clean(info.value, http.token)
    assert len(http.server.requests) == 1  # type: ignore[union-attr] # not retried


def test_host_message_echoing_the_token_is_masked(http: HttpBackend) -> None:
    status = CONTRACT[http.name].error_status
    body = CONTRACT[http.name].error_body(f"token {http.token} is odd")
    http.server.inject((status, {}, body), method="POST")  # type: ignore[union-attr]
    with pytest.raises(ProviderError) as info:
        http.provider().open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    assert "***" in str(info.value)
    assert_clean(info.value, http.token)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_html_page_instead_of_the_api_is_one_line_on_reads_and_writes(
    http: HttpBackend, method: str
) -> None:
    page = b"<!DOCTYPE html><html><body>Sign in</body></html>"
    http.server.inject((200, {"Content-Type": "text/html"}, page), method=method)  # type: ignore[union-attr]
    provider = http.provider()
    with pytest.raises(ProviderError) as info:
        if method == "GET":
            provider.find_pull_request(HEAD, BASE)
        else:
            provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    doing = "looking for the" if method == "GET" else "opening a"
    assert f"{doing} " in str(info.value) and "answered an HTML page" in str(info.value)
    assert_clean(info.value, http.token)


def test_requests_carry_no_token_but_auth_headers(http: HttpBackend) -> None:
    http.provider().open_pull_request(SPEC)
    assert http.server.requests  # type: ignore[union-attr]
    for req in http.server.requests:  # type: ignore[union-attr]
        assert http.token not in repr(req)


def test_refusals_after_open_are_warnings(http: HttpBackend) -> None:
    """The PR exists once created: an unknown reviewer or a refused auto-merge is reported on
    the result, not raised (raising would hide the PR from the caller)."""
    refuse = CONTRACT[http.name].refuse_extras
    assert refuse is not None
    refuse(http.server)
    spec = PullRequestSpec(HEAD, BASE, "t", "b", reviewers=("zed",), automerge=True)
    pr = http.provider().open_pull_request(spec)
    assert len(pr.warnings) == 2
    assert any("zed" in w for w in pr.warnings)
    assert any("auto" in w.lower() for w in pr.warnings)
    assert [r.number for r in http.open_records()] == [pr.number]


def test_gitlab_draft_prefix_and_nested_groups(fake_gitlab: FakeGitLab) -> None:
    provider = GitLabProvider(fake_gitlab.settings("acme/platform/manifests"))
    pr = provider.open_pull_request(SPEC)
    assert fake_gitlab.pulls[0].title == "Draft: " + SPEC.title
    assert pr.title == SPEC.title and pr.draft
    create = next(r for r in fake_gitlab.requests if r.method == "POST")
    assert create.path == "/api/v4/projects/acme%2Fplatform%2Fmanifests/merge_requests"
    assert create.body["remove_source_branch"] is True


def test_github_team_reviewers(fake_github: FakeGitHub) -> None:
    provider = GitHubProvider(fake_github.settings("acme/manifests"))
    provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", reviewers=("alice", "acme/sre")))
    assert fake_github.pulls[0].reviewers == ["alice", "acme/sre"]
    req = next(r for r in fake_github.requests if r.path.endswith("/requested_reviewers"))
    assert req.body == {"reviewers": ["alice"], "team_reviewers": ["sre"]}


# -- wiring and URL conventions ---------------------------------------------------------------


@pytest.mark.parametrize("cls", [GitHubProvider, GitLabProvider, GiteaProvider])
def test_missing_token_is_a_config_error(cls: type) -> None:
    with pytest.raises(ConfigError, match="token"):
        cls(api.ProviderSettings("https://example.test/acme/manifests.git", None, None))


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://github.com/acme/app.git", ("github.com", "acme/app")),
        ("https://github.com/acme/app", ("github.com", "acme/app")),
        ("https://ghe.example:8443/acme/app.git", ("ghe.example:8443", "acme/app")),
        ("git@github.com:acme/app.git", ("github.com", "acme/app")),
        ("ssh://git@gitlab.example:2222/group/sub/proj.git", ("gitlab.example", "group/sub/proj")),
        ("https://gitlab.com/group/sub/proj/", ("gitlab.com", "group/sub/proj")),
    ],
)
def test_split_repo_url(url: str, expected: tuple[str, str]) -> None:
    assert split_repo_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "file:///srv/git/app.git",
        "/srv/git/app.git",
        "https://github.com/acme",
        "https://u:s3cret@h/x",
        "https://x-access-token:s3cret@ghe.example:8443/acme/app.git",
    ],
)
def test_split_repo_url_rejects_without_leaking(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        split_repo_url(url)
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    "host,api_url,expected",
    [
        ("github.com", None, "https://api.github.com"),
        ("ghe.example", None, "https://ghe.example/api/v3"),
        ("ghe.example", "https://ghe.example", "https://ghe.example/api/v3"),
        ("ghe.example", "https://ghe.example/api/v3/", "https://ghe.example/api/v3"),
        ("github.com", "https://api.github.com", "https://api.github.com"),
        ("ssh.github.com", None, "https://api.github.com"),  # ssh://git@ssh.github.com:443/o/r.git
        ("acme.ghe.com", None, "https://api.acme.ghe.com"),  # Enterprise Cloud, data residency
        ("acme.ghe.com", "https://api.acme.ghe.com", "https://api.acme.ghe.com"),
    ],
)
def test_github_api_url(host: str, api_url: str | None, expected: str) -> None:
    assert github_api_url(host, api_url) == expected


@pytest.mark.parametrize(
    "host,api_url,expected",
    [
        ("gitlab.com", None, "https://gitlab.com"),
        ("git.example:8443", None, "https://git.example:8443"),
        ("gitlab.com", "https://gitlab.example/api/v4/", "https://gitlab.example"),
    ],
)
def test_gitlab_url(host: str, api_url: str | None, expected: str) -> None:
    assert gitlab_url(host, api_url) == expected


@pytest.mark.parametrize(
    "repo_url,api_url",
    [
        ("https://git.example/gitlab/grp/sub/proj.git", "https://git.example/gitlab"),
        ("https://git.example/gitlab/grp/sub/proj.git", "https://git.example/gitlab/api/v4/"),
        ("git@git.example:gitlab/grp/sub/proj.git", "https://git.example/gitlab"),
    ],
)
def test_gitlab_under_a_path_prefix(repo_url: str, api_url: str) -> None:
    provider = GitLabProvider(ProviderSettings(repo_url, api_url, "t0ken-for-prefix", throttle=False))
    assert (provider.url, provider.project_path) == ("https://git.example/gitlab", "grp/sub/proj")


CI = {"GITLAB_CI": "true", "CI_SERVER_HOST": "git.example"}


@pytest.mark.parametrize(
    "repo_url,api_url,env,expected",
    [
        ("https://git.example/gitlab/grp/proj.git", None, {},
         ("https://git.example", "gitlab/grp/proj", "default")),
        ("https://git.example/gitlab/grp/proj.git", None, {**CI, "CI_SERVER_URL": "https://git.example/gitlab"},
         ("https://git.example/gitlab", "grp/proj", "CI_SERVER_URL")),
        ("git@git.example:gitlab/grp/proj.git", None, {**CI, "CI_API_V4_URL": "https://git.example:8443/gitlab/api/v4"},
         ("https://git.example:8443/gitlab", "grp/proj", "CI_API_V4_URL")),
        # the CI's own server is another host: its URL says nothing about this repository
        ("https://git.example/gitlab/grp/proj.git", None, {**CI, "CI_SERVER_URL": "https://ci.example/gitlab"},
         ("https://git.example", "gitlab/grp/proj", "default")),
        # not in GitLab CI: variables of the same name mean nothing
        ("https://git.example/gitlab/grp/proj.git", None, {"CI_SERVER_URL": "https://git.example/gitlab"},
         ("https://git.example", "gitlab/grp/proj", "default")),
        # --api-url wins over the CI
        ("https://git.example/gitlab/grp/proj.git", "https://git.example/gitlab/grp",
         {**CI, "CI_SERVER_URL": "https://git.example/gitlab"},
         ("https://git.example/gitlab/grp", "proj", "--api-url")),
    ],
)  # fmt: skip
def test_gitlabs_api_url_rule(
    repo_url: str, api_url: str | None, env: dict[str, str], expected: tuple[str, str, str]
) -> None:
    spec = registry.spec_for("gitlab")
    assert spec.api_location is not None
    assert tuple(spec.api_location(repo_url, api_url, env)) == expected


def test_the_registry_hands_the_rules_answer_to_the_provider() -> None:
    env = {**CI, "CI_SERVER_URL": "https://git.example/gitlab"}
    settings = ProviderSettings("https://git.example/gitlab/grp/proj.git", None, "t0ken-for-ci")
    provider = registry.spec_for("gitlab").create(settings, env)
    assert isinstance(provider, GitLabProvider)
    assert (provider.url, provider.project_path) == ("https://git.example/gitlab", "grp/proj")


def test_the_ssh_and_data_residency_hosts_pick_the_right_api() -> None:
    ssh = GitHubProvider(ProviderSettings("ssh://git@ssh.github.com:443/acme/manifests.git", None, "t0k"))
    assert ssh.api_url == "https://api.github.com"
    ghe = GitHubProvider(ProviderSettings("https://acme.ghe.com/acme/manifests.git", None, "t0k"))
    assert ghe.api_url == "https://api.acme.ghe.com"


def test_one_line() -> None:
    assert one_line("a\n  b\tc tok", "tok", env={}) == "a b c ***"
    assert one_line("a GH_T0KEN_VALUE b", None, env={"GH_TOKEN": "GH_T0KEN_VALUE"}) == "a *** b"
    assert len(one_line("x" * 1000, None, env={})) == 300


@responses.activate
def test_github_dot_com_defaults_to_api_github_com() -> None:
    """Without --api-url a github.com remote talks to https://api.github.com (a loopback server
    cannot stand in for that host name, so `responses` does)."""
    responses.get("https://api.github.com:443/repos/acme/app/pulls", json=[])
    provider = GitHubProvider(
        api.ProviderSettings("git@github.com:acme/app.git", None, "t0k3n", throttle=False)
    )
    assert provider.find_pull_request(HEAD, BASE) is None
    [call] = responses.calls
    assert "head=acme%3Abumper%2Fghcr.io-acme-app" in call.request.url
    assert call.request.headers["Authorization"] == "token t0k3n"


@responses.activate
def test_gitlab_dot_com_defaults_to_https_host() -> None:
    responses.get("https://gitlab.com/api/v4/projects/g%2Fs%2Fp/merge_requests", json=[])
    provider = GitLabProvider(api.ProviderSettings("git@gitlab.com:g/s/p.git", None, "t0k3n"))
    assert provider.find_pull_request(HEAD, BASE) is None
    assert responses.calls[0].request.headers["PRIVATE-TOKEN"] == "t0k3n"


def test_fake_provider_reports_operation_faults() -> None:
    host = FakeHost()
    host.fault = lambda op: ProviderError("nope", kind="conflict") if op == "reviewers" else None
    settings = api.ProviderSettings("https://fake.test/a/b.git", None, host.token)
    pr = FakeProvider(settings, host).open_pull_request(SPEC)
    assert pr.warnings == ("nope",)
    assert host.pulls[0].labels == ["dependencies", "bumper"]
