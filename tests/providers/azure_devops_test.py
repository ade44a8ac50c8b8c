"""Azure Repos (bumper/providers/azure_devops.py vs testing/fake_azure_devops.py, which checks each
request against Microsoft's REST 7.1 description) beyond the shared contract
(tests/providers_test.py's CONTRACT runs it): its texts, limits, URL rules and credentials."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from bumper.errors import ConfigError, ProviderError
from bumper.providers import host_rules, registry
from bumper.providers.api import (
    CommentsOnPullRequests,
    FindsClosedPullRequests,
    Provider,
    PullRequestSpec,
)
from bumper.providers.azure_devops import AzureDevOpsProvider
from bumper.providers.registry import token_for
from testing import fake_azure_devops as fa
from testing.fake_azure_devops import FakeAzureDevOps
from testing.fake_provider import PullRecord
from testing.provider_contract import BASE, HEAD, assert_clean

REPO = "platform/manifests"
SPEC = PullRequestSpec(
    head_branch=HEAD,
    base_branch=BASE,
    title="Bump ghcr.io/acme/app to v1.2.3",
    body="| file | old | new |\n|---|---|---|\n| app.yaml | v1.2.2 | v1.2.3 |\n" + "x" * 600,
    labels=("dependencies", "bumper"),
    reviewers=("alice",),
    draft=True,
)


def provider_for(
    server: FakeAzureDevOps, token: str | None = None, repo: str = REPO, **kw: Any
) -> AzureDevOpsProvider:
    return AzureDevOpsProvider(server.settings(repo, token=token, **kw))


# -- beyond the shared contract -----------------------------------------------------------------


def test_is_a_provider_with_comments_and_closed_lookup(fake_azure_devops: FakeAzureDevOps) -> None:
    provider = provider_for(fake_azure_devops)
    assert isinstance(provider, Provider)
    assert isinstance(provider, CommentsOnPullRequests) and isinstance(provider, FindsClosedPullRequests)
    assert provider.name == "azure-devops"
    assert registry.spec_for("azure-devops").implementation_class() is AzureDevOpsProvider


def test_lifecycle_find_open_find_update(fake_azure_devops: FakeAzureDevOps) -> None:
    provider = provider_for(fake_azure_devops)
    assert provider.find_pull_request(HEAD, BASE) is None
    opened = provider.open_pull_request(SPEC)
    assert (opened.title, opened.body, opened.head_branch, opened.base_branch) == (
        SPEC.title,
        SPEC.body,
        HEAD,
        BASE,
    )
    assert opened.draft is True and opened.warnings == ()
    assert opened.url == f"{fake_azure_devops.api_url}/platform/_git/manifests/pullrequest/{opened.number}"
    [rec] = fake_azure_devops.open_pulls()
    assert rec.labels == ["dependencies", "bumper"] and rec.reviewers == ["alice"] and rec.draft is True

    found = provider.find_pull_request(HEAD, BASE)
    assert found == opened  # the whole description, though the list cuts it at 400 characters
    assert provider.find_pull_request(HEAD, "release") == found  # retargeted: found by head
    assert provider.find_pull_request("bumper/other", BASE) is None

    updated = provider.update_pull_request(found, "Bump to v1.2.4", "new body")
    assert (updated.number, updated.title, updated.body, updated.draft) == (
        opened.number,
        "Bump to v1.2.4",
        "new body",
        True,
    )
    [rec] = fake_azure_devops.open_pulls()
    assert (rec.title, rec.body, rec.labels, rec.draft) == (
        "Bump to v1.2.4",
        "new body",
        ["dependencies", "bumper"],
        True,
    )
    assert fake_azure_devops.problems == []  # every request as Microsoft's description has it


def test_autocomplete_is_set_by_the_creator(fake_azure_devops: FakeAzureDevOps) -> None:
    pr = provider_for(fake_azure_devops).open_pull_request(
        PullRequestSpec(HEAD, BASE, "t", "b", automerge=True)
    )
    assert pr.warnings == ()
    [rec] = fake_azure_devops.open_pulls()
    assert rec.automerge is True
    patch = [r for r in fake_azure_devops.requests if r.method == "PATCH"][-1]
    assert patch.body["autoCompleteSetBy"] == {"id": fa.BOT_ID}


def test_refusals_after_open_are_warnings(fake_azure_devops: FakeAzureDevOps) -> None:
    fake_azure_devops.autocomplete_allowed = False
    spec = PullRequestSpec(HEAD, BASE, "t", "b", reviewers=("zed",), assignees=("bob",), automerge=True)
    pr = provider_for(fake_azure_devops).open_pull_request(spec)
    assert pr.warnings[0] == "Azure DevOps has no pull request assignees; not assigned: bob"
    assert pr.warnings[1] == "Azure DevOps has no identity 'zed'; not added as reviewer"
    assert "auto-complete not set" in pr.warnings[2] and "not allowed" in pr.warnings[2]
    assert len(pr.warnings) == 3
    assert [r.number for r in fake_azure_devops.open_pulls()] == [pr.number]


def test_a_reviewer_id_is_taken_as_given(fake_azure_devops: FakeAzureDevOps) -> None:
    carol = fake_azure_devops.identities["carol"]
    provider = provider_for(fake_azure_devops)
    mark = fake_azure_devops.mark()
    provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b", reviewers=(carol,)))
    assert len(fake_azure_devops.since(mark)) == 1  # no identity lookup
    assert fake_azure_devops.pulls[0].reviewers == ["carol"]


@pytest.mark.parametrize("token", ["wrong-token-9876543210", ""])
def test_wrong_or_no_token_is_auth(fake_azure_devops: FakeAzureDevOps, token: str) -> None:
    provider = provider_for(fake_azure_devops, token=token or "placeholder-1234")
    if not token:  # no credentials at all: Azure answers 203 with its sign-in page
        provider._rest._session.headers.pop("Authorization")
    with pytest.raises(ProviderError) as info:
        provider.find_pull_request(HEAD, BASE)
    assert info.value.kind == "auth"
    assert_clean(info.value, token or "placeholder-1234")
    assert ("sign-in page" in str(info.value)) is (not token)
    assert fake_azure_devops.pulls == []


def test_unknown_repository_is_not_found_with_the_hosts_reason(fake_azure_devops: FakeAzureDevOps) -> None:
    provider = provider_for(fake_azure_devops, repo="platform/missing")
    for call in (lambda: provider.find_pull_request(HEAD, BASE), lambda: provider.open_pull_request(SPEC)):
        with pytest.raises(ProviderError) as info:
            call()
        assert info.value.kind == "not-found"
        assert "platform/missing" in str(info.value) and "TF401019" in str(info.value)
        assert_clean(info.value, fake_azure_devops.token)


def test_comment_once(fake_azure_devops: FakeAzureDevOps) -> None:
    provider = provider_for(fake_azure_devops)
    pr = provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    assert provider.comment_once(pr, "<!-- k -->", "<!-- k --> left alone") is True
    mark = fake_azure_devops.mark()
    assert provider.comment_once(pr, "<!-- k -->", "<!-- k --> again") is False
    assert [r.method for r in fake_azure_devops.since(mark)] == ["GET"]
    assert fake_azure_devops.pulls[0].comments == ["<!-- k --> left alone"]
    assert fake_azure_devops.problems == []


def test_completed_and_abandoned_heads_are_found(fake_azure_devops: FakeAzureDevOps) -> None:
    provider = provider_for(fake_azure_devops)
    provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t", "b"))
    assert provider.closed_head_shas(HEAD, BASE) == []
    fake_azure_devops.pulls[0].state, fake_azure_devops.pulls[0].head_sha = "merged", "ab" * 20
    fake_azure_devops.pulls.append(
        PullRecord(REPO, 2, "t", "b", HEAD, BASE, state="closed", head_sha="cd" * 20)
    )
    fake_azure_devops.pulls.append(
        PullRecord(REPO, 3, "t", "b", HEAD, "release", state="closed", head_sha="ef" * 20)
    )
    # Into any target: a PR retargeted to "release", then abandoned, left the branch stale too.
    assert provider.closed_head_shas(HEAD, BASE) == ["ef" * 20, "cd" * 20, "ab" * 20]
    assert provider.find_pull_request(HEAD, BASE) is None


@pytest.mark.parametrize("oldest_first", [False, True])
def test_closed_lookup_reads_every_page_of_the_branchs_prs(
    fake_azure_devops: FakeAzureDevOps, oldest_first: bool
) -> None:
    """More than a page (50) of the branch's PRs, in either order (the API documents none): the
    abandoned one at the branch's tip is found wherever it is, one GET per 50 ($top, $skip)."""
    fake_azure_devops.oldest_first = oldest_first
    for number in range(1, 121):
        fake_azure_devops.pulls.append(
            PullRecord(REPO, number, "t", "b", HEAD, BASE, state="closed", head_sha=f"{number:040x}")
        )
    fake_azure_devops.pulls.append(PullRecord(REPO, 121, "t", "b", "bumper/other", BASE, state="closed"))
    mark = fake_azure_devops.mark()
    shas = provider_for(fake_azure_devops).closed_head_shas(HEAD, BASE)
    assert sorted(shas) == [f"{n:040x}" for n in range(1, 121)]
    lists = fake_azure_devops.since(mark)
    assert [r.query.get("$skip") for r in lists] == [None, ["50"], ["100"]]
    assert fake_azure_devops.problems == []


