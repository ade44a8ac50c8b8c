"""GitLab.com and self-managed GitLab provider; the only module that imports python-gitlab."""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlsplit

import gitlab
import requests
from gitlab.exceptions import GitlabError

from bumper.errors import ConfigError, ProviderError
from bumper.providers import answers, api, failures, rest
from bumper.providers.builtin import gitlab_label_problem, gitlab_location
from bumper.providers.timed_http import DeadlineAdapter

log = logging.getLogger(__name__)

TIMEOUT = 30  # seconds per HTTP request
# What its MR JSON holds; every answer about MRs is checked against it (answers.py).
PULLS = answers.PullShape(
    r"/projects/[^/]+/merge_requests",
    "iid",
    "state",
    "source_branch",
    "target_branch",
    "web_url",
    head_repo="source_project_id",
    base_repo="target_project_id",
)
# python-gitlab waits 0.1 * 2**n s between attempts (or Retry-After on 429): 4 retries ~ 1.5 s
# of backoff instead of its default 10 (~100 s) that would stall a CI job on a dead instance.
RETRIES = 4
# MRs from the bot branch: pages of 100 (GitLab's largest), at most 10 (1,000 MRs), so a host or
# proxy that ignores the filter or `page` cannot keep bumper reading.
CLOSED_PAGE, CLOSED_PAGES = 100, 10
MAX_RATE_LIMIT_WAIT = 120.0  # a CI job should fail rather than sleep longer than this per retry
GITLAB_COM = "https://gitlab.com"  # never under a path prefix
DRAFT_PREFIX = "Draft: "
DEVELOPER = 30  # the access level that may push a branch and open a merge request
# The title prefixes GitLab reads as "draft" (case-insensitive).
_DRAFT = re.compile(r"^\s*(\[draft\]|\(draft\)|draft:)\s*", re.IGNORECASE)


class NoAnswer(requests.exceptions.RequestException):
    """A host that answered none of two attempts in time (python-gitlab does not retry this)."""


