"""A loopback Azure DevOps collection (Azure Repos REST 7.1) for provider tests.

It implements the calls bumper/providers/azure_devops.py makes, keeps pull request state, checks
the token (Basic with any user, or Bearer as System.AccessToken), records every request, takes
injected faults (testing/fake_provider.py), and checks every path, query and body against
Microsoft's published description (tests/schemas/azure-devops-git-7.1.json). It models what
the documentation and users report: the list cuts descriptions at 400 characters, a second
active PR for the same branches is 409 TF401179, titles stop at 400 and descriptions at 4,000
characters, a draft cannot be set to auto-complete, and a request without credentials gets
203 with the sign-in page.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from testing import api_schemas
from testing.fake_provider import FakePullHost, PullRecord, RecordedRequest, Reply, Response, java_length

TOKEN = "fake-azure-devops-pat-FAKEfake0123456789"  # noqa: S105 - a test token
ORG = "acme"
SCHEMA = "azure-devops-git-7.1.json"
SECURITY = "azure-devops-security-7.1.json"  # Permissions - Has Permissions
PERMISSIONS = "/{organization}/_apis/permissions/{securityNamespaceId}/{permissions}"
GIT_NAMESPACE = "2e9eb7ed-3c0a-47d4-87c1-0ffdd275fd87"  # Git Repositories
# Its bits: GenericRead 2, GenericContribute 4, CreateBranch 16, PullRequestContribute 16384.
CONTRIBUTOR = 2 | 4 | 16 | 16384
READER = 2
BASE = "/{organization}/{project}/_apis/git/repositories/{repositoryId}"
TITLE_LIMIT, DESCRIPTION_LIMIT, LIST_DESCRIPTION = 400, 4_000, 400
BOT_ID = "00000000-0000-4000-8000-000000000b07"
SIGN_IN = b"<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head></html>"


def _error(status: int, message: str, type_key: str = "InvalidArgumentValueException") -> Reply:
    return Reply(
        status,
        {
            "$id": "1",
            "innerException": None,
            "message": message,
            "typeName": type_key,
            "typeKey": type_key,
            "errorCode": 0,
            "eventId": 3000,
        },
    )


class FakeAzureDevOps(FakePullHost):
    """Organization `acme`'s collection at `api_url`; repositories are PROJECT/REPO.

    `identities` maps a name or email to an id; `autocomplete_allowed=False` refuses auto-complete.
    """

    unauthorized = (
        401,
        {},
        {
            "message": "TF400813: The user '' is not authorized to access this resource.",
            "typeKey": "UnauthorizedRequestException",
        },
    )

    def __init__(self, token: str = TOKEN, **kw: Any) -> None:
        super().__init__(token, **kw)
        self.api_url = f"{self.base_url}/{ORG}"
        self.repos: set[str] = set()
        self.identities: dict[str, str] = {"bumper-bot": BOT_ID}
        self.pulls: list[PullRecord] = []
        self.autocomplete_allowed = True
        self.problems: list[str] = []
        # The Git Repositories permission bits the token's identity has on every repository;
        # None: Has Permissions answers 401 (a token whose scopes do not let it ask).
        self.git_permissions: int | None = CONTRIBUTOR
        # The list's order, which the API does not document: newest first, or oldest first.
        self.oldest_first = False

    def add_repo(self, path: str) -> str:
        self.repos.add(path)
        project, repo = path.split("/")
        return f"https://dev.azure.com/{ORG}/{project}/_git/{repo}"

    def add_identity(self, name: str) -> str:
        return self.identities.setdefault(name, str(uuid.uuid5(uuid.NAMESPACE_DNS, name)))

    def repo_url(self, path: str) -> str:
        return "https://dev.azure.com/{}/{}/_git/{}".format(ORG, *path.split("/"))

    # -- server ---------------------------------------------------------------------------------

    def authorized(self, headers: dict[str, str]) -> bool:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scheme, _, credential = value.partition(" ")
        if scheme.lower() == "bearer":
            return credential == self.token
        if scheme.lower() == "basic":
            decoded = base64.b64decode(credential + "==").decode(errors="replace")
            return decoded.partition(":")[2] == self.token
        return False

    def _serve(self, req: RecordedRequest, headers: dict[str, str]) -> Response:
        if not any(k.lower() == "authorization" for k in headers):
            return 203, {"Content-Type": "text/html; charset=utf-8"}, SIGN_IN
        return super()._serve(req, headers)

    def route(self, req: RecordedRequest) -> Response:
        parts = [unquote(s) for s in req.path.split("/")]
        if parts[1:2] != [ORG]:
            raise _error(404, f"organization {parts[1:2]} not found", "ResourceNotFoundException")
        if (req.query.get("api-version") or [""])[-1] != "7.1":
            raise _error(
                400,
                "The requested REST API version is not supported or is missing",
                "VssVersionNotSupportedException",
            )
        if parts[2:] == ["_apis", "identities"] and req.method == "GET":
            return self._identity_search(req.query)
        if parts[2:4] == ["_apis", "permissions"] and len(parts) == 6 and req.method == "GET":
            return self._has_permissions(parts[4], int(parts[5]), req.query)
        if len(parts) < 7 or parts[3:6] != ["_apis", "git", "repositories"]:
            raise _error(404, "The resource cannot be found.", "ResourceNotFoundException")
        repo = f"{parts[2]}/{parts[6]}"
        if repo not in self.repos:
            raise _error(
                404,
                f"TF401019: The Git repository with name or identifier {parts[6]} does not exist "
                "or you do not have permissions for the operation you are attempting.",
                "GitRepositoryNotFoundException",
            )
        tail = parts[7:]
        if tail == [] and req.method == "GET":
            self.problems += api_schemas.query_problems(SCHEMA, BASE, "GET", req.query)
            return 200, {}, self._repo_json(repo)
        template = BASE + "/" + "/".join(_template(tail))
        if template.rstrip("/") + "" not in api_schemas.document(SCHEMA)["paths"]:
            raise _error(404, "The resource cannot be found.", "ResourceNotFoundException")
        self.problems += api_schemas.query_problems(SCHEMA, template, req.method, req.query)
        if tail == ["pullrequests"] and req.method == "GET":
            return self._list(repo, req.query)
        if tail == ["pullrequests"] and req.method == "POST":
            self._check("#/definitions/GitPullRequest", req.body)
            return self._create(repo, req.body or {})
        rec = self._pr(repo, int(tail[1]))
        if len(tail) == 2 and req.method == "GET":
            return 200, {}, self._json(rec)
        if len(tail) == 2 and req.method == "PATCH":
            self._check("#/definitions/GitPullRequest", req.body)
            return self._update(rec, req.body or {})
        if tail[2:] == ["labels"] and req.method == "POST":
            self._check("#/definitions/WebApiCreateTagRequestData", req.body)
            name = str((req.body or {}).get("name") or "")
            if name and name.lower() not in (label.lower() for label in rec.labels):
                rec.labels.append(name)
            return 200, {}, {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)), "name": name, "active": True}
        if tail[2:3] == ["reviewers"] and req.method == "PUT":
            self._check("#/definitions/IdentityRefWithVote", req.body)
            rec.reviewers.append(self._name_of(tail[3]))
            return 200, {}, {"id": tail[3], "vote": 0}
        if tail[2:] == ["threads"] and req.method == "GET":
            value = [
                {"id": i, "status": "active", "comments": [{"id": 1, "content": c, "commentType": "text"}]}
                for i, c in enumerate(rec.comments, 1)
            ]
            return 200, {}, {"value": value, "count": len(value)}
        if tail[2:] == ["threads"] and req.method == "POST":
            self._check("#/definitions/GitPullRequestCommentThread", req.body)
            comments = (req.body or {}).get("comments") or []
            rec.comments.append(str(comments[0].get("content") or ""))
            return 200, {}, {"id": len(rec.comments), "comments": comments, "status": "active"}
        if (
            tail[2:3] == ["threads"]
            and tail[4:5] == ["comments"]
            and len(tail) == 6
            and req.method == "PATCH"
        ):
            self._check("#/definitions/Comment", req.body)
            place, content = int(tail[3]), str((req.body or {}).get("content") or "")
            if not (1 <= place <= len(rec.comments) and tail[5] == "1") or not content:
                raise _error(404, "The resource cannot be found.", "ResourceNotFoundException")
            rec.comments[place - 1] = content  # each thread holds one comment, id 1
            return 200, {}, {"id": 1, "content": content, "commentType": "text"}
        raise _error(404, "The resource cannot be found.", "ResourceNotFoundException")

    # -- state ----------------------------------------------------------------------------------

    def _check(self, ref: str, body: Any) -> None:
        problems = api_schemas.body_problems(SCHEMA, ref, body)
        if problems:
            self.problems += problems
            raise _error(400, "; ".join(problems))

    def _repo_json(self, repo: str) -> dict[str, Any]:
        """Repositories - Get Repository (the fields bumper reads): ids as GUIDs."""
        project, name = repo.split("/")
        project_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"project:{project}"))
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"repo:{repo}")),
            "name": name,
            "project": {"id": project_id, "name": project},
            "defaultBranch": "refs/heads/main",
        }

    def _has_permissions(self, namespace: str, bits: int, query: dict[str, list[str]]) -> Response:
        """Permissions - Has Permissions: one boolean per token (all of `bits` allowed), in the
        `{count, value}` wrapper Azure DevOps puts every list answer in (the spec says
        `boolean[]`; Microsoft's own SDK unwraps the answer, `_unwrap_collection`)."""
        self.problems += api_schemas.query_problems(SECURITY, PERMISSIONS, "GET", query)
        if self.git_permissions is None:
            raise Reply(401, self.unauthorized[2])
        tokens = (query.get("tokens") or [""])[-1].split(",")
        known = {f"repoV2/{r['project']['id']}/{r['id']}" for r in map(self._repo_json, sorted(self.repos))}
        if namespace != GIT_NAMESPACE or not all(t in known for t in tokens):
            self.problems.append(f"Has Permissions asked of {namespace} for {tokens}")
            return 200, {}, {"count": len(tokens), "value": [False for _ in tokens]}
        return 200, {}, {"count": len(tokens), "value": [bits & self.git_permissions == bits for _ in tokens]}

    def _identity_search(self, query: dict[str, list[str]]) -> Response:
        wanted = (query.get("filterValue") or [""])[-1].lower()
        found = [
            {"id": i, "providerDisplayName": n} for n, i in self.identities.items() if n.lower() == wanted
        ]
        return 200, {}, {"count": len(found), "value": found}

    def _name_of(self, rid: str) -> str:
        for name, ident in self.identities.items():
            if ident.lower() == rid.lower():
                return name
        raise _error(400, f"identity {rid} not found", "IdentityNotFoundException")

    def _pr(self, repo: str, number: int) -> PullRecord:
        for rec in self.pulls:
            if rec.repo == repo and rec.number == number:
                return rec
        raise _error(404, "The requested pull request was not found.", "GitPullRequestNotFoundException")

    def _json(self, rec: PullRecord, description: int | None = None) -> dict[str, Any]:
        status = {"open": "active", "merged": "completed", "closed": "abandoned"}[rec.state]
        project, name = rec.repo.split("/")
        data: dict[str, Any] = {
            "pullRequestId": rec.number,
            "status": status,
            "title": rec.title,
            "description": rec.body[:description] if description else rec.body,
            "sourceRefName": f"refs/heads/{rec.head}",
            "targetRefName": f"refs/heads/{rec.base}",
            "isDraft": rec.draft,
            "createdBy": {"id": BOT_ID, "displayName": "Bumper Bot"},
            "lastMergeSourceCommit": {"commitId": rec.head_sha},
            "labels": [
                {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, x)), "name": x, "active": True} for x in rec.labels
            ],
            "reviewers": [{"id": self.identities[n], "displayName": n, "vote": 0} for n in rec.reviewers],
            "url": f"{self.api_url}/{project}/_apis/git/repositories/{name}/pullRequests/{rec.number}",
        }
        if rec.head_repo is not None:  # a fork's PR: its source branch is the fork's
            fork_project, fork_name = rec.head_repo.split("/")
            data["forkSource"] = {
                "name": f"refs/heads/{rec.head}",
                "repository": {"name": fork_name, "project": {"name": fork_project}},
            }
        if rec.automerge:
            data["autoCompleteSetBy"] = {"id": BOT_ID}
        if rec.state == "merged" and rec.merge_commit:  # the commit completing the PR made
            data["lastMergeCommit"] = {"commitId": rec.merge_commit}
        return data

    def _list(self, repo: str, query: dict[str, list[str]]) -> Response:
        status = (query.get("searchCriteria.status") or ["active"])[-1]
        source = (query.get("searchCriteria.sourceRefName") or [None])[-1]
        target = (query.get("searchCriteria.targetRefName") or [None])[-1]
        found = [
            self._json(rec, LIST_DESCRIPTION)
            for rec in reversed(self.pulls)
            if rec.repo == repo
            and source in (None, f"refs/heads/{rec.head}")
            and target in (None, f"refs/heads/{rec.base}")
        ]
        found = [pr for pr in found if status == "all" or pr["status"] == status]
        if self.oldest_first:
            found.reverse()
        skip = int((query.get("$skip") or ["0"])[-1])
        top = int((query.get("$top") or ["101"])[-1])
        found = found[skip : skip + top]
        return 200, {}, {"value": found, "count": len(found)}

    def _texts(self, body: dict[str, Any]) -> None:
        if java_length(str(body.get("title") or "")) > TITLE_LIMIT:
            raise _error(
                400,
                "Invalid argument value.\r\nParameter name: The title for a pull request must not be "
                f"longer than {TITLE_LIMIT} characters.",
            )
        if java_length(str(body.get("description") or "")) > DESCRIPTION_LIMIT:
            raise _error(
                400,
                "Invalid argument value.\r\nParameter name: A description for a pull request must not "
                f"be longer than {DESCRIPTION_LIMIT} characters.",
            )

    def _create(self, repo: str, body: dict[str, Any]) -> Response:
        head = str(body.get("sourceRefName") or "").removeprefix("refs/heads/")
        base = str(body.get("targetRefName") or "").removeprefix("refs/heads/")
        if not body.get("title") or not head or not base:
            raise _error(
                400, "Invalid argument value.\r\nParameter name: sourceRefName, targetRefName and title"
            )
        self._texts(body)
        for rec in self.open_pulls(repo):
            if (rec.head, rec.base, rec.head_repo) == (head, base, None):
                raise _error(
                    409,
                    "TF401179: An active pull request for the source and target branch already exists.",
                    "GitPullRequestExistsException",
                )
        reviewers = [self._name_of(str(r.get("id"))) for r in body.get("reviewers") or []]
        rec = PullRecord(repo, 1 + len(self.pulls), body["title"], body.get("description") or "", head, base)
        rec.labels = [str(t.get("name")) for t in body.get("labels") or []]
        rec.reviewers = reviewers
        rec.draft = body.get("isDraft") is True
        self.pulls.append(rec)
        return 201, {}, self._json(rec)

    def _update(self, rec: PullRecord, body: dict[str, Any]) -> Response:
        self._texts(body)
        if "autoCompleteSetBy" in body:
            if rec.draft:
                raise _error(400, "Auto-complete cannot be set on a draft pull request.")
            if not self.autocomplete_allowed:
                raise _error(400, "Auto-complete is not allowed for this pull request.")
            rec.automerge = True
        rec.title = body.get("title", rec.title)
        rec.body = body.get("description", rec.body)
        return 200, {}, self._json(rec)


def _template(tail: list[str]) -> list[str]:
    """The description's path template for the request's path after the repository."""
    names = ["pullrequests", "{pullRequestId}", "", "{reviewerId}", "", "{commentId}"]
    if tail[2:3] == ["threads"]:
        names[3] = "{threadId}"
    out = []
    for i, part in enumerate(tail):
        if i in (1, 3, 5):
            out.append(names[i])
        else:
            out.append(part)
    return out


@pytest.fixture
def fake_azure_devops() -> Iterator[FakeAzureDevOps]:
    """A running FakeAzureDevOps with repository platform/manifests and identities alice, bob, carol."""
    server = FakeAzureDevOps()
    server.add_repo("platform/manifests")
    for name in ("alice", "bob", "carol"):
        server.add_identity(name)
    try:
        yield server
        assert server.problems == []  # every request as the published API describes it
    finally:
        server.close()