def test_exhausted_rate_limit_is_one_line(fake_azure_devops: FakeAzureDevOps) -> None:
    fake_azure_devops.inject((429, {"Retry-After": "0"}, {"message": "Request was blocked"}), times=1000)
    with pytest.raises(ProviderError) as info:
        provider_for(fake_azure_devops).find_pull_request(HEAD, BASE)
    assert info.value.kind == "rate-limited"
    assert "429 Request was blocked (after 4 retries)" in str(info.value)
    assert_clean(info.value, fake_azure_devops.token)


def test_host_limits_are_the_providers_text_limits(fake_azure_devops: FakeAzureDevOps) -> None:
    provider = provider_for(fake_azure_devops)
    title, body, utf16 = provider.text_limits
    assert (title, body, utf16) == (fa.TITLE_LIMIT, fa.DESCRIPTION_LIMIT, True)
    provider.open_pull_request(PullRequestSpec(HEAD, BASE, "t" * title, "b" * body))
    with pytest.raises(ProviderError) as info:
        provider.open_pull_request(PullRequestSpec("bumper/x", BASE, "t", "b" * (body + 1)))
    assert info.value.kind == "other" and "4000 characters" in str(info.value)


# -- credentials and URLs -----------------------------------------------------------------------


def test_system_accesstoken_is_a_bearer_token_a_pat_is_basic(fake_azure_devops: FakeAzureDevOps) -> None:
    token = fake_azure_devops.token
    assert host_rules.azure_auth(token, {"SYSTEM_ACCESSTOKEN": token}) == f"Bearer {token}"
    pat = host_rules.azure_auth(token, {"AZURE_DEVOPS_TOKEN": token})
    assert pat.startswith("Basic ") and base64.b64decode(pat[6:]).decode() == f":{token}"
    for env in ({"SYSTEM_ACCESSTOKEN": token}, {"AZURE_DEVOPS_TOKEN": token}):
        assert provider_for(fake_azure_devops, env=env).find_pull_request(HEAD, BASE) is None


