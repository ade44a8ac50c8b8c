"""Bitbucket Cloud provider (API 2.0) over `requests`: Atlassian publishes no Python client, and
the community's (atlassian-python-api) pulls in a dozen packages for the six calls bumper makes."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from bumper.errors import ConfigError
from bumper.providers import answers, api, failures, host_rules, rest

_ID = re.compile(r"^\{[0-9a-fA-F-]{36}\}$|^[0-9a-fA-F]{24}$|^\d+:[0-9a-fA-F-]{20,}$")  # uuid, account id
_CLOSED = ("MERGED", "DECLINED", "SUPERSEDED")
PAGES = 5  # comments read before giving up on finding bumper's own (pagelen 100 each)
PULL_PAGES = 20  # pages of a branch's PRs read, 50 each (Bitbucket's largest pagelen for PRs)
MEMBER_PAGES = 20  # workspace members read to find reviewers by nickname (2,000 members)


# What its PR JSON holds; every answer about PRs is checked against it (answers.py).
PULLS = answers.PullShape(
    r"/repositories/[^/]+/[^/]+/pullrequests",
    "id",
    "state",
    "source.branch.name",
    "destination.branch.name",
    "links.html.href",
    page="values",
    head_repo="source.repository.full_name",
    base_repo="destination.repository.full_name",
)


class BitbucketProvider:
    """Opens and updates pull requests on Bitbucket Cloud.

    Bitbucket Cloud has no labels, assignees or auto-merge: each asked for is one warning on the
    result. Cost: find 1; open 1 (+1 per 100 workspace members to look up a reviewer named by
    nickname); update 2 (a PUT drops what it does not name, so reviewers and draft are read
    first and sent back).
    """

    name = "bitbucket"
    # Bitbucket's title column holds 255; descriptions were seen accepted above 1 MB, but the
    # page becomes unusable: Dependabot stops at 262,144 (dependabot-core#7678).
    text_limits = api.TextLimits(title=255, body=262_144)

    def __init__(self, settings: api.ProviderSettings) -> None:
        where = settings.location or host_rules.bitbucket_location(settings.repo_url, settings.api_url, {})
        if not settings.token:
            raise ConfigError(
                "no Bitbucket token: set BUMPER_TOKEN or BITBUCKET_TOKEN (an access token), or "
                "BITBUCKET_USERNAME and BITBUCKET_APP_PASSWORD"
            )
        auth = host_rules.bitbucket_api_auth(settings.token, settings.env)
        self.workspace, self.slug = where.path.split("/")
        self._repo = f"/repositories/{quote(self.workspace, safe='')}/{quote(self.slug, safe='')}"
        self._rest = rest.RestClient(where.url, auth, settings, _reason, pulls=PULLS)
        self._errors = failures.ApiFailures(_STYLE, where.path, where.url, settings).translating
        self._members: dict[str, str] | None = None

    # -- Provider protocol ----------------------------------------------------------------------

    def find_pull_request(self, head_branch: str, base_branch: str) -> api.PullRequest | None:
        """The open PR from `head_branch` into `base_branch`, else one from it into another base
        (a person retargeted it), or None (one GET; one more when the list leaves the
        description out, so that a rerun compares the whole text)."""
        with self._errors(f"looking for the pull request from {head_branch!r}"):
            found = answers.from_head(
                PULLS, self._list(head_branch, None, ("OPEN",)), head_branch, base_branch
            )
            found = answers.ranked(PULLS, found, base_branch)
            if found and "description" not in found[0]:  # a partial answer: read the whole PR
                found[0] = self._rest.request("GET", f"{self._repo}/pullrequests/{found[0]['id']}")
        return replace(_convert(found[0]), also=answers.others(PULLS, found)) if found else None

    def open_pull_request(self, spec: api.PullRequestSpec) -> api.PullRequest:
        """Create the PR with reviewers and draft in one call; what Bitbucket lacks is a warning.

        A create refused because the branch has an open PR already (a retried create, a race)
        becomes an update of that PR that adds the reviewers.
        """
        warnings = _lacks(spec)
        reviewers = self._reviewers(spec.reviewers, warnings)
        data: dict[str, Any] = {
            "title": spec.title,
            "description": spec.body,
            "source": {"branch": {"name": spec.head_branch}},
            "destination": {"branch": {"name": spec.base_branch}},
            "close_source_branch": True,
        }
        if reviewers:
            data["reviewers"] = reviewers
        if spec.draft:
            data["draft"] = True
        existing: list[dict[str, Any]] = []
        with self._errors(f"opening a pull request from {spec.head_branch!r}"):
            try:
                created = self._rest.request("POST", f"{self._repo}/pullrequests", body=data)
            except rest.HttpError as exc:
                if exc.status not in (400, 409):
                    raise
                existing = self._list(spec.head_branch, spec.base_branch, ("OPEN",))
                if not existing and not reviewers:
                    raise
                if not existing:  # e.g. the token's own account named as reviewer: open without
                    warnings.append(f"Bitbucket refused the reviewers ({exc.reason}); not added")
                    del data["reviewers"]
                    reviewers = []
                    created = self._rest.request("POST", f"{self._repo}/pullrequests", body=data)
        if existing:
            created = self._put(int(existing[0]["id"]), spec.title, spec.body, reviewers)
        return _convert(created, tuple(warnings))

    def update_pull_request(self, pr: api.PullRequest, title: str, body: str) -> api.PullRequest:
        """Set title and description; reviewers and draft are sent back as they are."""
        return _convert(self._put(pr.number, title, body, []))

    def closed_head_shas(self, head_branch: str, base_branch: str) -> list[str]:
        """The (12-digit) source commits of the merged, declined and superseded PRs from
        `head_branch` into any base: every page of them (one GET per 50, at most PULL_PAGES),
        as the API gives them in no documented order."""
        with self._errors(f"looking for closed pull requests from {head_branch!r}"):
            found = self._list(head_branch, None, _CLOSED)
        return [str(((pr.get("source") or {}).get("commit") or {}).get("hash") or "") for pr in found]

    def pull_request_state(self, number: int) -> api.PullRequestState:
        """One GET of the PR: OPEN, MERGED (with `merge_commit.hash`), DECLINED or SUPERSEDED."""
        with self._errors(f"reading pull request #{number}"):
            pr: Any = self._rest.request("GET", f"{self._repo}/pullrequests/{number}")
        state = str((pr or {}).get("state") or "")
        base = str((((pr or {}).get("destination") or {}).get("branch") or {}).get("name") or "")
        if state == "MERGED":
            sha = ((pr or {}).get("merge_commit") or {}).get("hash")
            return api.PullRequestState("merged", str(sha) if sha else None, base)
        return api.PullRequestState("closed" if state in _CLOSED else "open", None, base)

    def comment_once(self, pr: api.PullRequest, key: str, text: str) -> bool:
        """GET the PR's comments (up to PAGES pages), POST one unless a comment holds `key`."""
        path = f"{self._repo}/pullrequests/{pr.number}/comments"
        with self._errors(f"commenting on pull request #{pr.number}"):
            page: Any = self._rest.request("GET", path, params={"pagelen": "100"})
            for _ in range(PAGES):
                if any(
                    key in str((c.get("content") or {}).get("raw") or "") for c in page.get("values") or []
                ):
                    return False
                if not page.get("next"):
                    break
                page = self._rest.request("GET", str(page["next"]))
            self._rest.request("POST", path, body={"content": {"raw": text}})
        return True

    def put_comment(self, pr: api.PullRequest, key: str, text: str, keep: api.KeepNote | None = None) -> bool:
        """GET the PR's comments (up to PAGES pages), then one PUT of bumper's note when it says
        something else, or one POST when there is none (api.KeepsOneComment)."""
        path = f"{self._repo}/pullrequests/{pr.number}/comments"
        with self._errors(f"commenting on pull request #{pr.number}"):
            page: Any = self._rest.request("GET", path, params={"pagelen": "100"})
            notes: list[dict[str, Any]] = []
            for _ in range(PAGES):
                for c in page.get("values") or []:
                    if not c.get("deleted") and api.is_note(_raw(c), key):
                        notes.append(c)
                if not page.get("next"):
                    break
                page = self._rest.request("GET", str(page["next"]))
            body = {"content": {"raw": text}}
            return api.put_note(
                _raw(notes[-1]) if notes else None,
                text,
                keep,
                edit=lambda: self._rest.request("PUT", f"{path}/{int(notes[-1]['id'])}", body=body),
                add=lambda: self._rest.request("POST", path, body=body),
                refused=rest.status_of,
            )

    # -- helpers --------------------------------------------------------------------------------

    def _list(self, head: str, base: str | None, states: tuple[str, ...]) -> list[dict[str, Any]]:
        """The PRs in `states` from this repository's `head` into `base` (None: any), the `q`
        filter asking for exactly that branch, every `next` page followed (at most PULL_PAGES)."""
        query = f"source.branch.name = {_quoted(head)}"
        if base is not None:
            query += f" AND destination.branch.name = {_quoted(base)}"
        params = [("q", query), ("pagelen", "50"), *(("state", s) for s in states)]
        data = self._rest.request("GET", f"{self._repo}/pullrequests", params=params)
        found = answers.items(PULLS, data)
        for _ in range(PULL_PAGES - 1):
            link = data.get("next") if isinstance(data, dict) else None
            if not link:
                break
            data = self._rest.request("GET", str(link))
            found += answers.items(PULLS, data)
        if base is None:
            return answers.from_head(PULLS, found, head, "")
        return answers.from_branches(PULLS, found, head, base)

    def _put(self, number: int, title: str, body: str, add: list[dict[str, str]]) -> dict[str, Any]:
        """GET the PR, PUT title and description with its reviewers (plus `add`) and draft kept."""
        path = f"{self._repo}/pullrequests/{number}"
        with self._errors(f"updating pull request #{number}"):
            current = self._rest.request("GET", path) or {}
            have = [_ident(r) for r in current.get("reviewers") or [] if _ident(r)]
            wanted = have + [r for r in add if r not in have]
            data: dict[str, Any] = {"title": title, "description": body, "reviewers": wanted}
            if current.get("draft"):
                data["draft"] = True
            updated: dict[str, Any] = self._rest.request("PUT", path, body=data)
        return updated

    def _reviewers(self, names: tuple[str, ...], warnings: list[str]) -> list[dict[str, str]]:
        """Reviewers as Bitbucket wants them: a `{uuid}` or account id as given, a nickname
        looked up among the workspace's members (one GET); an unknown one is a warning."""
        found: list[dict[str, str]] = []
        for name in (n.lstrip("@") for n in names):
            if _ID.match(name):
                ident = {"uuid": name} if name.startswith("{") else {"account_id": name}
            else:
                uuid = self._member_uuids().get(name.lower())
                if uuid is None:
                    warnings.append(
                        f"Bitbucket workspace {self.workspace} has no member {name!r}; not added as reviewer"
                    )
                    continue
                ident = {"uuid": uuid}
            if ident not in found:
                found.append(ident)
        return found

    def _member_uuids(self) -> dict[str, str]:
        if self._members is None:
            members: dict[str, str] = {}
            with self._errors(f"listing the members of workspace {self.workspace!r}"):
                data = self._rest.request(
                    "GET", f"/workspaces/{quote(self.workspace, safe='')}/members", params={"pagelen": "100"}
                )
                for _ in range(MEMBER_PAGES):  # a workspace of more than 100: its `next` pages
                    for row in (data or {}).get("values") or []:
                        user = row.get("user") or {}
                        for label in (user.get("nickname"), user.get("display_name")):
                            if label and user.get("uuid"):
                                members.setdefault(str(label).lower(), str(user["uuid"]))
                    if not (data or {}).get("next"):
                        break
                    data = self._rest.request("GET", str(data["next"]))
            self._members = members
        return self._members


