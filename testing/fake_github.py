"""A loopback GitHub (REST under /api/v3, GraphQL under /api/graphql) for provider tests.

It implements exactly the calls bumper/providers/github.py makes, keeps PR state, checks the
token, records every request and takes injected faults (see testing/fake_provider.py).
Use the `fake_github` fixture; import it into a test module or list this module in
`pytest_plugins` of the root conftest.
"""

from __future__ import annotations

import base64
import re
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testing import github_graphql, host_commits, repos
from testing.fake_provider import FakePullHost, PullRecord, RecordedRequest, Reply, Response
from testing.github_app import FakeApp

TOKEN = "fake-github-token-FAKEfake0123456789abcdef"  # noqa: S105 - a test token
BOT = "bumper-bot"  # the token's user, author of every PR
BOT_EMAIL = "bumper-bot@users.noreply.github.com"
WEB_FLOW = ("GitHub", "noreply@github.com")  # committer of the commits GitHub makes and signs
DOCS = "https://docs.github.com/rest"

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)


def secondary_rate_limit(retry_after: int | None = None) -> Response:
    """GitHub's secondary rate limit answer: 403 with that message, Retry-After optional."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return 403, headers, {"message": SECONDARY_RATE_LIMIT_MESSAGE, "documentation_url": DOCS}


def too_many_requests(retry_after: int | None = None) -> Response:
    """A 429, with or without Retry-After."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return 429, headers, {"message": "Too Many Requests", "documentation_url": DOCS}


def server_error(status: int = 502) -> Response:
    """A 5xx as a load balancer would send it."""
    return status, {}, {"message": "Server Error"}


