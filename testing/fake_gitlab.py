"""A loopback GitLab (REST under /api/v4) for provider tests.

It implements exactly the calls bumper/providers/gitlab.py makes, keeps merge request state,
checks the token, records every request and takes injected faults (see
testing/fake_provider.py). Use the `fake_gitlab` fixture; import it into a test module or list
this module in `pytest_plugins` of the root conftest.
"""

from __future__ import annotations

import base64
import binascii
import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from testing import host_commits, repos
from testing.fake_provider import FakePullHost, PullRecord, RecordedRequest, Reply, Response

TOKEN = "fake-gitlab-token-FAKEfake0123456789"  # noqa: S105 - a test token
BOT_ID = 1
BOT_COMMITTER = ("Bumper Bot", "bumper-bot@gitlab.test")  # the token's user commits through the API
TITLE_LIMIT, DESCRIPTION_LIMIT = 255, 1_048_576  # GitLab's limits on an MR (title: README, "Git hosts")
NOT_FOUND_PAGE = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
_DRAFT = re.compile(r"^\s*(\[draft\]|\(draft\)|draft:)\s*", re.IGNORECASE)


def too_many_requests(retry_after: int | None = None) -> Response:
    """GitLab's rate limit answer, with or without Retry-After (whole seconds, as GitLab sends)."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return 429, headers, {"message": "429 Too Many Requests"}


def server_error(status: int = 502) -> Response:
    """A 5xx as a load balancer would send it."""
    return status, {}, {"message": f"{status} Bad Gateway"}


class FakeGitLab(FakePullHost):
    """GitLab's merge request endpoints with in-memory state.

    `api_url` is what `--api-url` would be (the instance URL). `pulls` holds PullRecords
    (title as GitLab stores it, "Draft: " included). `mergeable=False` makes the merge
    endpoint answer 422 "Branch cannot be merged" (mergeability still being checked).
    """

    unauthorized = (401, {}, {"message": "401 Unauthorized"})

    def __init__(self, token: str = TOKEN, *, tls: ssl.SSLContext | None = None, prefix: str = "") -> None:
        super().__init__(token, tls=tls)
        self.prefix = prefix.rstrip("/")  # an instance served under a path ("/gitlab")
        self.api_url = self.base_url + self.prefix
        self.projects: dict[str, int] = {}
        self.users: dict[str, int] = {"bumper-bot": BOT_ID}
        self.pulls: list[PullRecord] = []
        self.mergeable = True
        self.bare: dict[str, Path] = {}  # project -> the bare repo the git server serves
        self.verified: set[str] = set()  # commits GitLab made and signed through its API
        # What the token may do: its user's access level on every project (10 Guest, 20
        # Reporter, 30 Developer, 40 Maintainer, 50 Owner) and its scopes, as
        # GET /personal_access_tokens/self tells them. Writes beyond them get 403.
        self.access_level = 50
        self.scopes = ["api"]

    def add_project(self, path: str) -> str:
        """Create a project (nested groups allowed); returns an https clone URL naming it."""
        self.projects[path] = len(self.projects) + 100
        return f"https://gitlab.test/{path}.git"

    def serve_git_repo(self, path: str, bare: Path) -> None:
        """Let the commits API work on `bare`, the repository the loopback git server serves
        for project `path`, so clones see the commits it makes."""
        self.bare[path] = bare

    def add_user(self, username: str) -> int:
        """Register a user that may be a reviewer or assignee; returns its id."""
        return self.users.setdefault(username, len(self.users) + 1)

    def repo_url(self, path: str) -> str:
        return f"https://gitlab.test/{path}.git"

    # -- server ---------------------------------------------------------------------------------

    def authorized(self, headers: dict[str, str]) -> bool:
        lower = {k.lower(): v for k, v in headers.items()}
        if lower.get("private-token") == self.token:
            return True
        scheme, _, credential = lower.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and credential == self.token

    def route(self, req: RecordedRequest) -> Response:
        if not req.path.startswith(self.prefix + "/"):  # what the web server around it answers
            raise Reply(404, NOT_FOUND_PAGE, {"Content-Type": "text/html"})
        segments = [unquote(s) for s in req.path[len(self.prefix) :].split("/")]
        if segments[:3] != ["", "api", "v4"]:
            raise Reply(404, {"message": "404 Not Found"})
        rest = segments[3:]
        params = _params(req)
        if rest == ["personal_access_tokens", "self"] and req.method == "GET":
            return (
                200,
                {},
                {"id": 1, "name": "bumper", "active": True, "revoked": False, "scopes": self.scopes},
            )
        if req.method != "GET" and "api" not in self.scopes:
            raise Reply(
                403,
                {
                    "error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than provided by "
                    "the access token.",
                    "scope": "api",
                },
            )
        if req.method != "GET" and self.access_level < 30:
            raise Reply(403, {"message": "403 Forbidden"})
        if rest == ["users"] and req.method == "GET":
            name = params.get("username")
            return 200, {}, [self._user_json(name)] if name in self.users else []
        if len(rest) < 2 or rest[0] != "projects":
            raise Reply(404, {"message": "404 Not Found"})
        project = self._project(rest[1])
        tail = rest[2:]
        if tail == [] and req.method == "GET":
            access = {"access_level": self.access_level, "notification_level": 3}
            permissions = {"project_access": access, "group_access": None}
            return (
                200,
                {},
                {"id": self.projects[project], "path_with_namespace": project, "permissions": permissions},
            )
        if tail[:2] == ["repository", "branches"] and len(tail) == 3 and req.method == "GET":
            return self._branch(project, tail[2])
        if tail == ["repository", "commits"] and req.method == "POST":
            return self._commit(project, params)
        if tail[:2] == ["repository", "commits"] and tail[3:] == ["signature"] and req.method == "GET":
            return self._signature(project, tail[2])
        if tail == ["merge_requests"] and req.method == "GET":
            return self._list(project, params)
        if tail == ["merge_requests"] and req.method == "POST":
            return self._create(project, params)
        if len(tail) >= 2 and tail[0] == "merge_requests" and tail[1].isdigit():
            rec = self._mr(project, int(tail[1]))
            if tail[2:] == [] and req.method == "GET":
                return 200, {}, self._mr_json(rec)
            if tail[2:] == [] and req.method == "PUT":
                return self._update(rec, params)
            if tail[2:] == ["merge"] and req.method == "PUT":
                return self._merge(rec, params)
            if tail[2:] == ["notes"] and req.method == "GET":
                return 200, {}, self._notes_listed(rec, params)
            if tail[2:] == ["notes"] and req.method == "POST":
                if not params.get("body"):
                    raise Reply(400, {"error": "body is missing"})
                rec.comments.append(str(params["body"]))
                return 201, {}, self._notes_json(rec)[-1]
            if tail[2:3] == ["notes"] and len(tail) == 4 and tail[3].isdigit() and req.method == "PUT":
                place = int(tail[3]) - rec.number * 1000  # a note's id: the MR's iid * 1000 + place
                if not 1 <= place <= len(rec.comments):
                    raise Reply(404, {"message": "404 Note Not Found"})
                if not params.get("body"):
                    raise Reply(400, {"error": "body is missing"})
                rec.comments[place - 1] = str(params["body"])
                return 200, {}, self._notes_json(rec)[place - 1]
        raise Reply(404, {"message": "404 Not Found"})

    # -- state ----------------------------------------------------------------------------------

    def _project(self, ident: str) -> str:
        for path, pid in self.projects.items():
            if ident in (path, str(pid)):
                return path
        raise Reply(404, {"message": "404 Project Not Found"})

    def _mr(self, project: str, iid: int) -> PullRecord:
        for rec in self.pulls:
            if rec.repo == project and rec.number == iid:
                return rec
        raise Reply(404, {"message": "404 Not found"})

    def _user_json(self, name: str) -> dict[str, Any]:
        return {"id": self.users[name], "username": name, "name": name.title(), "state": "active"}

    def _names(self, ids: Any) -> list[str]:
        by_id = {uid: name for name, uid in self.users.items()}
        if not isinstance(ids, list):
            ids = [int(x) for x in str(ids).split(",") if x]
        unknown = [i for i in ids if int(i) not in by_id]
        if unknown:
            raise Reply(404, {"message": f"404 User Not Found: {unknown}"})
        return [by_id[int(i)] for i in ids]

    def _mr_json(self, rec: PullRecord) -> dict[str, Any]:
        pid = self.projects[rec.repo]
        return {
            "id": pid * 1000 + rec.number,
            "iid": rec.number,
            "project_id": pid,
            # A fork's MR names the fork as its source project (an id of the fork's own).
            "source_project_id": pid if rec.head_repo is None else pid + 50_000,
            "target_project_id": pid,
            "title": rec.title,
            "description": rec.body,
            "state": {"open": "opened"}.get(rec.state, rec.state),
            "source_branch": rec.head,
            "sha": rec.head_sha,
            "merge_commit_sha": rec.merge_commit if rec.state == "merged" else None,
            "target_branch": rec.base,
            "web_url": f"{self.base_url}/{rec.repo}/-/merge_requests/{rec.number}",
            "labels": list(rec.labels),
            "assignees": [self._user_json(n) for n in rec.assignees],
            "reviewers": [self._user_json(n) for n in rec.reviewers],
            "author": self._user_json("bumper-bot"),
            "draft": rec.draft,
            "work_in_progress": rec.draft,
            "merge_when_pipeline_succeeds": rec.automerge,
            "detailed_merge_status": "mergeable" if self.mergeable else "checking",
            "force_remove_source_branch": True,
        }

    def _notes_listed(self, rec: PullRecord, params: dict[str, Any]) -> list[dict[str, Any]]:
        """GET .../notes: newest first unless `sort=asc` (GitLab's default order is `created_at`
        `desc`), one page (the notes tests write fit in one)."""
        notes = self._notes_json(rec)
        return notes if params.get("sort") == "asc" else notes[::-1]

    def _notes_json(self, rec: PullRecord) -> list[dict[str, Any]]:
        return [
            {
                "id": rec.number * 1000 + i,
                "body": text,
                "author": self._user_json("bumper-bot"),
                "system": False,
            }
            for i, text in enumerate(rec.comments, 1)
        ]

    def _list(self, project: str, params: dict[str, Any]) -> Response:
        state = params.get("state", "all")
        found = [
            self._mr_json(rec)
            for rec in self.pulls
            if rec.repo == project
            and (state == "all" or self._mr_json(rec)["state"] == state)
            and params.get("source_branch", rec.head) == rec.head
            and params.get("target_branch", rec.base) == rec.base
        ][::-1]  # newest first, as GitLab sorts by default
        per_page = min(int(params.get("per_page") or 20), 100)
        page, pages = int(params.get("page") or 1), max(1, -(-len(found) // per_page))
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(found)),
            "X-Total-Pages": str(pages),
            "X-Next-Page": str(page + 1) if page < pages else "",
        }
        return 200, headers, found[(page - 1) * per_page : page * per_page]

    def _create(self, project: str, params: dict[str, Any]) -> Response:
        missing = [k for k in ("source_branch", "target_branch", "title") if not params.get(k)]
        if missing:
            raise Reply(400, {"error": f"{', '.join(missing)} is missing"})
        for rec in self.open_pulls(project):
            wanted = (params["source_branch"], params["target_branch"], None)  # a fork's MR is another's
            if (rec.head, rec.base, rec.head_repo) == wanted:
                raise Reply(
                    409,
                    {
                        "message": [
                            f"Another open merge request already exists for this source branch: !{rec.number}"
                        ]
                    },
                )
        number = 1 + sum(1 for p in self.pulls if p.repo == project)
        rec = PullRecord(
            project,
            number,
            params["title"],
            params.get("description") or "",
            params["source_branch"],
            params["target_branch"],
        )
        self._apply(rec, params)
        self.pulls.append(rec)
        return 201, {}, self._mr_json(rec)

    def _update(self, rec: PullRecord, params: dict[str, Any]) -> Response:
        self._apply(rec, params)
        return 200, {}, self._mr_json(rec)

    def _apply(self, rec: PullRecord, params: dict[str, Any]) -> None:
        for field, limit in (("title", TITLE_LIMIT), ("description", DESCRIPTION_LIMIT)):
            if len(str(params.get(field) or "")) > limit:
                raise Reply(400, {"message": {field: [f"is too long (maximum is {limit} characters)"]}})
        if "title" in params:
            rec.title = params["title"]
        if "description" in params:
            rec.body = params["description"]
        if "labels" in params:
            rec.labels = _label_list(params["labels"])
        if "add_labels" in params:
            rec.labels += [x for x in _label_list(params["add_labels"]) if x not in rec.labels]
        if "assignee_ids" in params:
            rec.assignees = self._names(params["assignee_ids"])
        if "reviewer_ids" in params:
            rec.reviewers = self._names(params["reviewer_ids"])
        rec.draft = bool(_DRAFT.match(rec.title))

    def _branch(self, project: str, name: str) -> Response:
        """GET …/repository/branches/:branch: its name and tip commit."""
        bare = self.bare.get(project)
        sha = repos.branch_sha(bare, name) if bare is not None else None
        if sha is None:
            raise Reply(404, {"message": "404 Branch Not Found"})
        return (
            200,
            {},
            {"name": name, "merged": False, "protected": False, "commit": {"id": sha, "short_id": sha[:8]}},
        )

    def _commit(self, project: str, params: dict[str, Any]) -> Response:
        """POST /projects/:id/repository/commits, as GitLab validates and applies it."""
        bare = self.bare.get(project)
        if bare is None:
            raise Reply(404, {"message": "404 Project Not Found"})
        missing = [k for k in ("branch", "commit_message", "actions") if not params.get(k)]
        if missing:
            raise Reply(400, {"error": f"{', '.join(missing)} is missing"})
        branch = str(params["branch"])
        tip = repos.branch_sha(bare, branch)
        start = params.get("start_sha") or (
            repos.branch_sha(bare, str(params["start_branch"])) if params.get("start_branch") else None
        )
        if start is not None and tip is not None and not _truthy(params.get("force")):
            raise Reply(
                400,
                {
                    "message": f"A branch called '{branch}' already exists. "
                    "Switch to that branch in order to make changes"
                },
            )
        parent = start or tip
        if parent is None or not host_commits.is_commit(bare, parent):
            raise Reply(400, {"message": "You can only create or edit files when you are on a branch"})
        against = str(params.get("start_branch") or branch)
        for action in params["actions"]:
            _refuse_changed_file(bare, against, action)
        files = [self._action(bare, parent, action) for action in params["actions"]]
        author = (
            params.get("author_name") or BOT_COMMITTER[0],
            params.get("author_email") or BOT_COMMITTER[1],
        )
        sha = host_commits.make_commit(
            bare, parent, files, str(params["commit_message"]), author, BOT_COMMITTER
        )
        host_commits.set_branch(bare, branch, sha, tip)  # force or not, no compare-and-swap
        self.verified.add(sha)
        info = repos.commit_info(bare, sha)
        return (
            201,
            {},
            {
                "id": sha,
                "short_id": sha[:8],
                "title": info["message"].split("\n", 1)[0],
                "message": info["message"],
                "author_name": info["author_name"],
                "author_email": info["author_email"],
                "committer_name": info["committer_name"],
                "committer_email": info["committer_email"],
                "parent_ids": [parent],
                "web_url": f"{self.base_url}/{project}/-/commit/{sha}",
            },
        )

    @staticmethod
    def _action(bare: Path, parent: str, action: Any) -> tuple[str, bytes | None]:
        kind, path = action.get("action"), str(action.get("file_path") or "")
        exists = bool(path) and host_commits.has_file(bare, parent, path)
        if kind == "delete" or kind == "update":
            if not exists:
                raise Reply(400, {"message": "A file with this name doesn't exist"})
        elif kind == "create":
            if exists:
                raise Reply(400, {"message": "A file with this name already exists"})
        else:
            raise Reply(400, {"error": "actions[action] does not have a valid value"})
        if kind == "delete":
            return path, None
        content = str(action.get("content") or "")
        if action.get("encoding") == "base64":
            try:
                return path, base64.b64decode(content, validate=True)
            except binascii.Error:
                raise Reply(400, {"message": "content is not valid base64"}) from None
        return path, content.encode()

    def _signature(self, project: str, sha: str) -> Response:
        """GET …/repository/commits/:sha/signature: GitLab's signature of its own commits."""
        if sha not in self.verified:
            raise Reply(404, {"message": "404 Signature Not Found"})
        return (
            200,
            {},
            {
                "signature_type": "SSH",
                "verification_status": "verified_system",
                "commit_source": "gitaly",
            },
        )

    def _merge(self, rec: PullRecord, params: dict[str, Any]) -> Response:
        if rec.draft or rec.state != "open":
            raise Reply(405, {"message": "405 Method Not Allowed"})
        if not self.mergeable:
            raise Reply(422, {"message": "Branch cannot be merged"})
        if _truthy(params.get("merge_when_pipeline_succeeds")) or _truthy(params.get("auto_merge")):
            rec.automerge = True
        else:
            rec.state = "merged"
        return 200, {}, self._mr_json(rec)


