"""A loopback Gitea/Forgejo (REST under /api/v1) for provider tests.

It models what Gitea documents and does for the calls bumper/providers/gitea.py makes: PRs
listed without a branch filter (pages of at most 50), labels as ids, a 409 for a second open PR
from the same branch, drafts as a `WIP:`/`[WIP]` title prefix, auto-merge scheduled by
`merge_when_checks_succeed` (405 for a WIP PR, 409 once scheduled), and it checks every request
against Gitea's published swagger (testing/gitea_swagger.py): a request the description rejects
is answered 422 and kept in `schema_violations`. Use the `fake_gitea` fixture.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testing import gitea_swagger, repos
from testing.fake_provider import FakePullHost, PullRecord, RecordedRequest, Reply, Response

TOKEN = "fake-gitea-token-FAKEfake0123456789abcdef"  # noqa: S105 - a test token
BOT = "bumper-bot"  # the token's user, poster of every PR
MAX_ITEMS = 50  # Gitea's default [api] MAX_RESPONSE_ITEMS: a larger `limit` is cut to it
_WIP = re.compile(r"^\s*(wip:|\[wip\])", re.IGNORECASE)


def too_many_requests(retry_after: int | None = None) -> Response:
    """A 429 from a rate-limiting proxy in front of Gitea, with or without Retry-After."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return 429, headers, {"message": "Too Many Requests"}