class FakeGitHub(FakePullHost):
    """GitHub's pull request endpoints with in-memory state.

    `api_url` is what `--api-url` would be (GHES layout). `pulls` holds PullRecords; team
    reviewers are stored as "org/slug". `users`, when set, is who may be asked to review.
    """

    unauthorized = (401, {}, {"message": "Bad credentials", "documentation_url": DOCS})

    def __init__(self, token: str = TOKEN, *, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(token, tls=tls)
        self.api_url = f"{self.base_url}/api/v3"
        self.graphql_url = f"{self.base_url}/api/graphql"
        self.repos: dict[str, dict[str, Any]] = {}
        self.pulls: list[PullRecord] = []
        self.users: set[str] | None = None
        # GraphQL requests GitHub's published schema rejects (checked when it is installed)
        self.graphql_violations: list[tuple[str, list[str]]] = []
        self.bare: dict[str, Path] = {}  # repository -> the bare repo the git server serves
        self.verified: set[str] = set()  # commits GitHub made and signed (shown "Verified")
        # What the token may do: its user's role on every repository (GitHub's roles: admin,
        # maintain, push, triage, pull), and a classic token's scopes (None: a fine-grained or
        # App token, which GitHub answers without X-OAuth-Scopes). Writes beyond them get 403.
        self.role = "admin"
        # GitHub Enterprise behind a proxy that drops the query, or an old GHES: `head` not applied.
        self.ignores_head_filter = False
        self.scopes: list[str] | None = None
        self.app: FakeApp | None = None  # a GitHub App whose JWT this host checks (add_app)

    def add_app(self, app: FakeApp) -> None:
        """Serve `app`'s endpoints (installation lookup, token mint, JWT checked); what its
        token makes through the API is then authored by the App's bot."""
        self.app = app

    def add_repo(self, full_name: str, *, automerge_allowed: bool = True) -> str:
        """Create `owner/repo`; returns an https clone URL naming it (the host is not contacted)."""
        self.repos[full_name] = {"automerge_allowed": automerge_allowed, "id": len(self.repos) + 1}
        return f"https://github.test/{full_name}.git"

    def serve_git_repo(self, full_name: str, bare: Path) -> None:
        """Let the git API (refs, createCommitOnBranch) work on `bare`, the repository the
        loopback git server serves for `full_name`, so clones see what the API made."""
        self.bare[full_name] = bare

    def repo_url(self, path: str) -> str:
        return f"https://github.test/{path}.git"

    # -- server ---------------------------------------------------------------------------------

    def authorized(self, headers: dict[str, str]) -> bool:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scheme, _, credential = value.partition(" ")
        return scheme.lower() in ("token", "bearer") and credential == self.token

    def _serve(self, req: RecordedRequest, headers: dict[str, str]) -> Response:
        """The App's endpoints take the App's JWT, not a token; a classic token's answers carry
        its scopes, as GitHub's do; everything else as before."""
        if self.app is not None:
            authorization = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            try:
                answer = self.app.answer(req.method, req.path, authorization, req.body)
            except Reply as reply:
                return reply.status, reply.headers, reply.body
            if answer is not None:
                return answer
        status, extra, body = super()._serve(req, headers)
        if self.scopes is not None and self.authorized(headers):  # as GitHub answers a classic token
            extra = {**extra, "X-OAuth-Scopes": ", ".join(self.scopes)}
        return status, extra, body

    def _may_write(self) -> bool:
        scoped = self.scopes is None or "repo" in self.scopes
        return scoped and self.role in ("admin", "maintain", "push")

    def _actor(self) -> tuple[str, str]:
        """Who the token belongs to: the App's bot when the token is the App's."""
        return self.app.bot if self.app is not None and self.app.token == self.token else (BOT, BOT_EMAIL)

    def route(self, req: RecordedRequest) -> Response:
        if req.method != "GET" and not self._may_write():
            raise Reply(
                403,
                {"message": "Resource not accessible by personal access token", "documentation_url": DOCS},
            )
        if req.path == "/api/graphql" and req.method == "POST":
            return self._graphql(req.body or {})
        m = re.fullmatch(r"/api/v3/repos/([^/]+/[^/]+)(/.*)?", req.path)
        if not m or m[1] not in self.repos:
            raise Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        repo, rest = m[1], m[2] or ""
        if rest.startswith(("/git/", "/commits/")):
            return self._git_api(repo, req.method, rest, req.body)
        key = (req.method, re.sub(r"/\d+", "/N", rest))
        number = int(re.findall(r"/(\d+)", rest)[0]) if "/N" in key[1] else 0
        handlers: dict[tuple[str, str], Callable[[], Response]] = {
            ("GET", ""): lambda: (200, {}, self._repo_json(repo)),
            ("GET", "/pulls"): lambda: self._list_pulls(repo, req.query),
            ("POST", "/pulls"): lambda: self._create_pull(repo, req.body),
            ("GET", "/pulls/N"): lambda: (200, {}, self._pr_json(self._pull(repo, number))),
            ("PATCH", "/pulls/N"): lambda: self._edit_pull(repo, number, req.body),
            ("PATCH", "/issues/N"): lambda: self._edit_issue(repo, number, req.body),
            ("POST", "/issues/N/labels"): lambda: self._add_labels(repo, number, req.body),
            ("POST", "/issues/N/assignees"): lambda: self._add_assignees(repo, number, req.body),
            ("POST", "/pulls/N/requested_reviewers"): lambda: self._request_reviews(repo, number, req.body),
            ("GET", "/issues/N/comments"): lambda: (200, {}, self._comments_json(repo, number)),
            ("POST", "/issues/N/comments"): lambda: self._add_comment(repo, number, req.body),
            ("PATCH", "/issues/comments/N"): lambda: self._edit_comment(repo, number, req.body),
        }
        if key not in handlers:
            raise Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        return handlers[key]()

    # -- git data: refs, commits (REST) and createCommitOnBranch/updateRefs (GraphQL) -----------

    def _bare_of(self, repo: str) -> Path:
        if repo not in self.bare:
            raise Reply(409, {"message": "Git Repository is empty.", "documentation_url": DOCS})
        return self.bare[repo]

    def _git_api(self, repo: str, method: str, rest: str, body: Any) -> Response:
        bare = self._bare_of(repo)
        if (method, rest) == ("POST", "/git/refs"):
            ref, sha = (body or {}).get("ref", ""), (body or {}).get("sha", "")
            if not ref.startswith("refs/heads/") or not host_commits.is_commit(bare, sha):
                raise _invalid("Reference", "invalid", "Object does not exist")
            branch = ref.removeprefix("refs/heads/")
            if repos.branch_sha(bare, branch) is not None:
                raise _invalid("Reference", "already_exists", "Reference already exists")
            host_commits.set_branch(bare, branch, sha, None)
            return 201, {}, self._ref_json(repo, ref, sha)
        m = re.fullmatch(r"/git/refs/heads/(.+)", rest)
        if m and method == "DELETE":
            if repos.branch_sha(bare, m[1]) is None:
                raise _invalid("Reference", "missing", "Reference does not exist")
            host_commits.set_branch(bare, m[1], None, None)
            return 204, {}, b""
        m = re.fullmatch(r"/commits/([0-9a-f]{40})", rest)
        if m and method == "GET" and host_commits.is_commit(bare, m[1]):
            return 200, {}, self._commit_json(repo, m[1])
        raise Reply(404, {"message": "Not Found", "documentation_url": DOCS})

    def _ref_json(self, repo: str, ref: str, sha: str) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo}"
        return {
            "ref": ref,
            "node_id": f"REF_{sha[:12]}",
            "url": f"{api}/git/{ref}",
            "object": {"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"},
        }

    def _commit_json(self, repo: str, sha: str) -> dict[str, Any]:
        """GET /repos/{owner}/{repo}/commits/{ref}: what the "Verified" badge is made from."""
        info = repos.commit_info(self.bare[repo], sha)
        verified = sha in self.verified
        reason = "valid" if verified else "unsigned"
        return {
            "sha": sha,
            "url": f"{self.api_url}/repos/{repo}/commits/{sha}",
            "html_url": f"{self.base_url}/{repo}/commit/{sha}",
            "commit": {
                "url": f"{self.api_url}/repos/{repo}/git/commits/{sha}",
                "message": info["message"],
                "author": {"name": info["author_name"], "email": info["author_email"]},
                "committer": {"name": info["committer_name"], "email": info["committer_email"]},
                "verification": {"verified": verified, "reason": reason, "signature": None, "payload": None},
            },
            "parents": [{"sha": p} for p in info["parents"].split()],
        }

    def _repo_by_node(self, node_id: Any) -> str:
        for repo in self.repos:
            if self._repo_node_id(repo) == node_id:
                return repo
        raise _GraphQLError("NOT_FOUND", f"Could not resolve to a node with the global id of '{node_id}'")

    def _repository_id(self, variables: dict[str, Any]) -> dict[str, Any]:
        full = f"{variables.get('owner')}/{variables.get('name')}"
        if full not in self.repos:
            raise _GraphQLError("NOT_FOUND", f"Could not resolve to a Repository with the name '{full}'.")
        return {"repository": {"id": self._repo_node_id(full)}}

    def _update_refs(self, variables: dict[str, Any]) -> dict[str, Any]:
        """updateRefs: all updates or none; each only from its beforeOid."""
        data = variables.get("input") or {}
        bare = self._bare_of(self._repo_by_node(data.get("repositoryId")))
        updates = data.get("refUpdates") or []
        for update in updates:
            branch = str(update["name"]).removeprefix("refs/heads/")
            now = repos.branch_sha(bare, branch)
            before = update.get("beforeOid")
            if before is not None and (now or host_commits.ZERO) != before:
                raise _GraphQLError("STALE_DATA", f"{update['name']} is not at beforeOid {before}")
            after = update["afterOid"]
            if now and not update.get("force") and not _is_ancestor(bare, now, after):
                raise _GraphQLError("UNPROCESSABLE", f"{update['name']}: not a fast-forward")
        for update in updates:
            branch = str(update["name"]).removeprefix("refs/heads/")
            after = None if update["afterOid"] == host_commits.ZERO else update["afterOid"]
            host_commits.set_branch(bare, branch, after, repos.branch_sha(bare, branch))
        return {"updateRefs": {"clientMutationId": data.get("clientMutationId")}}

    def _create_commit(self, variables: dict[str, Any]) -> dict[str, Any]:
        """createCommitOnBranch: a signed commit on the branch, only if its tip is expectedHeadOid."""
        data = variables.get("input") or {}
        target = data.get("branch") or {}
        repo = str(target.get("repositoryNameWithOwner"))
        if repo not in self.repos:
            raise _GraphQLError("NOT_FOUND", f"Could not resolve to a Repository with the name '{repo}'.")
        bare, branch = self._bare_of(repo), str(target.get("branchName"))
        head = repos.branch_sha(bare, branch)
        if head is None:
            raise _GraphQLError("NOT_FOUND", f'A ref named "refs/heads/{branch}" does not exist.')
        expected = data.get("expectedHeadOid")
        if head != expected:
            raise _GraphQLError(
                "STALE_DATA",
                f'Expected branch to point to "{expected}" but it did not. Pull and try again.',
            )
        changes = data.get("fileChanges") or {}
        files: list[tuple[str, bytes | None]] = [
            (str(a["path"]), base64.b64decode(a["contents"], validate=True))
            for a in changes.get("additions") or []
        ]
        for deletion in changes.get("deletions") or []:
            if not host_commits.has_file(bare, head, str(deletion["path"])):
                raise _GraphQLError(
                    "UNPROCESSABLE",
                    f"A path was requested for deletion which does not exist as of commit oid `{head}`",
                )
            files.append((str(deletion["path"]), None))
        message = data.get("message") or {}
        text = str(message.get("headline", ""))
        if message.get("body"):
            text += "\n\n" + str(message["body"])
        sha = host_commits.make_commit(bare, head, files, text, self._actor(), WEB_FLOW)
        try:
            host_commits.set_branch(bare, branch, sha, head)
        except host_commits.HostRefused as exc:  # moved between the check and the update
            raise _GraphQLError(
                "STALE_DATA", f'Expected branch to point to "{expected}" but it did not.'
            ) from exc
        self.verified.add(sha)
        return {"createCommitOnBranch": {"commit": {"oid": sha}}}

    # -- JSON -----------------------------------------------------------------------------------

    def _repo_json(self, repo: str) -> dict[str, Any]:
        owner, name = repo.split("/")
        return {
            "id": self.repos[repo]["id"],
            "node_id": self._repo_node_id(repo),
            "name": name,
            "full_name": repo,
            "owner": {"login": owner},
            "url": f"{self.api_url}/repos/{repo}",
            "html_url": f"{self.base_url}/{repo}",
            "default_branch": "main",
            "private": True,
            # the role of the token's user, as GitHub tells it: every role up to it is true
            "permissions": {r: _ROLES.index(r) >= _ROLES.index(self.role) for r in _ROLES},
        }

    def _head_repo_json(self, rec: PullRecord) -> dict[str, Any]:
        """The repository a PR's head branch lives in: its own, or the fork it comes from."""
        if rec.head_repo is None:
            return self._repo_json(rec.repo)
        owner, name = rec.head_repo.split("/")
        fork_id = self.repos[rec.repo]["id"] + 50_000
        return {"id": fork_id, "name": name, "full_name": rec.head_repo, "owner": {"login": owner}}

    def _repo_node_id(self, repo: str) -> str:
        return f"R_{self.repos[repo]['id']}"

    def _node_id(self, rec: PullRecord) -> str:
        return f"PR_{self.repos[rec.repo]['id']}_{rec.number}"

    def _pr_json(self, rec: PullRecord) -> dict[str, Any]:
        owner = rec.repo.split("/")[0]
        head_owner = (rec.head_repo or rec.repo).split("/")[0]  # a fork's PR: the fork's owner
        api = f"{self.api_url}/repos/{rec.repo}"
        users = [r for r in rec.reviewers if "/" not in r]
        teams = [r.split("/", 1)[1] for r in rec.reviewers if "/" in r]
        return {
            "url": f"{api}/pulls/{rec.number}",
            "id": self.repos[rec.repo]["id"] * 100000 + rec.number,
            "node_id": self._node_id(rec),
            "html_url": f"{self.base_url}/{rec.repo}/pull/{rec.number}",
            "issue_url": f"{api}/issues/{rec.number}",
            "number": rec.number,
            "state": "open" if rec.state == "open" else "closed",
            "merged": rec.state == "merged",
            "merge_commit_sha": rec.merge_commit if rec.state == "merged" else None,
            "title": rec.title,
            "body": rec.body,
            "draft": rec.draft,
            "user": {"login": BOT},
            "labels": [{"name": label} for label in rec.labels],
            "assignees": [{"login": a} for a in rec.assignees],
            "requested_reviewers": [{"login": u} for u in users],
            "requested_teams": [{"slug": t} for t in teams],
            "auto_merge": {"merge_method": "merge"} if rec.automerge else None,
            "head": {
                "ref": rec.head,
                "label": f"{head_owner}:{rec.head}",
                "sha": rec.head_sha,
                "repo": self._head_repo_json(rec),
            },
            "base": {
                "ref": rec.base,
                "label": f"{owner}:{rec.base}",
                "sha": "2" * 40,
                "repo": self._repo_json(rec.repo),
            },
        }

    def _issue_json(self, rec: PullRecord) -> dict[str, Any]:
        pr = self._pr_json(rec)
        return {
            "url": pr["issue_url"],
            "html_url": pr["html_url"],
            "number": rec.number,
            "state": pr["state"],
            "title": rec.title,
            "body": rec.body,
            "labels": pr["labels"],
            "assignees": pr["assignees"],
            "pull_request": {"url": pr["url"], "html_url": pr["html_url"]},
        }

    # -- REST -----------------------------------------------------------------------------------

    def _pull(self, repo: str, number: int) -> PullRecord:
        for rec in self.pulls:
            if rec.repo == repo and rec.number == number:
                return rec
        raise Reply(404, {"message": "Not Found", "documentation_url": DOCS})

    def _list_pulls(self, repo: str, query: dict[str, list[str]]) -> Response:
        state = query.get("state", ["open"])[0]
        head = query.get("head", [None])[0]
        base = query.get("base", [None])[0]
        found = []
        for rec in self.pulls:
            shown = "open" if rec.state == "open" else "closed"  # merged PRs are closed ones
            if rec.repo != repo or (state != "all" and shown != state):
                continue
            head_owner = (rec.head_repo or repo).split("/")[0]
            if head is not None and not self.ignores_head_filter and head != f"{head_owner}:{rec.head}":
                continue
            if base is not None and base != rec.base:
                continue
            found.append(self._pr_json(rec))
        return 200, {}, _page(found[::-1], query)  # newest first, as GitHub sorts by default

    def _create_pull(self, repo: str, body: Any) -> Response:
        if not isinstance(body, dict) or not all(body.get(k) for k in ("title", "head", "base")):
            raise _invalid("PullRequest", "missing_field", "title, head and base are required")
        _check_lengths(body)
        head, base = body["head"].split(":")[-1], body["base"]
        owner = repo.split("/")[0]
        if any((p.head, p.base, p.head_repo) == (head, base, None) for p in self.open_pulls(repo)):
            raise _invalid("PullRequest", "custom", f"A pull request already exists for {owner}:{head}.")
        number = 1 + sum(1 for p in self.pulls if p.repo == repo)
        rec = PullRecord(
            repo, number, body["title"], body.get("body") or "", head, base, draft=bool(body.get("draft"))
        )
        self.pulls.append(rec)
        return 201, {"Location": f"{self.api_url}/repos/{repo}/pulls/{number}"}, self._pr_json(rec)

    def _edit_pull(self, repo: str, number: int, body: Any) -> Response:
        rec = self._pull(repo, number)
        _check_lengths(body)
        for field in ("title", "body", "state", "base"):
            if isinstance(body, dict) and field in body:
                setattr(rec, field, body[field])
        return 200, {}, self._pr_json(rec)

    def _edit_issue(self, repo: str, number: int, body: Any) -> Response:
        rec = self._pull(repo, number)
        if isinstance(body, dict):
            if "labels" in body:
                rec.labels = [_label_name(x) for x in body["labels"]]
            if "assignees" in body:
                rec.assignees = list(body["assignees"])
            if "title" in body:
                rec.title = body["title"]
            if "body" in body:
                rec.body = body["body"]
        return 200, {}, self._issue_json(rec)

    def _add_labels(self, repo: str, number: int, body: Any) -> Response:
        rec = self._pull(repo, number)
        names = body.get("labels") if isinstance(body, dict) else body  # both forms are accepted
        if not isinstance(names, list) or not names:
            raise _invalid("Label", "invalid", "labels must be a non-empty array")
        rec.labels += [n for n in map(_label_name, names) if n not in rec.labels]
        return 200, {}, [{"name": label} for label in rec.labels]

    def _add_assignees(self, repo: str, number: int, body: Any) -> Response:
        rec = self._pull(repo, number)
        rec.assignees += [a for a in (body or {}).get("assignees", []) if a not in rec.assignees]
        return 201, {}, self._issue_json(rec)

    def _comments_json(self, repo: str, number: int) -> list[dict[str, Any]]:
        rec = self._pull(repo, number)
        api = f"{self.api_url}/repos/{repo}/issues"
        return [
            {
                "id": number * 1000 + i,
                "url": f"{api}/comments/{number * 1000 + i}",
                "html_url": f"{self.base_url}/{repo}/pull/{number}#issuecomment-{number * 1000 + i}",
                "body": text,
                "user": {"login": BOT},
            }
            for i, text in enumerate(rec.comments, 1)
        ]

    def _add_comment(self, repo: str, number: int, body: Any) -> Response:
        rec = self._pull(repo, number)
        if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
            raise _invalid("IssueComment", "missing_field", "body is required")
        rec.comments.append(body["body"])
        return 201, {}, self._comments_json(repo, number)[-1]

    def _edit_comment(self, repo: str, comment_id: int, body: Any) -> Response:
        """PATCH /repos/O/R/issues/comments/ID (a comment's id is its PR's number * 1000 + place)."""
        number, place = divmod(comment_id, 1000)
        rec = self._pull(repo, number)
        if not 1 <= place <= len(rec.comments):
            raise Reply(404, {"message": "Not Found", "documentation_url": DOCS})
        if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
            raise _invalid("IssueComment", "missing_field", "body is required")
        rec.comments[place - 1] = body["body"]
        return 200, {}, self._comments_json(repo, number)[place - 1]

    def _request_reviews(self, repo: str, number: int, body: Any) -> Response:
        rec = self._pull(repo, number)
        users = list((body or {}).get("reviewers") or [])
        teams = list((body or {}).get("team_reviewers") or [])
        if BOT in users:
            raise _invalid("PullRequest", "custom", "Review cannot be requested from pull request author.")
        if self.users is not None and any(u not in self.users for u in users):
            raise _invalid(
                "PullRequest",
                "custom",
                "Reviews may only be requested from collaborators. One or more of the users or "
                f"teams you specified is not a collaborator of the {repo} repository.",
            )
        owner = repo.split("/")[0]
        for name in users + [f"{owner}/{t}" for t in teams]:
            if name not in rec.reviewers:
                rec.reviewers.append(name)
        return 201, {}, self._pr_json(rec)

    # -- GraphQL --------------------------------------------------------------------------------

    def _graphql(self, body: dict[str, Any]) -> Response:
        query = str(body.get("query", ""))
        variables = body.get("variables") or {}
        if github_graphql.available():
            problems = github_graphql.problems(query, variables)
            if problems:  # what GitHub answers to a request its schema rejects
                self.graphql_violations.append((query, problems))
                return 200, {}, {"errors": [{"message": p} for p in problems]}
        for name, handler in (
            ("createCommitOnBranch", self._create_commit),
            ("updateRefs", self._update_refs),
            ("repository(", self._repository_id),
        ):
            if name in query:
                try:
                    return 200, {}, {"data": handler(variables)}
                except _GraphQLError as exc:
                    field = name.rstrip("(")
                    error = {"type": exc.kind, "path": [field], "message": exc.message}
                    return 200, {}, {"data": {field: None}, "errors": [error]}
        if "enablePullRequestAutoMerge" not in query:
            return 200, {}, {"errors": [{"message": "fake GitHub: unsupported GraphQL query"}]}
        node = (variables.get("input") or {}).get("pullRequestId")
        for rec in self.pulls:
            if self._node_id(rec) == node:
                break
        else:
            return (
                200,
                {},
                {
                    "data": {"enablePullRequestAutoMerge": None},
                    "errors": [
                        {
                            "type": "NOT_FOUND",
                            "path": ["enablePullRequestAutoMerge"],
                            "message": f"Could not resolve to a node with the global id of '{node}'",
                        }
                    ],
                },
            )
        if not self.repos[rec.repo]["automerge_allowed"]:
            return (
                200,
                {},
                {
                    "data": {"enablePullRequestAutoMerge": None},
                    "errors": [
                        {
                            "type": "UNPROCESSABLE",
                            "path": ["enablePullRequestAutoMerge"],
                            "message": "Pull request Auto merge is not allowed for this repository",
                        }
                    ],
                },
            )
        rec.automerge = True
        payload = {"actor": {"login": BOT}, "clientMutationId": None}
        return 200, {}, {"data": {"enablePullRequestAutoMerge": payload}}


