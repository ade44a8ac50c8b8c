"""Gitea and Forgejo provider (API v1: codeberg.org, self-hosted), over the shared REST client (rest.py).

There is no well-kept Python SDK for Gitea (py-gitea and giteapy are unmaintained and lag the
API), so this module speaks the API as its published swagger describes it
(tests/schemas/gitea/v1_json.tmpl; the fake host checks every request against it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from bumper.errors import ConfigError, ProviderError
from bumper.providers import answers, api, failures, rest
from bumper.providers.builtin import gitea_location

PAGE = 50  # Gitea's default MAX_RESPONSE_ITEMS: a larger `limit` is cut to it
CLOSED_PAGES = 20  # closed PRs read most recently updated first, at most this many pages (1,000 PRs)
# Open PRs and labels: at most this many pages (1,000 items), so a server or proxy that ignores
# `page` and answers the same full page forever cannot keep bumper looping.
MAX_PAGES = 20
DRAFT_PREFIX = "WIP: "
# Gitea's default WORK_IN_PROGRESS_PREFIXES (app.ini [repository.pull-request]), case-insensitive.
_DRAFT = re.compile(r"^\s*(wip:|\[wip\])\s*", re.IGNORECASE)
LABEL_COLOR = "#ededed"  # a label bumper has to create: Gitea requires a colour


# What its PR JSON holds; every answer about PRs is checked against it (answers.py).
PULLS = answers.PullShape(r"/repos/[^/]+/[^/]+/pulls", "number", "state", "head.ref", "base.ref", "html_url")


class GiteaProvider:
    """Opens and updates pull requests on Gitea or Forgejo.

    Cost: find 1 request (a page of 50 open PRs; more pages only with more open PRs, at most
    MAX_PAGES); open
    1 (labels, looked up by name, each missing one created: +1) + 1 create (labels, assignees,
    draft title) + 1 reviewers + 1 auto-merge; update 1; comment 1 + 1.
    """

    name = "gitea"
    # Gitea stores titles in 255 characters; a draft keeps room for the "WIP: " prefix.
    text_limits = api.TextLimits(title=255 - len(DRAFT_PREFIX), body=None)

    def __init__(self, settings: api.ProviderSettings) -> None:
        where = settings.location or gitea_location(settings.repo_url, settings.api_url, {})
        if where.path.count("/") != 1:
            raise ConfigError(f"Gitea repository must be OWNER/REPO, got {where.path!r}")
        if not settings.token:
            raise ConfigError("no Gitea token: set BUMPER_TOKEN or GITEA_TOKEN")
        self.api_url, self.full_name = where.url, where.path
        self._repo = f"{where.url}/repos/{quote(where.path, safe='/')}"
        self._settings = settings
        self._errors = failures.ApiFailures(_STYLE, where.path, where.url, settings).translating
        self._rest = rest.RestClient(where.url, f"token {settings.token}", settings, _reason, pulls=PULLS)
        self._labels: dict[str, int] | None = None  # the repository's labels by name, read once

    # -- Provider protocol ----------------------------------------------------------------------

    def find_pull_request(self, head_branch: str, base_branch: str) -> api.PullRequest | None:
        """The open PR from this repository's `head_branch` into `base_branch`, else one from it
        into another base (a person retargeted it), or None; the others are named in `also`
        (Gitea cannot filter by branch: every page of open PRs, one request per 50)."""
        with self._errors(f"looking for the pull request from {head_branch!r}"):
            mine = list(self._pulls("open", head_branch, None, pages=MAX_PAGES))
        found = answers.ranked(PULLS, answers.from_head(PULLS, mine, head_branch, base_branch), base_branch)
        return replace(_convert(found[0]), also=answers.others(PULLS, found)) if found else None

    def open_pull_request(self, spec: api.PullRequestSpec) -> api.PullRequest:
        """Create the PR with labels, assignees and draft title in one call, then reviewers
        and auto-merge. A 409 (the PR exists: our own create retried after a lost answer, or a
        race) turns into find + update that also adds the extras."""
        warnings: list[str] = []
        label_ids = self._label_ids(spec.labels, warnings)
        data: dict[str, Any] = {
            "head": spec.head_branch,
            "base": spec.base_branch,
            "title": _with_draft(spec.title, spec.draft),
            "body": spec.body,
        }
        if label_ids:
            data["labels"] = label_ids
        if spec.assignees:
            data["assignees"] = [a.lstrip("@") for a in spec.assignees]
        created = self._create(data, spec, warnings)
        if created is None:
            created = self._update_existing(spec, label_ids, warnings)
        number = int(created["number"])
        if spec.reviewers:
            self._request_reviews(number, spec.reviewers, created, warnings)
        if spec.automerge:
            self._automerge(number, warnings)
        return _convert(created, tuple(warnings))

    def update_pull_request(self, pr: api.PullRequest, title: str, body: str) -> api.PullRequest:
        """Set title and body with one PATCH; a draft keeps its "WIP: " prefix."""
        data = {"title": _with_draft(title, pr.draft), "body": body}
        with self._errors(f"updating pull request #{pr.number}"):
            return _convert(self._call("PATCH", f"/pulls/{pr.number}", data))

    def closed_head_shas(self, head_branch: str, base_branch: str) -> list[str]:
        """Head commits of closed and merged PRs from `head_branch` into any base, most recently
        updated first (one request per 50 closed PRs, at most CLOSED_PAGES)."""
        with self._errors(f"looking for closed pull requests from {head_branch!r}"):
            pulls = self._pulls("closed", head_branch, None, pages=CLOSED_PAGES)
            return [str((pr.get("head") or {}).get("sha") or "") for pr in pulls]

    def pull_request_state(self, number: int) -> api.PullRequestState:
        """One GET of the PR: open, merged (`merged`, with `merge_commit_sha`) or closed unmerged."""
        with self._errors(f"reading pull request #{number}"):
            pr = self._call("GET", f"/pulls/{number}") or {}
        base = str((pr.get("base") or {}).get("ref") or "")
        if pr.get("merged"):
            sha = pr.get("merge_commit_sha")
            return api.PullRequestState("merged", str(sha) if sha else None, base)
        return api.PullRequestState("open" if pr.get("state") == "open" else "closed", None, base)

    def comment_once(self, pr: api.PullRequest, key: str, text: str) -> bool:
        """One GET of the PR's comments, and one POST when none holds `key`."""
        with self._errors(f"commenting on pull request #{pr.number}"):
            comments = self._call("GET", f"/issues/{pr.number}/comments")
            if any(key in str(c.get("body") or "") for c in comments or []):
                return False
            self._call("POST", f"/issues/{pr.number}/comments", {"body": text})
        return True

    def put_comment(self, pr: api.PullRequest, key: str, text: str, keep: api.KeepNote | None = None) -> bool:
        """One GET of the PR's comments, then one PATCH of bumper's note when it says something
        else, or one POST when there is none (api.KeepsOneComment)."""
        with self._errors(f"commenting on pull request #{pr.number}"):
            comments = self._call("GET", f"/issues/{pr.number}/comments")
            notes = [c for c in comments or [] if api.is_note(str(c.get("body") or ""), key)]
            return api.put_note(
                str(notes[-1].get("body") or "") if notes else None,
                text,
                keep,
                edit=lambda: self._call("PATCH", f"/issues/comments/{int(notes[-1]['id'])}", {"body": text}),
                add=lambda: self._call("POST", f"/issues/{pr.number}/comments", {"body": text}),
                refused=rest.status_of,
            )

    # -- ChecksAccess ---------------------------------------------------------------------------

    def check_access(self) -> None:
        """One GET of the repository: its `permissions` (the token user's on it) must allow a
        push. An answer without them (an older instance) passes. The token's scopes are not in
        any answer: a token without write:repository is found out by the push itself."""
        with self._errors("checking what the token may do"):
            data = self._call("GET", "")
        permissions = data.get("permissions") if isinstance(data, dict) else None
        if isinstance(permissions, dict) and not (permissions.get("push") or permissions.get("admin")):
            raise ProviderError(
                f"Gitea API ({self.full_name}): the token's user may read the repository but not "
                "push to it, so it can neither push a branch nor open a pull request; use a token "
                "of a user with write access (a collaborator with Write, or a team with it)",
                kind="auth",
            )

    # -- helpers --------------------------------------------------------------------------------

    def _call(self, method: str, path: str, data: Any = None, params: dict[str, Any] | None = None) -> Any:
        """One request below the repository; rest.HttpError for an answer outside 2xx."""
        return self._rest.request(method, self._repo + path, params=params, body=data)

    def _pulls(self, state: str, head: str, base: str | None, pages: int) -> Iterator[dict[str, Any]]:
        """PRs in `state` from this repository's `head` into `base` (None: any), page by page."""
        params = {"state": state, "sort": "recentupdate"}
        for batch in self._pages("/pulls", params, pages):
            yield from (pr for pr in batch if _is_from(pr, self.full_name, head, base))

    def _pages(self, path: str, params: dict[str, Any], pages: int) -> Iterator[list[dict[str, Any]]]:
        """The items of a list below the repository, page by page (at most `pages`), until the
        answers' `X-Total-Count` are read: an instance whose MAX_RESPONSE_ITEMS is below 50
        answers shorter pages that are not the last (without the header, a short page is)."""
        seen = 0
        for page in range(1, pages + 1):
            query = {**params, "limit": PAGE, "page": page}
            data, headers = self._rest.exchange("GET", self._repo + path, params=query)
            batch: list[dict[str, Any]] = data or []
            yield batch
            seen += len(batch)
            total = _count(headers.get("X-Total-Count"))
            if not batch or (seen >= total if total is not None else len(batch) < PAGE):
                return

    def _create(self, data: dict[str, Any], spec: api.PullRequestSpec, warnings: list[str]) -> Any:
        """POST the PR; None when Gitea says it exists. An assignee Gitea does not know fails
        the whole create (422): create again without assignees and say so."""
        with self._errors(f"opening a pull request from {spec.head_branch!r}"):
            try:
                return self._call("POST", "/pulls", data)
            except rest.HttpError as exc:
                if exc.status == 409:
                    return None
                if not (exc.status == 422 and "assignees" in data):
                    raise
                warnings.append(f"Gitea refused assignees {', '.join(spec.assignees)}: {exc}")
                return self._call("POST", "/pulls", {k: v for k, v in data.items() if k != "assignees"})

    def _update_existing(self, spec: api.PullRequestSpec, label_ids: list[int], warnings: list[str]) -> Any:
        found = None
        with self._errors(f"looking for the pull request from {spec.head_branch!r}"):
            found = next(self._pulls("open", spec.head_branch, spec.base_branch, pages=MAX_PAGES), None)
        if found is None:
            raise failures.vanished_duplicate("Gitea", "pull request", spec.head_branch)
        number = int(found["number"])
        draft = _convert(found).draft or spec.draft  # never un-draft what a person drafted
        data: dict[str, Any] = {"title": _with_draft(spec.title, draft), "body": spec.body}
        have = [str(u.get("login")) for u in found.get("assignees") or []]
        wanted = [a.lstrip("@") for a in spec.assignees if a.lstrip("@") not in have]
        if wanted:
            data["assignees"] = have + wanted  # Gitea replaces the list: keep who is there
        with self._errors(f"updating pull request #{number}"):
            updated = self._call("PATCH", f"/pulls/{number}", data)
        if label_ids:  # add, keep what people put there
            doing = f"adding labels on pull request #{number}"
            self._attempt(warnings, doing, "POST", f"/issues/{number}/labels", {"labels": label_ids})
        return updated

    def _attempt(self, warnings: list[str], doing: str, method: str, path: str, data: Any) -> None:
        """A call after the PR exists: a refusal is a warning on the result, not an error."""
        with failures.warn_instead(warnings), self._errors(doing):
            self._call(method, path, data)

    def _label_ids(self, names: tuple[str, ...], warnings: list[str]) -> list[int]:
        """Label names to ids (Gitea's labels are ids): the repository's labels are read once,
        a missing one is created; one it cannot create is a warning."""
        if not names:
            return []
        if self._labels is None:
            self._labels = {}
            with self._errors("reading the repository's labels"):
                for batch in self._pages("/labels", {}, MAX_PAGES):
                    self._labels.update({str(x["name"]): int(x["id"]) for x in batch})
        ids: list[int] = []
        for name in names:
            if name not in self._labels:
                self._create_label(name, warnings)
            if name in self._labels and self._labels[name] not in ids:
                ids.append(self._labels[name])
        return ids

    def _create_label(self, name: str, warnings: list[str]) -> None:
        assert self._labels is not None
        with failures.warn_instead(warnings, f" (label {name!r} not added)", fatal=("rate-limited",)):
            with self._errors(f"creating label {name!r}"):
                label = self._call("POST", "/labels", {"name": name, "color": LABEL_COLOR})
                self._labels[name] = int(label["id"])

    def _request_reviews(self, number: int, reviewers: tuple[str, ...], pr: Any, warnings: list[str]) -> None:
        users = [r.lstrip("@") for r in reviewers if "/" not in r]
        teams = [r.split("/", 1)[1] for r in reviewers if "/" in r]  # "org/team"
        have = {str(u.get("login")) for u in pr.get("requested_reviewers") or []}
        users = [u for u in users if u not in have]
        if not users and not teams:
            return
        data = {"reviewers": users, "team_reviewers": teams}
        doing = f"requesting reviews from {', '.join(reviewers)} on pull request #{number}"
        self._attempt(warnings, doing, "POST", f"/pulls/{number}/requested_reviewers", data)

    def _automerge(self, number: int, warnings: list[str]) -> None:
        """Merge when the checks succeed (Gitea 1.17+, Forgejo). 409: already scheduled."""
        data = {"Do": "merge", "merge_when_checks_succeed": True}
        with failures.warn_instead(warnings, " (auto-merge not enabled)", fatal=("rate-limited",)):
            try:
                with self._errors(f"enabling auto-merge on pull request #{number}"):
                    self._call("POST", f"/pulls/{number}/merge", data)
            except ProviderError as exc:
                if not (exc.kind == "conflict" and "409" in str(exc)):  # 409: already scheduled
                    raise


