"""Loopback Bitbucket Cloud (API 2.0) and Bitbucket Data Center (REST 1.0) for provider tests.

Each implements the calls bumper/providers/bitbucket*.py make, keeps pull request state, checks
credentials, records every request and takes injected faults (testing/fake_provider.py). The
Cloud fake checks every request body and query against Atlassian's API description
(tests/schemas/bitbucket-cloud-2.0.json, with `draft` and workspace members from the
documentation); Atlassian publishes no machine-readable Data Center description, so that fake
models the documented fields and error shapes (DuplicatePullRequestException with
`existingPullRequest`, the `version` a PUT must name).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlencode

import pytest

from testing import api_schemas
from testing.fake_provider import FakePullHost, PullRecord, RecordedRequest, Reply, Response, java_length

TOKEN = "fake-bitbucket-token-FAKEfake0123456789"  # noqa: S105 - a test token
APP_USER, APP_PASSWORD = "bumper-bot", "fake-app-password-FAKE0123456789"  # noqa: S105
SCHEMA = "bitbucket-cloud-2.0.json"
PR_PATH = "/repositories/{workspace}/{repo_slug}/pullrequests"
# Documented on every paginated or filtered endpoint, not per operation in the description.
GLOBAL_QUERY = ("q", "pagelen", "page", "sort", "fields")
# Pull request fields the API takes that this snapshot of the description does not list: `draft`
# (2023) and `description` (the raw text; the description names only `summary`, yet the API's
# own examples and every client, e.g. Renovate's, send `description`).
PR_EXTRA = ("draft", "description")
_Q = re.compile(
    r'^source\.branch\.name = "((?:[^"\\]|\\.)*)"(?: AND destination\.branch\.name = "((?:[^"\\]|\\.)*)")?$'
)
PR_PAGELEN = 50  # the largest page Bitbucket Cloud gives of pull requests (a larger pagelen is cut)


def _unquote_bbql(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _error(status: int, message: str, detail: str | None = None) -> Reply:
    error: dict[str, Any] = {"message": message}
    if detail:
        error["detail"] = detail
    return Reply(status, {"type": "error", "error": error})


class FakeBitbucket(FakePullHost):
    """Bitbucket Cloud's pull request endpoints. `members` maps nickname -> uuid."""

    unauthorized = (401, {}, {"type": "error", "error": {"message": "Unauthorized"}})

    def __init__(self, token: str = TOKEN, **kw: Any) -> None:
        super().__init__(token, **kw)
        self.api_url = self.base_url + "/2.0"
        self.repos: set[str] = set()
        self.members: dict[str, str] = {"bumper-bot": "{00000000-0000-4000-8000-000000000001}"}
        self.pulls: list[PullRecord] = []
        self.drafts_kept_by_put = False  # a PUT without `draft` un-drafts (reported behaviour)
        self.problems: list[str] = []  # requests the API description refuses
        self.app_credentials = (APP_USER, APP_PASSWORD)  # the app password Basic auth takes
        self.list_descriptions = True  # False: the list leaves descriptions out

    def add_repo(self, full_name: str) -> str:
        self.repos.add(full_name)
        return f"https://bitbucket.org/{full_name}.git"

    def add_member(self, nickname: str) -> str:
        n = len(self.members) + 1
        uuid = f"{{{n:08d}-0000-4000-8000-{n:012d}}}"
        return self.members.setdefault(nickname, uuid)

    def repo_url(self, path: str) -> str:
        return f"https://bitbucket.org/{path}.git"

    # -- server ---------------------------------------------------------------------------------

    def authorized(self, headers: dict[str, str]) -> bool:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scheme, _, credential = value.partition(" ")
        if scheme.lower() == "bearer":
            return credential == self.token
        if scheme.lower() == "basic":
            user, password = self.app_credentials
            return base64.b64decode(credential + "==").decode(errors="replace") == f"{user}:{password}"
        return False

    def route(self, req: RecordedRequest) -> Response:
        parts = [unquote(s) for s in req.path.split("/")]
        if parts[:2] != ["", "2.0"]:
            raise _error(404, "Resource not found")
        rest = parts[2:]
        if rest[:1] == ["workspaces"] and rest[2:] == ["members"] and req.method == "GET":
            return self._members(req)
        if rest[:1] != ["repositories"] or len(rest) < 4 or rest[3] != "pullrequests":
            raise _error(404, "Resource not found")
        repo = f"{rest[1]}/{rest[2]}"
        if repo not in self.repos:
            raise _error(404, "Repository not found", f"There is no repository {repo}")
        tail = rest[4:]
        if tail == [] and req.method == "GET":
            return self._list(repo, req)
        if tail == [] and req.method == "POST":
            return self._create(repo, req.body)
        if tail and tail[0].isdigit():
            rec = self._pr(repo, int(tail[0]))
            if tail[1:] == [] and req.method == "GET":
                return 200, {}, self._json(rec)
            if tail[1:] == [] and req.method == "PUT":
                return self._update(rec, req.body)
            if tail[1:] == ["comments"] and req.method == "GET":
                values = [
                    {"type": "pullrequest_comment", "id": i, "content": {"raw": c}}
                    for i, c in enumerate(rec.comments, 1)
                ]
                return 200, {}, {"values": values, "pagelen": 100, "size": len(values), "page": 1}
            if tail[1:] == ["comments"] and req.method == "POST":
                self._check(
                    f"{PR_PATH}/{{pull_request_id}}/comments", "#/components/schemas/comment", req.body
                )
                raw = ((req.body or {}).get("content") or {}).get("raw")
                if not raw:
                    raise _error(400, "content.raw: This field is required.")
                rec.comments.append(str(raw))
                return (
                    201,
                    {},
                    {"type": "pullrequest_comment", "id": len(rec.comments), "content": {"raw": raw}},
                )
            if tail[1:2] == ["comments"] and len(tail) == 3 and tail[2].isdigit() and req.method == "PUT":
                return self._edit_comment(rec, int(tail[2]), req.body)
        raise _error(404, "Resource not found")

    def _edit_comment(self, rec: PullRecord, place: int, body: Any) -> Response:
        """PUT .../pullrequests/N/comments/ID: the comment's new Markdown (ids count from 1)."""
        self._check(
            f"{PR_PATH}/{{pull_request_id}}/comments/{{comment_id}}", "#/components/schemas/comment", body
        )
        raw = ((body or {}).get("content") or {}).get("raw")
        if not 1 <= place <= len(rec.comments):
            raise _error(404, "Resource not found")
        if not raw:
            raise _error(400, "content.raw: This field is required.")
        rec.comments[place - 1] = str(raw)
        return 200, {}, {"type": "pullrequest_comment", "id": place, "content": {"raw": raw}}

    # -- state ----------------------------------------------------------------------------------

    def _check(self, path: str, ref: str, body: Any, extra: tuple[str, ...] = ()) -> None:
        problems = api_schemas.body_problems(SCHEMA, ref, body, extra)
        if problems:
            self.problems += problems
            raise _error(400, "Bad request", "; ".join(problems))

    def _user(self, nickname: str) -> dict[str, Any]:
        return {
            "type": "user",
            "uuid": self.members[nickname],
            "nickname": nickname,
            "display_name": nickname.title(),
        }

    def _pr(self, repo: str, number: int) -> PullRecord:
        for rec in self.pulls:
            if rec.repo == repo and rec.number == number:
                return rec
        raise _error(404, "Resource not found", f"There is no pull request {number}")

    def _members(self, req: RecordedRequest) -> Response:
        """A page of the workspace's members (pagelen at most 100) with the absolute `next`
        link Bitbucket gives while there are more."""
        pagelen = min(int((req.query.get("pagelen") or ["10"])[-1]), 100)
        page = int((req.query.get("page") or ["1"])[-1])
        members = list(self.members)
        chosen = members[(page - 1) * pagelen : page * pagelen]
        values = [{"type": "workspace_membership", "user": self._user(n)} for n in chosen]
        answer: dict[str, Any] = {"values": values, "pagelen": pagelen, "size": len(members), "page": page}
        if page * pagelen < len(members):
            answer["next"] = (
                f"{self.api_url}{req.path.removeprefix('/2.0')}?pagelen={pagelen}&page={page + 1}"
            )
        return 200, {}, answer

    def _json(self, rec: PullRecord, full: bool = True) -> dict[str, Any]:
        state = {"open": "OPEN", "merged": "MERGED", "closed": "DECLINED"}[rec.state]
        data: dict[str, Any] = {
            "type": "pullrequest",
            "id": rec.number,
            "title": rec.title,
            "description": rec.body,
            "summary": {"raw": rec.body, "markup": "markdown"},
            "state": state,
            "draft": rec.draft,
            "source": {
                "branch": {"name": rec.head},
                "commit": {"hash": rec.head_sha[:12]},
                "repository": {"type": "repository", "full_name": rec.head_repo or rec.repo},
            },
            "destination": {
                "branch": {"name": rec.base},
                "repository": {"type": "repository", "full_name": rec.repo},
            },
            "links": {"html": {"href": f"https://bitbucket.org/{rec.repo}/pull-requests/{rec.number}"}},
        }
        if rec.state == "merged" and rec.merge_commit:  # Bitbucket Cloud shows 12 digits
            data["merge_commit"] = {"type": "commit", "hash": rec.merge_commit[:12]}
        if full:  # "the API only returns this list when an API requests a pull request by id"
            data["reviewers"] = [self._user(n) for n in rec.reviewers]
        elif not self.list_descriptions:  # a list answer with fewer fields (`fields=` trimmed)
            del data["description"], data["summary"]
        return data

    def _list(self, repo: str, req: RecordedRequest) -> Response:
        self.problems += api_schemas.query_problems(SCHEMA, PR_PATH, "GET", req.query, GLOBAL_QUERY)
        states = req.query.get("state") or ["OPEN"]
        query = (req.query.get("q") or [""])[-1]
        match = _Q.match(query)
        if query and match is None:
            raise _error(400, "Invalid query", query)
        head, base = (
            (None if g is None else _unquote_bbql(g) for g in match.groups()) if match else (None, None)
        )
        # Oldest first: the API documents no default order, so the fake takes the one where
        # the PR that matters (the newest) is on the last page.
        found = [
            self._json(rec, full=False)
            for rec in self.pulls
            if rec.repo == repo and head in (None, rec.head) and base in (None, rec.base)
        ]
        found = [pr for pr in found if pr["state"] in states]
        pagelen = min(int((req.query.get("pagelen") or ["10"])[-1]), PR_PAGELEN)
        page = int((req.query.get("page") or ["1"])[-1])
        answer: dict[str, Any] = {
            "values": found[(page - 1) * pagelen : page * pagelen],
            "pagelen": pagelen,
            "size": len(found),
            "page": page,
        }
        if page * pagelen < len(found):
            query = [(k, v) for k, vs in req.query.items() if k != "page" for v in vs] + [
                ("page", str(page + 1))
            ]
            answer["next"] = f"{self.api_url}{req.path.removeprefix('/2.0')}?{urlencode(query)}"
        return 200, {}, answer

    def _reviewers(self, body: dict[str, Any]) -> list[str]:
        by_id = {uuid: name for name, uuid in self.members.items()}
        names = []
        for reviewer in body.get("reviewers") or []:
            name = by_id.get(str(reviewer.get("uuid")))
            if name is None:
                raise _error(400, "reviewers: Malformed reviewers list", str(reviewer))
            if name == "bumper-bot":
                raise _error(400, "bumper-bot is the author and cannot be included as a reviewer.")
            names.append(name)
        return names

    def _limits(self, body: dict[str, Any]) -> None:
        if len(str(body.get("title") or "")) > 255:
            raise _error(400, "title: Ensure this value has at most 255 characters")

    def _create(self, repo: str, body: Any) -> Response:
        self._check(PR_PATH, "#/components/schemas/pullrequest", body, PR_EXTRA)
        head = ((body.get("source") or {}).get("branch") or {}).get("name")
        base = ((body.get("destination") or {}).get("branch") or {}).get("name")
        if not body.get("title") or not head or not base:
            raise _error(400, "title, source and destination are required")
        self._limits(body)
        for rec in self.open_pulls(repo):
            if (rec.head, rec.base, rec.head_repo) == (head, base, None):
                raise _error(400, f"There is already an open pull request from {head} to {base}")
        rec = PullRecord(
            repo,
            1 + sum(p.repo == repo for p in self.pulls),
            body["title"],
            body.get("description") or "",
            head,
            base,
        )
        rec.reviewers = self._reviewers(body)
        rec.draft = body.get("draft") is True
        self.pulls.append(rec)
        return 201, {}, self._json(rec)

    def _update(self, rec: PullRecord, body: Any) -> Response:
        self._check(f"{PR_PATH}/{{pull_request_id}}", "#/components/schemas/pullrequest", body, PR_EXTRA)
        self._limits(body)
        if "title" in body:
            rec.title = body["title"]
        if "description" in body:
            rec.body = body["description"]
        rec.reviewers = self._reviewers(body)  # a PUT names the reviewers it keeps
        if not self.drafts_kept_by_put:
            rec.draft = body.get("draft") is True
        return 200, {}, self._json(rec)