def test_token_precedence() -> None:
    env = {"SYSTEM_ACCESSTOKEN": "sys", "AZURE_DEVOPS_TOKEN": "pat", "BUMPER_TOKEN": "bump"}
    assert token_for("azure-devops", env) == "bump"
    assert token_for("azure-devops", {k: v for k, v in env.items() if k != "BUMPER_TOKEN"}) == "pat"
    assert token_for("azure-devops", {"SYSTEM_ACCESSTOKEN": "sys"}) == "sys"
    assert token_for("bitbucket", {"BITBUCKET_APP_PASSWORD": "pw", "BITBUCKET_TOKEN": "tok"}) == "tok"


@pytest.mark.parametrize(
    "url,collection,path",
    [
        (
            "https://dev.azure.com/acme/platform/_git/manifests",
            "https://dev.azure.com/acme",
            "platform/manifests",
        ),
        (
            "https://acme@dev.azure.com/acme/platform/_git/manifests",
            "https://dev.azure.com/acme",
            "platform/manifests",
        ),
        (
            "https://dev.azure.com/acme/My%20Project/_git/app",
            "https://dev.azure.com/acme",
            "My%20Project/app",
        ),
        ("https://dev.azure.com/acme/_git/manifests", "https://dev.azure.com/acme", "manifests/manifests"),
        (
            "https://acme.visualstudio.com/platform/_git/manifests",
            "https://acme.visualstudio.com",
            "platform/manifests",
        ),
        (
            "https://acme.visualstudio.com/DefaultCollection/platform/_git/manifests",
            "https://acme.visualstudio.com/DefaultCollection",
            "platform/manifests",
        ),
        (
            "git@ssh.dev.azure.com:v3/acme/platform/manifests",
            "https://dev.azure.com/acme",
            "platform/manifests",
        ),
        (
            "acme@vs-ssh.visualstudio.com:v3/acme/platform/manifests",
            "https://acme.visualstudio.com",
            "platform/manifests",
        ),
        (
            "https://tfs.acme.io/tfs/Main/platform/_git/manifests",
            "https://tfs.acme.io/tfs/Main",
            "platform/manifests",
        ),
    ],
)
def test_api_location(url: str, collection: str, path: str) -> None:
    assert tuple(host_rules.azure_location(url, None, {})[:2]) == (collection, path)
    assert registry.resolve("auto", url, None, {}) == "azure-devops"