class _SilentOnceMore(DeadlineAdapter):
    """python-gitlab retries a request that timed out as often as a dropped connection (RETRIES
    times, 30 s each): a host that is silent on one retry too (rest.SILENT_RETRIES) raises
    NoAnswer instead, so a silent GitLab costs about a minute, as the other hosts do."""

    silent = 0  # timeouts in a row; any answer starts again

    def send(self, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            answer = super().send(*args, **kwargs)
        except requests.exceptions.Timeout as exc:
            self.silent += 1
            if self.silent > rest.SILENT_RETRIES:
                self.silent = 0
                raise NoAnswer(*exc.args) from exc
            raise
        self.silent = 0
        return answer


class GitLabProvider:
    """Opens and updates merge requests on GitLab.com or a self-managed GitLab.

    Cost: find 1 request; open 1 per distinct reviewer/assignee username (GitLab wants ids)
    + 1 create (labels, reviewers, assignees, draft in one call) + 1 auto-merge; update 1;
    a commit through the API 1.
    """

    name = "gitlab"
    # GitLab's limits; the title keeps room for the "Draft: " prefix a draft MR gets
    text_limits = api.TextLimits(title=255 - len("Draft: "), body=1_048_576)

    def __init__(self, settings: api.ProviderSettings) -> None:
        where = settings.location or gitlab_location(settings.repo_url, settings.api_url, {})
        if not settings.token:
            raise ConfigError("no GitLab token: set BUMPER_TOKEN or GITLAB_TOKEN")
        self._token = settings.token
        self._settings = settings
        self._rq: dict[str, Any] = {"max_retries": RETRIES}
        self._connect(where.url, where.path)
        # Nobody named the API (no --api-url, not the CI's own server): the instance may live
        # under a path prefix the clone URL does not set apart. Found on the first miss, once.
        self._may_relocate = (
            where.source == "default" and where.path.count("/") >= 2 and where.url != GITLAB_COM
        )
        self._user_ids: dict[str, int | None] = {}

    def _client(self, url: str) -> gitlab.Gitlab:
        """python-gitlab for the instance at `url`; an answer that is not its API's raises."""
        # GitLab has no secondary rate limits, so settings.throttle has nothing to slow down;
        # python-gitlab's backoff is fixed, so settings.backoff does not apply either.
        client = gitlab.Gitlab(
            url,
            private_token=self._token,
            timeout=TIMEOUT,
            retry_transient_errors=True,  # 5xx and dropped connections, not only 429
            keep_base_url=True,  # pagination links may name the instance's external URL
            ssl_verify=self._settings.ca_file or True,
        )
        adapter = _SilentOnceMore(self._settings.deadline)  # python-gitlab retries by itself
        client.session.mount("https://", adapter)
        client.session.mount("http://", adapter)
        api_root = f"{url}/api/v4"
        cap = MAX_RATE_LIMIT_WAIT * max(self._settings.backoff, 0.001)
        client.session.hooks["response"].append(lambda answer, *_, **__: _checked(api_root, answer, cap))
        return client

    def _connect(self, url: str, project_path: str) -> None:
        """Talk to the instance at `url` about `project_path` (no request yet)."""
        self.url, self.project_path = url, project_path
        self._gl = self._client(url)
        self._project = self._gl.projects.get(project_path, lazy=True)  # no request
        self._errors = failures.ApiFailures(_STYLE, project_path, url, self._settings).translating

    # -- Provider protocol ----------------------------------------------------------------------

    def find_pull_request(self, head_branch: str, base_branch: str) -> api.PullRequest | None:
        """The open MR from `head_branch` into `base_branch`, else one from it into another
        target (a person retargeted it), or None (one GET, filtered by source branch only)."""
        mrs = self._list(head_branch, None, "opened", "looking for the merge request")
        mine = answers.from_head(PULLS, [mr.attributes for mr in mrs], head_branch, base_branch)
        mine = answers.ranked(PULLS, mine, base_branch)
        return replace(_convert(mine[0]), also=answers.others(PULLS, mine)) if mine else None

    def open_pull_request(self, spec: api.PullRequestSpec) -> api.PullRequest:
        """Create the MR with labels, reviewers, assignees and draft in one call, then auto-merge.

        A 409 "Another open merge request already exists" (our own create retried after a
        lost response, or a race) turns into find + one update that also adds the extras.
        """
        warnings: list[str] = []
        reviewer_ids = self._ids(spec.reviewers, "reviewer", warnings)
        assignee_ids = self._ids(spec.assignees, "assignee", warnings)
        title = _with_draft(spec.title, spec.draft)
        data: dict[str, Any] = {
            "source_branch": spec.head_branch,
            "target_branch": spec.base_branch,
            "title": title,
            "description": spec.body,
            "remove_source_branch": True,
        }
        labels = _whole_labels(spec.labels, warnings)
        if labels:
            data["labels"] = labels
        if assignee_ids:
            data["assignee_ids"] = assignee_ids
        if reviewer_ids:
            data["reviewer_ids"] = reviewer_ids
        attrs: dict[str, Any] | None = None
        with self._errors(f"opening a merge request from {spec.head_branch!r}"):
            try:
                attrs = self._project.mergerequests.create(data, **self._rq).attributes
            except GitlabError as exc:
                if not (exc.response_code == 409 and "already exists" in str(exc.error_message)):
                    raise
        if attrs is None:
            attrs = self._update_existing(
                replace(spec, labels=tuple(labels)), title, reviewer_ids, assignee_ids
            )
        if spec.automerge:
            self._automerge(attrs["iid"], warnings)
        return _convert(attrs, tuple(warnings))

    def update_pull_request(self, pr: api.PullRequest, title: str, body: str) -> api.PullRequest:
        """Set title and description with one PUT; a draft MR keeps its "Draft: " prefix."""
        data = {"title": _with_draft(title, pr.draft), "description": body}
        with self._errors(f"updating merge request !{pr.number}"):
            attrs = self._project.mergerequests.update(pr.number, data, **self._rq)
        return _convert(attrs)

    def closed_head_shas(self, head_branch: str, base_branch: str) -> list[str]:
        """The MRs from `head_branch` into any target in any state, most recently updated first
        (the one that left the branch where it is comes first); the closed and merged ones
        count. Pages of 100 while a page is full, at most CLOSED_PAGES (one GET for a branch
        with fewer)."""
        shas: list[str] = []
        for page in range(1, CLOSED_PAGES + 1):
            order = {"order_by": "updated_at", "sort": "desc", "per_page": CLOSED_PAGE, "page": page}
            mrs = self._list(head_branch, None, "all", "looking for closed merge requests", order)
            shas += [
                str(mr.attributes.get("sha") or "")
                for mr in mrs
                if mr.attributes.get("state") in ("closed", "merged")
                and not answers.from_fork(PULLS, mr.attributes)
            ]
            if len(mrs) < CLOSED_PAGE:
                break
        return shas

    def pull_request_state(self, number: int) -> api.PullRequestState:
        """One GET of the MR: `opened`, `merged`, `closed` (or `locked`, still open)."""
        with self._errors(f"reading merge request !{number}"):
            mr = self._project.mergerequests.get(number, **self._rq)
        state = str(mr.attributes.get("state") or "")
        base = str(mr.attributes.get("target_branch") or "")
        if state == "merged":
            sha = mr.attributes.get("merge_commit_sha") or mr.attributes.get("squash_commit_sha")
            return api.PullRequestState("merged", str(sha) if sha else None, base)
        return api.PullRequestState("closed" if state == "closed" else "open", None, base)

    def comment_once(self, pr: api.PullRequest, key: str, text: str) -> bool:
        """One GET of the MR's notes, and one POST when none holds `key`."""
        with self._errors(f"commenting on merge request !{pr.number}"):
            mr = self._project.mergerequests.get(pr.number, lazy=True)
            if any(key in (n.body or "") for n in mr.notes.list(iterator=True, **self._rq)):
                return False
            mr.notes.create({"body": text}, **self._rq)
        return True

    def put_comment(self, pr: api.PullRequest, key: str, text: str, keep: api.KeepNote | None = None) -> bool:
        """One GET of the MR's notes, then one PUT of bumper's note when it says something else,
        or one POST when there is none (api.KeepsOneComment). System notes are never edited."""
        with self._errors(f"commenting on merge request !{pr.number}"):
            mr = self._project.mergerequests.get(pr.number, lazy=True)
            notes = [
                n
                # Oldest first, so the last is the latest: GitLab lists notes newest first unless
                # told, and editing the oldest (another account's, refused) added a note per run.
                for n in mr.notes.list(iterator=True, sort="asc", order_by="created_at", **self._rq)
                if not n.attributes.get("system") and api.is_note(str(n.body or ""), key)
            ]
            return api.put_note(
                str(notes[-1].body or "") if notes else None,
                text,
                keep,
                edit=lambda: mr.notes.update(notes[-1].id, {"body": text}, **self._rq),
                add=lambda: mr.notes.create({"body": text}, **self._rq),
                refused=lambda exc: exc.response_code if isinstance(exc, GitlabError) else None,
            )

    # -- ChecksAccess ---------------------------------------------------------------------------

    def check_access(self) -> None:
        """Two GETs: the project (the token user's access level must be Developer or above to
        push a branch and open a merge request) and `/personal_access_tokens/self` (its scopes
        must include `api`; a token the endpoint does not describe, as a CI job token, passes;
        a host failing to answer, 5xx after the retries or no answer, fails the run)."""
        where = f"GitLab API ({self.project_path})"
        with self._errors("checking what the token may do"):
            project = self._gl.http_get(f"/projects/{quote(self.project_path, safe='')}", **self._rq)
        permissions = project.get("permissions") if isinstance(project, dict) else None
        if isinstance(permissions, dict):
            levels = [
                int(access.get("access_level") or 0)
                for access in permissions.values()
                if isinstance(access, dict)
            ]
            if levels and max(levels) < DEVELOPER:
                raise ProviderError(
                    f"{where}: the token's user has access level {max(levels)} on the project, "
                    f"below Developer ({DEVELOPER}), so it can neither push a branch nor open a "
                    "merge request; use a token of a user with the Developer role or above",
                    kind="auth",
                )
        with self._errors("checking what the token may do (its scopes)"):
            try:
                token = self._gl.http_get("/personal_access_tokens/self", **self._rq)
            except (GitlabError, failures.NotTheApi) as exc:
                code = getattr(exc, "response_code", None) or 0
                if isinstance(exc, failures.NotTheApi) or (400 <= code < 500 and code != 429):
                    return  # not a personal, project or group access token, or an older GitLab
                raise  # a host failing (5xx after retries, an unreadable answer): nothing pushed
        scopes = token.get("scopes") if isinstance(token, dict) else None
        if isinstance(scopes, list) and "api" not in scopes:
            raise ProviderError(
                f"{where}: the token's scopes ({', '.join(map(str, scopes)) or 'none'}) do not "
                "include api, so it cannot open merge requests; give it the api scope",
                kind="auth",
            )

    # -- CommitsThroughApi ----------------------------------------------------------------------

    def commit_through_api(self, commit: api.ApiCommit) -> str:
        """One `POST /projects/:id/repository/commits` from `start_sha` = parent.

        A new branch is created by that call (GitLab refuses it when the branch exists: that
        raises api.BranchMoved). An existing branch (bumper's stale commit, or a branch left at
        the base) is replaced with `force`, guarded twice: one GET of the branch first (its tip
        must still be the commit bumper read), and each changed file's `last_commit_id` = that
        commit, so GitLab refuses ("The file has changed since you started editing it") when
        someone changed one of those files meanwhile; both raise api.BranchMoved
        (docs/providers.md, "Commit modes"). A direct commit to the base would have no such
        guard, so it is refused before any write. GitLab signs the commit; the author is
        --author, the committer the token's user. GitLab makes the commit and moves the branch
        in one request: a failed call leaves the branch as it was.
        """
        if commit.direct:
            raise ConfigError(
                "--commit-via api cannot commit straight to the base on GitLab: its commits API "
                "cannot check that the base did not move meanwhile; use --commit-via git for "
                "commit-mode rules (.bumper.yaml mode: commit, or --mode commit)"
            )
        if commit.expected is not None:  # the branch exists: `force` below must not drop a push
            self._still_at(commit.branch, commit.expected)
        actions = [_action(change, commit.expected) for change in commit.files]
        data: dict[str, Any] = {
            "branch": commit.branch,
            "start_sha": commit.parent,
            "commit_message": commit.message,
            "author_name": commit.author[0],
            "author_email": commit.author[1],
            "actions": actions,
        }
        if commit.expected is not None:
            data["force"] = True  # drop bumper's stale commit: start again from the parent
        try:
            return self._create_commit(commit, data)
        except api.BranchMoved:
            raise
        except ProviderError as exc:
            exc.message += (
                f"; branch {commit.branch} holds what it held before (or this commit, had a lost "
                "answer applied it): GitLab makes the commit and moves the branch in one request"
            )
            raise

    def _create_commit(self, commit: api.ApiCommit, data: dict[str, Any]) -> str:
        with self._errors(f"committing to branch {commit.branch!r}"):
            try:
                created = self._project.commits.create(data, **self._rq)
            except GitlabError as exc:
                if commit.expected is None and "already exists" in str(exc.error_message):
                    raise api.BranchMoved(
                        f"GitLab API ({self.project_path}) committing to branch {commit.branch!r}: "
                        "the branch was created meanwhile"
                    ) from exc
                if "has changed since you started editing it" in str(exc.error_message):
                    raise api.BranchMoved(
                        f"GitLab API ({self.project_path}) committing to branch {commit.branch!r}: "
                        f"{exc.error_message}"
                    ) from exc
                raise
        return str(created.id)

    def _still_at(self, branch: str, expected: str) -> None:
        """One GET of `branch`: raise api.BranchMoved unless its tip is `expected`."""
        with self._errors(f"reading branch {branch!r}"):
            try:
                tip = self._project.branches.get(branch, **self._rq).attributes["commit"]["id"]
            except GitlabError as exc:
                if exc.response_code != 404:
                    raise
                tip = None
        if tip != expected:
            raise api.BranchMoved(
                f"GitLab API ({self.project_path}) branch {branch!r} moved since bumper read it"
            )

    # -- helpers --------------------------------------------------------------------------------

    def _find(self, head_branch: str, base_branch: str) -> Any:
        mrs = self._list(head_branch, base_branch, "opened", "looking for the merge request")
        mine = [mr for mr in mrs if answers.from_branches(PULLS, [mr.attributes], head_branch, base_branch)]
        return mine[0] if mine else None

    def _list(
        self,
        head_branch: str,
        base_branch: str | None,
        state: str,
        doing: str,
        page: dict[str, Any] | None = None,
    ) -> list[Any]:
        """One page of MRs from `head_branch` into `base_branch` (None: any) in `state` (one GET):
        the first one, or the one `page` names (page, per_page, order)."""
        query: dict[str, Any] = {
            "source_branch": head_branch,
            "state": state,
            "get_all": False,
            **(page or {}),
        }
        if base_branch is not None:
            query["target_branch"] = base_branch

        def call() -> list[Any]:
            return list(self._project.mergerequests.list(**query, **self._rq))

        with self._errors(f"{doing} from {head_branch!r}"):
            try:
                return call()
            except (GitlabError, failures.NotTheApi) as exc:
                missing = isinstance(exc, failures.NotTheApi) or exc.response_code == 404
                if not (missing and self._may_relocate and self._relocate()):
                    raise
                return call()

    def _relocate(self) -> bool:
        """Find the path prefix of an instance served under one (`https://host/gitlab`), when
        the clone URL `https://host/gitlab/grp/proj.git` did not say where the project path
        starts: ask `https://host/P/api/v4/projects/REST` for each split of the path, the
        shortest prefix first (one request each, at most segments - 2), and switch to the first
        that knows the project. Asked once per run, only after the first request missed."""
        self._may_relocate = False
        segments = self.project_path.split("/")
        for cut in range(1, len(segments) - 1):
            url = f"{self.url}/{'/'.join(segments[:cut])}"
            rest = "/".join(segments[cut:])
            try:
                self._client(url).projects.get(rest, **self._rq)
            except (GitlabError, failures.NotTheApi, requests.exceptions.RequestException):
                continue
            log.debug("GitLab instance found at %s; project %s", url, rest)
            self._connect(url, rest)
            return True
        return False

    def _update_existing(
        self, spec: api.PullRequestSpec, title: str, reviewer_ids: list[int], assignee_ids: list[int]
    ) -> dict[str, Any]:
        mr = self._find(spec.head_branch, spec.base_branch)
        if mr is None:
            raise failures.vanished_duplicate("GitLab", "merge request", spec.head_branch)
        attrs = mr.attributes
        if attrs.get("draft") and not spec.draft:
            title = _with_draft(spec.title, True)  # never un-draft what a person drafted
        data: dict[str, Any] = {"title": title, "description": spec.body}
        if spec.labels:
            data["add_labels"] = ",".join(spec.labels)  # add, keep what people put there
        have_assignees = [u["id"] for u in attrs.get("assignees") or []]
        have_reviewers = [u["id"] for u in attrs.get("reviewers") or []]
        if set(assignee_ids) - set(have_assignees):
            data["assignee_ids"] = have_assignees + [i for i in assignee_ids if i not in have_assignees]
        if set(reviewer_ids) - set(have_reviewers):
            data["reviewer_ids"] = have_reviewers + [i for i in reviewer_ids if i not in have_reviewers]
        with self._errors(f"updating merge request !{attrs['iid']}"):
            updated: dict[str, Any] = self._project.mergerequests.update(attrs["iid"], data, **self._rq)
        return updated

    def _ids(self, usernames: tuple[str, ...], role: str, warnings: list[str]) -> list[int]:
        """Usernames to ids (one lookup each, cached); an unknown user is a warning, not a stop."""
        ids: list[int] = []
        for name in usernames:
            name = name.lstrip("@")
            if name not in self._user_ids:
                with self._errors(f"looking up {role} {name!r}"):
                    users = self._gl.users.list(username=name, get_all=False, **self._rq)
                    self._user_ids[name] = int(users[0].id) if users else None
            uid = self._user_ids[name]
            if uid is None:
                warnings.append(f"GitLab has no user {name!r}; not added as {role}")
                log.debug("%s", warnings[-1])
            elif uid not in ids:
                ids.append(uid)
        return ids

    def _automerge(self, iid: int, warnings: list[str]) -> None:
        """Merge when the pipeline succeeds. Right after creation GitLab may still be checking
        mergeability, or the MR is a draft: that is reported as a warning, the MR stands."""
        mr = self._project.mergerequests.get(iid, lazy=True)
        note = " (auto-merge not enabled: not mergeable yet?)"
        with failures.warn_instead(warnings, note, fatal=failures.AUTH_OR_RATE):
            with self._errors(f"enabling auto-merge on merge request !{iid}"):
                # GitLab 17.11 renamed this auto_merge; the old name is still read (API v4).
                mr.merge(merge_when_pipeline_succeeds=True, **self._rq)


_HINTS = {"auth": "; check that the token is valid and has the api scope"}


def _checked(api_root: str, answer: requests.Response, cap: float) -> None:
    """An answer that is not the API's (failures.py), or about MRs and not one (answers.py),
    raises; a 429's wait is bounded by `cap` (python-gitlab sleeps as long as it says)."""
    if answer.status_code == 429:
        rest.bound_rate_limit_wait(answer.headers, cap)
    failures.refuse_non_api_answer(api_root, answer.url, answer.status_code, answer.headers)
    method, path = answer.request.method or "", urlsplit(answer.url).path
    answers.check(PULLS, method, path, answer.status_code, lambda: answers.decoded(answer.content))


def _describe(exc: GitlabError) -> failures.Failure:
    code = exc.response_code
    message = exc.error_message
    if isinstance(message, list):
        message = "; ".join(map(str, message))
    message = str(message)
    if message.lstrip().startswith("<"):  # a proxy's HTML error page (a 502), not GitLab's reason
        message = "an HTML error page, not GitLab's JSON"
    if code and not message.startswith(str(code)):
        message = f"{code} {message}"  # GitLab's own messages mostly start with it
    if code == 429 or (code or 0) >= 500:
        message += f" (after {RETRIES} retries)"
    return failures.Failure(failures.kind_for_status(code), message)


def _action(change: api.FileChange, last_commit: str | None) -> dict[str, Any]:
    """One action of the commits API; `last_commit_id` (the branch's tip as bumper read it)
    has GitLab refuse when the file changed on the branch since."""
    if change.content is None:
        action: dict[str, Any] = {"action": "delete", "file_path": change.path}
    else:
        action = {
            "action": "update",
            "file_path": change.path,
            "content": base64.b64encode(change.content).decode("ascii"),
            "encoding": "base64",
        }
    if last_commit is not None:
        action["last_commit_id"] = last_commit
    return action


def _whole_labels(labels: tuple[str, ...], warnings: list[str]) -> list[str]:
    """The labels GitLab keeps whole; one with a comma (a .bumper.yaml rule's: a --label is
    refused before the run, builtin.gitlab_label_problem) would become several: not sent, and
    said as a warning."""
    kept = [label for label in labels if gitlab_label_problem(label) is None]
    for label in labels:
        why = gitlab_label_problem(label)
        if why is not None:
            warnings.append(f"label {label!r} not added: {why}")
    return kept


def _with_draft(title: str, draft: bool) -> str:
    if not draft or _DRAFT.match(title):
        return title
    return DRAFT_PREFIX + title


def _convert(attrs: dict[str, Any], warnings: tuple[str, ...] = ()) -> api.PullRequest:
    title = str(attrs.get("title") or "")
    draft = bool(attrs.get("draft") or attrs.get("work_in_progress") or _DRAFT.match(title))
    return api.PullRequest(
        number=int(attrs["iid"]),
        url=str(attrs.get("web_url") or ""),
        title=_DRAFT.sub("", title, count=1) if draft else title,
        body=str(attrs.get("description") or ""),
        head_branch=str(attrs.get("source_branch") or ""),
        base_branch=str(attrs.get("target_branch") or ""),
        draft=draft,
        warnings=warnings,
        open=attrs.get("state") in (None, "opened"),
    )


_STYLE = failures.FailureStyle("GitLab", "project", GitlabError, _describe, _HINTS, RETRIES)