def _reason(data: Any) -> str | None:
    """Gitea's reason in an error answer: its message and the errors it lists."""
    if not isinstance(data, dict):
        return None
    parts = [str(data.get("message") or "")]
    errors = data.get("errors")
    if isinstance(errors, list):
        parts += [str(e) for e in errors if e]
    return ": ".join(p for p in parts if p) or None


def _count(value: str | None) -> int | None:
    """A header's count of items, None when absent or not a number."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _is_from(pr: dict[str, Any], full_name: str, head: str, base: str | None) -> bool:
    """Whether `pr` goes from this repository's `head` into `base` (None: any branch; a fork's
    same-named branch is someone else's)."""
    head_info, base_info = pr.get("head") or {}, pr.get("base") or {}
    if head_info.get("ref") != head or base not in (None, base_info.get("ref")):
        return False
    repo = head_info.get("repo") or {}
    name = repo.get("full_name") if isinstance(repo, dict) else None
    same_id = head_info.get("repo_id") is not None and head_info.get("repo_id") == base_info.get("repo_id")
    return same_id or (isinstance(name, str) and name.lower() == full_name.lower())


def _with_draft(title: str, draft: bool) -> str:
    if not draft or _DRAFT.match(title):
        return title
    return DRAFT_PREFIX + title


def _convert(pr: dict[str, Any], warnings: tuple[str, ...] = ()) -> api.PullRequest:
    title = str(pr.get("title") or "")
    draft = bool(pr.get("draft")) or bool(_DRAFT.match(title))
    return api.PullRequest(
        number=int(pr["number"]),
        url=str(pr.get("html_url") or ""),
        title=_DRAFT.sub("", title, count=1) if draft else title,
        body=str(pr.get("body") or ""),
        head_branch=str((pr.get("head") or {}).get("ref") or ""),
        base_branch=str((pr.get("base") or {}).get("ref") or ""),
        draft=draft,
        warnings=warnings,
        open=pr.get("state") in (None, "open") and not pr.get("merged"),
    )


_HINTS = {"auth": "; check that the token is valid and has the write:repository and write:issue scopes"}
_STYLE = failures.FailureStyle("Gitea", "repository", rest.HttpError, rest.describe, _HINTS, rest.RETRIES)