def _refuse_changed_file(bare: Path, ref: str, action: Any) -> None:
    """An action's `last_commit_id` ("Last known file commit ID", only for update, move and
    delete), as GitLab's Files::MultiService checks it: the last commit that changed the file
    on `ref` must be the last one that changed it as of `last_commit_id`; either missing (an
    unknown commit, a new file) passes. `ref` is the start branch, else the branch committed
    to: the branch a `force` commit replaces, whose tip bumper read."""
    commit_id = action.get("last_commit_id")
    if not commit_id or action.get("action") not in ("update", "move", "delete"):
        return
    path = str(action.get("previous_path") or action.get("file_path") or "")
    on_branch = _last_for_path(bare, ref, path)
    as_read = (
        _last_for_path(bare, str(commit_id), path) if host_commits.is_commit(bare, str(commit_id)) else None
    )
    if on_branch and as_read and on_branch != as_read:
        raise Reply(400, {"message": f"The file has changed since you started editing it: {path}"})


def _last_for_path(bare: Path, ref: str, path: str) -> str | None:
    if repos.branch_sha(bare, ref) is None and not host_commits.is_commit(bare, ref):
        return None
    out = repos.git("log", "-1", "--format=%H", ref, "--", f":(literal){path}", cwd=bare)
    return out.decode().strip() or None


def _params(req: RecordedRequest) -> dict[str, Any]:
    """GitLab reads parameters from the query string and the JSON body alike."""
    merged: dict[str, Any] = {k: v[-1] for k, v in req.query.items()}
    if isinstance(req.body, dict):
        merged.update(req.body)
    return merged


def _label_list(value: Any) -> list[str]:
    """Label names as GitLab reads `labels`/`add_labels` (lib/api/validations/types/labels_list.rb):
    a string, and each item of an array too, split at commas and stripped."""
    items = value if isinstance(value, list) else [value]
    return [name.strip() for x in items for name in str(x).split(",") if name.strip()]


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    """A running FakeGitLab with project acme/platform/manifests and users alice, bob, carol."""
    server = FakeGitLab()
    server.add_project("acme/platform/manifests")
    for name in ("alice", "bob", "carol"):
        server.add_user(name)
    try:
        yield server
    finally:
        server.close()
