"""Every GraphQL request the fake GitHub receives is checked against GitHub's published schema.

The schema comes from the npm package @octokit/graphql-schema (package.json), parsed with
graphql-core; without either this module is skipped.
"""

from __future__ import annotations

import pytest
import requests

from bumper.providers.api import PullRequestSpec
from bumper.providers.github import GitHubProvider
from testing import github_graphql
from testing.fake_github import FakeGitHub, fake_github  # noqa: F401 - fixture

if not github_graphql.available():
    pytest.skip(
        "GitHub's GraphQL schema is not installed: run `npm ci` and install the test extras "
        "(graphql-core) to validate GraphQL requests",
        allow_module_level=True,
    )


def _post(server: FakeGitHub, query: str, variables: dict[str, object]) -> dict[str, object]:
    reply = requests.post(
        server.graphql_url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"bearer {server.token}"},
        timeout=30,
    )
    return reply.json()  # type: ignore[no-any-return]


def test_the_auto_merge_request_fits_the_schema(fake_github: FakeGitHub) -> None:  # noqa: F811
    provider = GitHubProvider(fake_github.settings("acme/manifests"))
    provider.open_pull_request(PullRequestSpec("bumper/x", "main", "t", "b", automerge=True))
    [pr] = fake_github.open_pulls()
    assert pr.automerge is True
    assert fake_github.graphql_violations == []


@pytest.mark.parametrize(
    ("query", "variables", "problem"),
    [
        ("mutation { createCommitOnBranch(input: {}) { nope } }", {}, "Cannot query field 'nope'"),
        (
            "mutation($input: CreateCommitOnBranchInput!) "
            "{ createCommitOnBranch(input: $input) { commit { oid } } }",
            {"input": {"branch": {"branchName": "b"}, "message": {"headline": "h"}}},
            "required field 'expectedHeadOid'",
        ),
        ("mutation { enablePullRequestAutoMerge(", {}, "syntax"),
    ],
)
def test_a_request_github_would_reject_is_rejected(
    fake_github: FakeGitHub,  # noqa: F811
    query: str,
    variables: dict[str, object],
    problem: str,
) -> None:
    answer = _post(fake_github, query, variables)
    assert problem in str(answer["errors"])
    assert [q for q, _ in fake_github.graphql_violations] == [query]