class _GraphQLError(Exception):
    """A GraphQL field error as GitHub reports it (`type` and `message`)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


_ROLES = ("admin", "maintain", "push", "triage", "pull")


def _invalid(resource: str, code: str, message: str) -> Reply:
    return Reply(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": resource, "code": code, "message": message}],
            "documentation_url": DOCS,
        },
    )


TITLE_LIMIT, BODY_LIMIT = 256, 65_536  # GitHub's limits on a PR (README, "Git hosts")


def _check_lengths(body: Any) -> None:
    """GitHub's 422 for a title or body beyond its limits."""
    if not isinstance(body, dict):
        return
    for field, limit in (("title", TITLE_LIMIT), ("body", BODY_LIMIT)):
        if len(str(body.get(field) or "")) > limit:
            raise _invalid("PullRequest", "custom", f"{field} is too long (maximum is {limit} characters)")


def _is_ancestor(bare: Path, old: str, new: str) -> bool:
    return bool(repos.git("rev-list", "--count", f"{new}..{old}", cwd=bare).decode().strip() == "0")


def _label_name(label: Any) -> str:
    return str(label["name"] if isinstance(label, dict) else label)


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A running FakeGitHub with repository acme/manifests; closed after the test."""
    server = FakeGitHub()
    server.add_repo("acme/manifests")
    try:
        yield server
    finally:
        server.close()


def _page(items: list[Any], query: dict[str, list[str]]) -> list[Any]:
    """One page of a list, as GitHub cuts it: `per_page` (default 30, at most 100), `page` from 1."""
    per_page = min(int(query.get("per_page", ["30"])[0]), 100)
    page = int(query.get("page", ["1"])[0])
    return items[(page - 1) * per_page : page * per_page]