class FakeGitea(FakePullHost):
    """Gitea's pull request, label and comment endpoints with in-memory state.

    `api_url` is what `--api-url` would be. `pulls` holds PullRecords (the title as Gitea stores
    it, "WIP: " included; `draft` follows the title). `users` may be assigned or asked to review.
    `mergeable=False` makes the merge endpoint answer 405 "not in mergeable state".
    """

    unauthorized = (401, {}, {"message": "invalid username, password or token", "url": ""})

    def __init__(self, token: str = TOKEN, *, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(token, tls=tls)
        self.api_url = f"{self.base_url}/api/v1"
        self.repos: dict[str, dict[str, Any]] = {}
        self.users: set[str] = {BOT}
        self.pulls: list[PullRecord] = []
        self.mergeable = True
        self.bare: dict[str, Path] = {}
        self.schema_violations: list[tuple[str, str, list[str]]] = []
        self._tick = 0
        self._updated: dict[tuple[str, int], int] = {}
        # [api] MAX_RESPONSE_ITEMS: an instance may set it below the default; pages are then shorter.
        self.max_items = MAX_ITEMS
        # What GET /repos/{owner}/{repo} says the token's user may do there (Gitea's Permission);
        # None: the answer has no `permissions` (an older instance).
        self.permissions: dict[str, bool] | None = {"admin": False, "push": True, "pull": True}

    def add_repo(self, full_name: str, *, labels: tuple[str, ...] = ()) -> str:
        """Create `owner/repo` with `labels`; returns an https clone URL naming it."""
        repo_id = len(self.repos) + 1
        self.repos[full_name] = {"id": repo_id, "labels": {}}
        for name in labels:
            self._add_label(full_name, name, "#ededed")
        return f"https://gitea.test/{full_name}.git"

    def serve_git_repo(self, full_name: str, bare: Path) -> None:
        """The repository the loopback git server serves: head commits and branches come from it."""
        self.bare[full_name] = bare

    def add_label(self, full_name: str, name: str) -> int:
        """Give the repository a label; returns its id."""
        return int(self._add_label(full_name, name, "#ededed")["id"])

    def add_user(self, name: str) -> None:
        self.users.add(name)

    def repo_url(self, path: str) -> str:
        return f"https://gitea.test/{path}.git"

    # -- server ---------------------------------------------------------------------------------

    def authorized(self, headers: dict[str, str]) -> bool:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scheme, _, credential = value.partition(" ")
        return scheme.lower() in ("token", "bearer") and credential == self.token

    def route(self, req: RecordedRequest) -> Response:
        m = re.fullmatch(r"/api/v1(/repos/([^/]+/[^/]+)(/.*)?)", req.path)
        if not m:
            raise _not_found()
        found = gitea_swagger.problems(req.method, m[1], req.query, req.body)
        if found:
            self.schema_violations.append((req.method, req.path, found))
            raise Reply(422, {"message": "; ".join(found), "url": ""})
        if m[2] not in self.repos:
            raise _not_found()
        repo, rest = m[2], m[3] or ""
        key = (req.method, re.sub(r"/\d+", "/N", rest))
        number = int(re.findall(r"/(\d+)", rest)[0]) if "/N" in key[1] else 0
        body = req.body if isinstance(req.body, dict) else {}
        handlers: dict[tuple[str, str], Callable[[], Response]] = {
            ("GET", ""): lambda: (200, {}, self._repo_json(repo)),
            ("GET", "/pulls"): lambda: self._list(repo, req.query),
            ("POST", "/pulls"): lambda: self._create(repo, body),
            ("GET", "/pulls/N"): lambda: (200, {}, self._pr_json(self._pull(repo, number))),
            ("PATCH", "/pulls/N"): lambda: self._edit(repo, number, body),
            ("POST", "/pulls/N/requested_reviewers"): lambda: self._review(repo, number, body),
            ("POST", "/pulls/N/merge"): lambda: self._merge(repo, number, body),
            ("GET", "/labels"): lambda: self._labels(repo, req.query),
            ("POST", "/labels"): lambda: (201, {}, self._add_label(repo, body["name"], body["color"])),
            ("POST", "/issues/N/labels"): lambda: self._add_labels(repo, number, body),
            ("GET", "/issues/N/comments"): lambda: (200, {}, self._comments(repo, number)),
            ("POST", "/issues/N/comments"): lambda: self._comment(repo, number, body),
            ("PATCH", "/issues/comments/N"): lambda: self._edit_comment(repo, number, body),
        }
        if key not in handlers:
            raise _not_found()
        return handlers[key]()

    # -- state ----------------------------------------------------------------------------------

    def _touch(self, rec: PullRecord) -> None:
        self._tick += 1
        self._updated[(rec.repo, rec.number)] = self._tick
        rec.draft = bool(_WIP.match(rec.title))

    def _pull(self, repo: str, number: int) -> PullRecord:
        for rec in self.pulls:
            if rec.repo == repo and rec.number == number:
                return rec
        raise _not_found()

    def _label_ids(self, repo: str, values: list[Any]) -> list[str]:
        """Label names for ids (or names, which the issue-labels endpoint also takes)."""
        labels: dict[str, int] = self.repos[repo]["labels"]
        by_id = {i: n for n, i in labels.items()}
        names = []
        for value in values:
            name = by_id.get(value) if isinstance(value, int) else (value if value in labels else None)
            if name is None:
                raise Reply(422, {"message": f"label does not exist [id: {value}]", "url": ""})
            names.append(name)
        return names

    def _add_label(self, repo: str, name: str, color: str) -> dict[str, Any]:
        labels: dict[str, int] = self.repos[repo]["labels"]
        label_id = 100 * self.repos[repo]["id"] + len(labels) + 1
        labels[name] = label_id
        return {"id": label_id, "name": name, "color": color.lstrip("#"), "description": ""}

    def _users(self, names: list[Any]) -> list[str]:
        for name in names:
            if name not in self.users:
                raise Reply(422, {"message": f"user does not exist [uid: 0, name: {name}]", "url": ""})
        return [str(n) for n in names]

    # -- endpoints ------------------------------------------------------------------------------

    def _list(self, repo: str, query: dict[str, list[str]]) -> Response:
        state = query.get("state", ["open"])[0]
        limit = min(int(query.get("limit", [str(self.max_items)])[0]), self.max_items)
        page = max(int(query.get("page", ["1"])[0]), 1)
        found = [
            p
            for p in self.pulls
            if p.repo == repo and (state == "all" or ("open" if p.state == "open" else "closed") == state)
        ]
        if query.get("sort", [""])[0] == "recentupdate":
            found.sort(key=lambda p: -self._updated.get((p.repo, p.number), 0))
        else:  # Gitea's default: newest first
            found.sort(key=lambda p: -p.number)
        chosen = found[(page - 1) * limit : page * limit]
        return 200, {"X-Total-Count": str(len(found))}, [self._pr_json(p) for p in chosen]

    def _create(self, repo: str, body: dict[str, Any]) -> Response:
        head, base, title = body.get("head"), body.get("base"), body.get("title")
        if not (head and base and title):
            raise Reply(422, {"message": "[Title]: Required", "url": ""})
        if repo in self.bare and repos.branch_sha(self.bare[repo], head) is None:
            raise _not_found()
        for p in self.open_pulls(repo):
            if (p.head, p.base, p.head_repo) == (head, base, None):
                message = (
                    f"pull request already exists for these targets [id: {p.number}, issue_id: "
                    f"{p.number}, head_repo_id: 1, base_repo_id: 1, head_branch: {head}, base_branch: {base}]"
                )
                raise Reply(409, {"message": message, "url": ""})
        assignees = self._users(list(body.get("assignees") or []))
        labels = self._label_ids(repo, list(body.get("labels") or []))
        number = 1 + sum(1 for p in self.pulls if p.repo == repo)
        rec = PullRecord(repo, number, title, body.get("body") or "", head, base, labels=labels)
        rec.assignees = assignees
        self.pulls.append(rec)
        self._touch(rec)
        return 201, {}, self._pr_json(rec)

    def _edit(self, repo: str, number: int, body: dict[str, Any]) -> Response:
        rec = self._pull(repo, number)
        if "assignees" in body:
            rec.assignees = self._users(list(body["assignees"] or []))
        if "labels" in body:
            rec.labels = self._label_ids(repo, list(body["labels"] or []))
        for field in ("title", "body"):
            if field in body:
                setattr(rec, field, body[field])
        if body.get("state") == "closed" and rec.state == "open":
            rec.state, rec.head_sha = "closed", self._head_sha(rec)
        self._touch(rec)
        return 201, {}, self._pr_json(rec)  # Gitea answers an edit with 201

    def _add_labels(self, repo: str, number: int, body: dict[str, Any]) -> Response:
        rec = self._pull(repo, number)
        rec.labels += [
            n for n in self._label_ids(repo, list(body.get("labels") or [])) if n not in rec.labels
        ]
        self._touch(rec)
        labels = self.repos[repo]["labels"]
        return 200, {}, [{"id": labels[n], "name": n, "color": "ededed"} for n in rec.labels]

    def _labels(self, repo: str, query: dict[str, list[str]]) -> Response:
        limit = min(int(query.get("limit", [str(self.max_items)])[0]), self.max_items)
        page = max(int(query.get("page", ["1"])[0]), 1)
        items = sorted(self.repos[repo]["labels"].items(), key=lambda kv: kv[1])
        chosen = items[(page - 1) * limit : page * limit]
        labels = [{"id": i, "name": n, "color": "ededed", "description": ""} for n, i in chosen]
        return 200, {"X-Total-Count": str(len(items))}, labels

    def _review(self, repo: str, number: int, body: dict[str, Any]) -> Response:
        rec = self._pull(repo, number)
        users = self._users(list(body.get("reviewers") or []))
        if BOT in users:
            raise Reply(422, {"message": "review request to the poster is not allowed", "url": ""})
        owner = repo.split("/")[0]
        for name in users + [f"{owner}/{t}" for t in body.get("team_reviewers") or []]:
            if name not in rec.reviewers:
                rec.reviewers.append(name)
        return (
            201,
            {},
            [{"id": i, "state": "REQUEST_REVIEW", "user": {"login": n}} for i, n in enumerate(users)],
        )

    def _merge(self, repo: str, number: int, body: dict[str, Any]) -> Response:
        rec = self._pull(repo, number)
        if rec.state != "open":
            raise _not_found()
        if _WIP.match(rec.title):
            raise Reply(405, {"message": "Work in progress PRs cannot be merged", "url": ""})
        if not self.mergeable:
            raise Reply(405, {"message": "Please try again later", "url": ""})
        if not body.get("merge_when_checks_succeed"):
            raise Reply(405, {"message": "fake Gitea: only scheduled merges are modelled", "url": ""})
        if rec.automerge:
            raise Reply(409, {"message": "pull request is already scheduled to auto merge", "url": ""})
        rec.automerge = True
        return 201, {}, b""

    def _comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        rec = self._pull(repo, number)
        return [
            {"id": number * 1000 + i, "body": text, "user": {"login": BOT}}
            for i, text in enumerate(rec.comments, 1)
        ]

    def _comment(self, repo: str, number: int, body: dict[str, Any]) -> Response:
        rec = self._pull(repo, number)
        rec.comments.append(str(body["body"]))
        return 201, {}, self._comments(repo, number)[-1]

    def _edit_comment(self, repo: str, comment_id: int, body: dict[str, Any]) -> Response:
        """PATCH /repos/O/R/issues/comments/ID (a comment's id is its PR's number * 1000 + place)."""
        number, place = divmod(comment_id, 1000)
        rec = self._pull(repo, number)
        if not 1 <= place <= len(rec.comments):
            raise _not_found()
        rec.comments[place - 1] = str(body["body"])
        return 200, {}, self._comments(repo, number)[place - 1]

    # -- JSON -----------------------------------------------------------------------------------

    def _head_sha(self, rec: PullRecord) -> str:
        """An open PR's head is its branch's tip; a closed one keeps the commit it closed at."""
        bare = self.bare.get(rec.repo)
        if rec.state == "open" and bare is not None:
            return repos.branch_sha(bare, rec.head) or rec.head_sha
        return rec.head_sha

    def _head_repo(self, rec: PullRecord, own: dict[str, Any]) -> dict[str, Any]:
        """`repo_id` and `repo` of a PR's head: its own repository, or the fork it comes from."""
        if rec.head_repo is None:
            return {"repo_id": own["id"], "repo": own}
        fork_id = int(own["id"]) + 50_000
        owner = rec.head_repo.split("/")[0]
        fork = {"id": fork_id, "full_name": rec.head_repo, "owner": {"login": owner}}
        return {"repo_id": fork_id, "repo": fork}

    def _repo_json(self, full_name: str) -> dict[str, Any]:
        """The repository as GET /repos/{owner}/{repo} answers (the fields bumper reads)."""
        owner = full_name.split("/")[0]
        data: dict[str, Any] = {
            "id": self.repos[full_name]["id"],
            "full_name": full_name,
            "owner": {"login": owner},
            "private": True,
        }
        if self.permissions is not None:
            data["permissions"] = dict(self.permissions)
        return data

    def _pr_json(self, rec: PullRecord) -> dict[str, Any]:
        repo = self.repos[rec.repo]
        owner = rec.repo.split("/")[0]
        repo_json = {"id": repo["id"], "full_name": rec.repo, "owner": {"login": owner}}
        users = [r for r in rec.reviewers if "/" not in r]
        return {
            "id": repo["id"] * 100000 + rec.number,
            "number": rec.number,
            "url": f"{self.base_url}/{rec.repo}/pulls/{rec.number}",
            "html_url": f"{self.base_url}/{rec.repo}/pulls/{rec.number}",
            "title": rec.title,
            "body": rec.body,
            "state": "open" if rec.state == "open" else "closed",
            "merged": rec.state == "merged",
            "merge_commit_sha": rec.merge_commit if rec.state == "merged" else None,
            "draft": bool(_WIP.match(rec.title)),
            "user": {"login": BOT},
            "labels": [{"id": repo["labels"][n], "name": n} for n in rec.labels],
            "assignees": [{"login": a} for a in rec.assignees],
            "requested_reviewers": [{"login": u} for u in users],
            "head": {"ref": rec.head, "sha": self._head_sha(rec), **self._head_repo(rec, repo_json)},
            "base": {"ref": rec.base, "sha": "2" * 40, "repo_id": repo["id"], "repo": repo_json},
        }


def _not_found() -> Reply:
    return Reply(
        404,
        {"errors": ["The target couldn't be found."], "message": "The target couldn't be found.", "url": ""},
    )


@pytest.fixture
def fake_gitea() -> Iterator[FakeGitea]:
    """A running FakeGitea with repository acme/manifests and users alice, bob, carol; fails the
    test when any request broke Gitea's swagger."""
    server = FakeGitea()
    server.add_repo("acme/manifests")
    for user in ("alice", "bob", "carol"):
        server.add_user(user)
    try:
        yield server
        assert server.schema_violations == []
    finally:
        server.close()