# -- Bitbucket Data Center ----------------------------------------------------------------------

TITLE_LIMIT, DESCRIPTION_LIMIT = 255, 32_768


def _dc_error(status: int, message: str, exception: str, **more: Any) -> Reply:
    error = {
        "context": None,
        "message": message,
        "exceptionName": f"com.atlassian.bitbucket.{exception}",
        **more,
    }
    return Reply(status, {"errors": [error]})


class FakeBitbucketServer(FakePullHost):
    """Bitbucket Data Center's pull request endpoints under `context` ("" or "/bitbucket").

    `supports_draft` (8.18+) and `supports_automerge` (8.15+) model an older instance when off.
    """

    unauthorized = (
        401,
        {},
        {
            "errors": [
                {
                    "message": "Authentication failed. Please check your credentials and try again.",
                    "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
                }
            ]
        },
    )

    def __init__(self, token: str = TOKEN, *, context: str = "", **kw: Any) -> None:
        super().__init__(token, **kw)
        self.context = context.rstrip("/")
        self.api_url = f"{self.base_url}{self.context}/rest/api/1.0"
        self.repos: set[str] = set()
        self.users: set[str] = {"bumper-bot"}
        self.pulls: list[PullRecord] = []
        self.versions: dict[tuple[str, int], int] = {}
        # (repo, PR, comment id) -> the comment's version, raised by each edit as Bitbucket does
        self.comment_versions: dict[tuple[str, int, int], int] = {}
        self.supports_draft = True
        self.supports_automerge = True

    def add_repo(self, path: str) -> str:
        self.repos.add(path)
        project, slug = path.split("/")
        return f"https://bitbucket.acme.test{self.context}/scm/{project.lower()}/{slug}.git"

    def repo_url(self, path: str) -> str:
        return "https://bitbucket.acme.test{}/scm/{}/{}.git".format(self.context, *path.split("/"))

    def authorized(self, headers: dict[str, str]) -> bool:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        return value == f"Bearer {self.token}"

    def route(self, req: RecordedRequest) -> Response:
        prefix = f"{self.context}/rest/api/1.0/projects/"
        if not req.path.startswith(prefix):
            raise Reply(404, b"<html><body>Page not found</body></html>", {"Content-Type": "text/html"})
        parts = [unquote(s) for s in req.path[len(prefix) :].split("/")]
        if len(parts) < 4 or parts[1] != "repos" or parts[3] != "pull-requests":
            raise _dc_error(404, "Not found", "rest.NoSuchResourceException")
        repo = f"{parts[0]}/{parts[2]}"  # keys as the instance stores them: upper case, or ~user
        if repo not in self.repos:
            raise _dc_error(
                404,
                f"Repository {parts[2]} does not exist in project {parts[0]}.",
                "repository.NoSuchRepositoryException",
            )
        tail = parts[4:]
        if tail == [] and req.method == "GET":
            return self._list(repo, req.query)
        if tail == [] and req.method == "POST":
            return self._create(repo, req.body or {})
        if tail and tail[0].isdigit():
            rec = self._pr(repo, int(tail[0]))
            if tail[1:] == [] and req.method == "GET":
                return 200, {}, self._json(rec)
            if tail[1:] == [] and req.method == "PUT":
                return self._update(rec, req.body or {})
            if tail[1:] == ["activities"] and req.method == "GET":
                values = [
                    {
                        "id": i,
                        "action": "COMMENTED",
                        "comment": {
                            "id": i,
                            "text": c,
                            "version": self.comment_versions.get((rec.repo, rec.number, i), 0),
                        },
                    }
                    for i, c in enumerate(rec.comments, 1)
                ]
                return 200, {}, {"values": values[::-1], "isLastPage": True, "start": 0, "size": len(values)}
            if tail[1:] == ["comments"] and req.method == "POST":
                text = (req.body or {}).get("text")
                if not text:
                    raise _dc_error(400, "A comment must have text", "comment.CommentRequiredException")
                rec.comments.append(str(text))
                return 201, {}, {"id": len(rec.comments), "text": text, "version": 0}
            if tail[1:2] == ["comments"] and len(tail) == 3 and tail[2].isdigit() and req.method == "PUT":
                return self._edit_dc_comment(rec, int(tail[2]), req.body or {})
            if tail[1:] == ["auto-merge"] and req.method == "POST" and self.supports_automerge:
                rec.automerge = True
                return 200, {}, {"autoMergeEnabled": True}
        raise _dc_error(404, "Not found", "rest.NoSuchResourceException")

    def _pr(self, repo: str, number: int) -> PullRecord:
        for rec in self.pulls:
            if rec.repo == repo and rec.number == number:
                return rec
        raise _dc_error(
            404, f"Pull request {number} does not exist in {repo}.", "pull.NoSuchPullRequestException"
        )

    def _ref(self, repo: str, branch: str, sha: str | None = None) -> dict[str, Any]:
        project, slug = repo.split("/")
        ref: dict[str, Any] = {
            "id": f"refs/heads/{branch}",
            "displayId": branch,
            "repository": {"slug": slug, "project": {"key": project}},
        }
        if sha:
            ref["latestCommit"] = sha
        return ref

    def _json(self, rec: PullRecord) -> dict[str, Any]:
        state = {"open": "OPEN", "merged": "MERGED", "closed": "DECLINED"}[rec.state]
        data = {
            "id": rec.number,
            "version": self.versions.setdefault((rec.repo, rec.number), 0),
            "title": rec.title,
            "description": rec.body,
            "state": state,
            "open": rec.state == "open",
            "fromRef": self._ref(rec.head_repo or rec.repo, rec.head, rec.head_sha),
            "toRef": self._ref(rec.repo, rec.base),
            "reviewers": [
                {"user": {"name": n, "slug": n}, "role": "REVIEWER", "approved": False} for n in rec.reviewers
            ],
            "links": {
                "self": [
                    {
                        "href": f"https://bitbucket.acme.test/projects/{rec.repo.split('/')[0]}/repos/{rec.repo.split('/')[1]}/pull-requests/{rec.number}"
                    }
                ]
            },
        }
        if self.supports_draft:
            data["draft"] = rec.draft
        if rec.state == "merged" and rec.merge_commit:
            data["properties"] = {"mergeCommit": {"displayId": rec.merge_commit[:11], "id": rec.merge_commit}}
        return data

    def _list(self, repo: str, query: dict[str, list[str]]) -> Response:
        state = (query.get("state") or ["OPEN"])[-1]
        at = (query.get("at") or [None])[-1]
        direction = (query.get("direction") or ["INCOMING"])[-1]
        found = []
        for rec in reversed(self.pulls):
            ref = f"refs/heads/{rec.head if direction == 'OUTGOING' else rec.base}"
            side = (rec.head_repo or rec.repo) if direction == "OUTGOING" else rec.repo
            if side == repo and at in (None, ref) and (state == "ALL" or self._json(rec)["state"] == state):
                found.append(self._json(rec))
        limit = min(int((query.get("limit") or ["25"])[-1]), 1000)
        start = int((query.get("start") or ["0"])[-1])
        values = found[start : start + limit]
        page: dict[str, Any] = {"values": values, "start": start, "size": len(values), "limit": limit}
        page["isLastPage"] = start + limit >= len(found)
        if not page["isLastPage"]:
            page["nextPageStart"] = start + limit
        return 200, {}, page

    def _edit_dc_comment(self, rec: PullRecord, place: int, body: dict[str, Any]) -> Response:
        """PUT .../pull-requests/N/comments/ID with `text` and the `version` the client read: a
        stale version is refused (409), as Bitbucket Data Center refuses it."""
        if not 1 <= place <= len(rec.comments):
            raise _dc_error(404, "Not found", "rest.NoSuchResourceException")
        key = (rec.repo, rec.number, place)
        if body.get("version") != self.comment_versions.get(key, 0):
            raise _dc_error(409, "The comment was updated meanwhile", "comment.CommentOutOfDateException")
        if not body.get("text"):
            raise _dc_error(400, "A comment must have text", "comment.CommentRequiredException")
        rec.comments[place - 1] = str(body["text"])
        self.comment_versions[key] = self.comment_versions.get(key, 0) + 1
        return 200, {}, {"id": place, "text": rec.comments[place - 1], "version": self.comment_versions[key]}

    def _texts(self, body: dict[str, Any]) -> None:
        if java_length(str(body.get("title") or "")) > TITLE_LIMIT:
            raise _dc_error(
                400,
                f"The title must be at most {TITLE_LIMIT} characters",
                "validation.ArgumentValidationException",
            )
        if java_length(str(body.get("description") or "")) > DESCRIPTION_LIMIT:
            raise _dc_error(
                400,
                f"The description must be at most {DESCRIPTION_LIMIT} characters",
                "validation.ArgumentValidationException",
            )

    def _reviewers(self, body: dict[str, Any]) -> list[str]:
        names = [str(((r or {}).get("user") or {}).get("name")) for r in body.get("reviewers") or []]
        unknown = [n for n in names if n not in self.users]
        if unknown:
            raise _dc_error(
                409,
                "Errors encountered while adding some reviewers to this pull request.",
                "pull.InvalidPullRequestReviewersException",
                reviewerErrors=[{"context": n, "message": f"{n} is not a user."} for n in unknown],
            )
        return names

    def _create(self, repo: str, body: dict[str, Any]) -> Response:
        head = str((body.get("fromRef") or {}).get("id") or "").removeprefix("refs/heads/")
        base = str((body.get("toRef") or {}).get("id") or "").removeprefix("refs/heads/")
        if not body.get("title") or not head or not base:
            raise _dc_error(
                400, "title, fromRef and toRef are required", "validation.ArgumentValidationException"
            )
        self._texts(body)
        for rec in self.open_pulls(repo):
            if (rec.head, rec.base, rec.head_repo) == (head, base, None):
                raise _dc_error(
                    409,
                    "Only one pull request may be open for a given source and target branch",
                    "pull.DuplicatePullRequestException",
                    existingPullRequest=self._json(rec),
                )
        reviewers = self._reviewers(body)
        rec = PullRecord(
            repo,
            1 + sum(p.repo == repo for p in self.pulls),
            body["title"],
            body.get("description") or "",
            head,
            base,
        )
        rec.reviewers = reviewers
        rec.draft = self.supports_draft and body.get("draft") is True
        self.versions[(repo, rec.number)] = 0
        self.pulls.append(rec)
        return 201, {}, self._json(rec)

    def _update(self, rec: PullRecord, body: dict[str, Any]) -> Response:
        key = (rec.repo, rec.number)
        if body.get("version") != self.versions[key]:
            raise _dc_error(
                409,
                "You are attempting to modify a pull request based on out-of-date information.",
                "pull.PullRequestOutOfDateException",
                currentVersion=self.versions[key],
            )
        self._texts(body)
        rec.reviewers = self._reviewers(body)  # the PUT's list replaces the reviewers
        rec.title = body.get("title", rec.title)
        rec.body = body.get("description", rec.body)
        self.versions[key] += 1
        return 200, {}, self._json(rec)


@pytest.fixture
def fake_bitbucket() -> Iterator[FakeBitbucket]:
    """A running FakeBitbucket with repository acme/manifests and members alice, bob, carol."""
    server = FakeBitbucket()
    server.add_repo("acme/manifests")
    for name in ("alice", "bob", "carol"):
        server.add_member(name)
    try:
        yield server
        assert server.problems == []  # every request as the published API describes it
    finally:
        server.close()


@pytest.fixture
def fake_bitbucket_server() -> Iterator[FakeBitbucketServer]:
    """A running FakeBitbucketServer under /bitbucket with repository PLAT/manifests and users
    alice, bob, carol."""
    server = FakeBitbucketServer(context="/bitbucket")
    server.add_repo("PLAT/manifests")
    server.users |= {"alice", "bob", "carol"}
    try:
        yield server
    finally:
        server.close()