def test_azure_pipelines_names_an_on_premises_collection() -> None:
    url = "https://git.acme.io/tfs/Main/platform/_git/manifests"
    env = {"TF_BUILD": "True", "SYSTEM_COLLECTIONURI": "https://git.acme.io/tfs/Main/"}
    where = host_rules.azure_location(url, None, env)
    assert (where.url, where.path, where.source) == (
        "https://git.acme.io/tfs/Main",
        "platform/manifests",
        "SYSTEM_COLLECTIONURI",
    )
    assert registry.resolve("auto", "https://git.acme.io/x/y.git", None, env) == "azure-devops"
    with pytest.raises(ConfigError, match="cannot tell"):
        registry.resolve("auto", "https://git.acme.io/x/y.git", None, {**env, "TF_BUILD": ""})


@pytest.mark.parametrize(
    "url",
    [
        "https://someone@dev.azure.com/acme/platform/_git/manifests",  # a user that is not the org
        "https://acme:secret@dev.azure.com/acme/platform/_git/manifests",  # a password
        "https://acme@github.com/acme/manifests.git",  # not Azure's layout
    ],
)
def test_only_azures_organization_user_is_accepted_in_a_url(url: str) -> None:
    with pytest.raises(ConfigError, match="contains credentials") as info:
        registry.resolve("auto", url, None, {})
    assert "secret" not in str(info.value)


def test_a_url_without_git_segment_is_refused() -> None:
    with pytest.raises(ConfigError, match="_git/REPO"):
        host_rules.azure_location("https://dev.azure.com/acme/platform/manifests", None, {})


def test_a_reviewer_id_the_organization_does_not_know_is_a_warning(
    fake_azure_devops: FakeAzureDevOps,
) -> None:
    stranger = "12345678-1234-4234-8234-123456789abc"
    pr = provider_for(fake_azure_devops).open_pull_request(
        PullRequestSpec(HEAD, BASE, "t", "b", reviewers=(stranger,))
    )
    [warning] = pr.warnings
    assert "refused the reviewers" in warning and stranger in warning
    assert [r.number for r in fake_azure_devops.open_pulls()] == [pr.number]
    assert fake_azure_devops.pulls[0].reviewers == []


def test_every_new_token_variable_is_scrubbed_from_messages() -> None:
    from bumper.secrets import redact

    env = {
        "SYSTEM_ACCESSTOKEN": "sys-secret-123",
        "AZURE_DEVOPS_TOKEN": "pat-secret-456",
        "BITBUCKET_TOKEN": "bb-secret-789",
        "BITBUCKET_APP_PASSWORD": "app-secret-000",
    }
    assert redact(" ".join(env.values()), env=env) == "*** *** *** ***"


def test_the_fakes_refuse_what_the_published_descriptions_do_not_allow() -> None:
    """The check the fakes run on every request can fail: a misspelt field, a wrong type, an
    undeclared query parameter and a value outside an enum are each named."""
    from testing import api_schemas

    azure = api_schemas.body_problems(
        fa.SCHEMA, "#/definitions/GitPullRequest", {"isDraft": "yes", "draft": True}
    )
    assert azure == ["unknown field 'draft'", "isDraft: 'yes' is not of type 'boolean'"]
    query = {"searchCriteria.status": ["open"], "state": ["OPEN"], "api-version": ["7.1"]}
    problems = api_schemas.query_problems(fa.SCHEMA, fa.BASE + "/pullrequests", "GET", query)
    assert problems == [
        "searchCriteria.status=['open'] is not one of ['notSet', 'active', 'abandoned', 'completed', 'all']",
        "undeclared query parameter 'state'",
    ]
    cloud = api_schemas.body_problems(
        "bitbucket-cloud-2.0.json", "#/components/schemas/pullrequest", {"isDraft": True, "title": 5}
    )
    assert cloud == ["unknown field 'isDraft'", "title: 5 is not of type 'string'"]