def _lacks(spec: api.PullRequestSpec) -> list[str]:
    """One warning for each thing asked that Bitbucket Cloud has no API for."""
    warnings = []
    if spec.labels:
        warnings.append(f"Bitbucket Cloud has no pull request labels; not added: {', '.join(spec.labels)}")
    if spec.assignees:
        warnings.append(
            f"Bitbucket Cloud has no pull request assignees; not assigned: {', '.join(spec.assignees)}"
        )
    if spec.automerge:
        warnings.append("Bitbucket Cloud has no auto-merge through its API; --automerge not applied")
    return warnings


def _ident(reviewer: Any) -> dict[str, str] | None:
    if isinstance(reviewer, dict) and reviewer.get("uuid"):
        return {"uuid": str(reviewer["uuid"])}
    if isinstance(reviewer, dict) and reviewer.get("account_id"):
        return {"account_id": str(reviewer["account_id"])}
    return None


def _quoted(value: str) -> str:
    """A BBQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reason(data: Any) -> str | None:
    """Bitbucket's `{"type": "error", "error": {"message", "detail"}}`."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict) or not error.get("message"):
        return None
    detail = error.get("detail")
    return f"{error['message']}: {detail}" if isinstance(detail, str) and detail else str(error["message"])


def _convert(data: dict[str, Any], warnings: tuple[str, ...] = ()) -> api.PullRequest:
    links = data.get("links") or {}
    return api.PullRequest(
        number=int(data["id"]),
        url=str((links.get("html") or {}).get("href") or ""),
        title=str(data.get("title") or ""),
        body=str(data.get("description") or ((data.get("summary") or {}).get("raw")) or ""),
        head_branch=str(((data.get("source") or {}).get("branch") or {}).get("name") or ""),
        base_branch=str(((data.get("destination") or {}).get("branch") or {}).get("name") or ""),
        draft=bool(data.get("draft")),
        warnings=warnings,
        open=data.get("state") in (None, "OPEN"),
    )


_HINTS = {
    "auth": "; check the token (an access token with pull request write scope, or "
    "BITBUCKET_USERNAME with an app password)"
}
_STYLE = failures.FailureStyle("Bitbucket", "repository", rest.HttpError, rest.describe, _HINTS, rest.RETRIES)


def _raw(comment: dict[str, Any]) -> str:
    """A comment's Markdown source."""
    return str((comment.get("content") or {}).get("raw") or "")
