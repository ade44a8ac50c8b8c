"""Bitbucket Data Center provider (REST 1.0) over `requests`: no maintained Python client is
light enough (atlassian-python-api pulls in a dozen packages for the few calls bumper makes)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from bumper.errors import ConfigError
from bumper.providers import answers, api, failures, host_rules, rest

_DUPLICATE = "DuplicatePullRequestException"
_BAD_REVIEWERS = "InvalidPullRequestReviewersException"
_OUT_OF_DATE = "PullRequestOutOfDateException"
PAGES = 5  # activity pages read before giving up on finding bumper's own comment
# The bot branch's PRs in every state: pages of 50, at most 20 (1,000 PRs), so a host or proxy
# that ignores `start` cannot keep bumper reading.
CLOSED_PAGES = 20


# What its PR JSON holds; every answer about PRs is checked against it (answers.py).
PULLS = answers.PullShape(
    r"/projects/[^/]+/repos/[^/]+/pull-requests",
    "id",
    "state",
    "fromRef.displayId",
    "toRef.displayId",
    "links.self.0.href",
    page="values",
)


class BitbucketServerProvider:
    """Opens and updates pull requests on Bitbucket Data Center (and Server).

    No labels or assignees there: each asked for is one warning. Drafts need 8.18 and
    auto-merge 8.15; an older instance's refusal is a warning. Cost: find 1; open 1 (+1 per
    refused reviewer set, +1 auto-merge); update 2 (the PUT needs the PR's version and
    would drop the reviewers it does not name).
    """

    name = "bitbucket-server"
    # BSERV-14135: descriptions above 32,768 characters are refused; titles are 255 (Java
    # characters: UTF-16 code units, an emoji is two).
    text_limits = api.TextLimits(title=255, body=32_768, utf16=True)

    def __init__(self, settings: api.ProviderSettings) -> None:
        where = settings.location or host_rules.bitbucket_server_location(
            settings.repo_url, settings.api_url, {}
        )
        if not settings.token:
            raise ConfigError(
                "no Bitbucket token: set BUMPER_TOKEN or BITBUCKET_TOKEN (an HTTP access token)"
            )
        project, self.slug = where.path.split("/")
        # Clone URLs show project keys in lower case (/scm/plat/app.git); keys are upper case,
        # except a personal project's ~user.
        self.project = project if project.startswith("~") else project.upper()
        auth = host_rules.bitbucket_server_auth(settings.token, settings.env)
        self._rest = rest.RestClient(where.url, auth, settings, _reason, pulls=PULLS)
        self._repo = f"/projects/{quote(self.project, safe='~')}/repos/{quote(self.slug, safe='')}"
        self._errors = failures.ApiFailures(_STYLE, where.path, where.url, settings).translating

    # -- Provider protocol ----------------------------------------------------------------------

    def find_pull_request(self, head_branch: str, base_branch: str) -> api.PullRequest | None:
        """The open PR from `head_branch` into `base_branch`, else one from it into another base
        (a person retargeted it), or None (one GET)."""
        with self._errors(f"looking for the pull request from {head_branch!r}"):
            found = self._list(head_branch, None, "OPEN")
        found.sort(
            key=lambda pr: ((pr.get("toRef") or {}).get("id") != f"refs/heads/{base_branch}", pr["id"])
        )
        return replace(_convert(found[0]), also=answers.others(PULLS, found)) if found else None

    def open_pull_request(self, spec: api.PullRequestSpec) -> api.PullRequest:
        """Create the PR with reviewers (and draft) in one call, then auto-merge.

        A 409 DuplicatePullRequestException (a retried create, a race) becomes an update of the
        PR it names; reviewers the instance refuses are dropped with a warning and the create
        is sent again without them.
        """
        warnings = _lacks(spec)
        reviewers = [{"user": {"name": name.lstrip("@")}} for name in dict.fromkeys(spec.reviewers)]
        created = self._create(spec, reviewers, warnings)
        if spec.draft and not created.get("draft"):
            warnings.append(
                "this Bitbucket Data Center has no draft pull requests (8.18 or later); opened as ready"
            )
        if spec.automerge:
            self._automerge(int(created["id"]), warnings)
        return _convert(created, tuple(warnings))

    def update_pull_request(self, pr: api.PullRequest, title: str, body: str) -> api.PullRequest:
        """Set title and description (GET for the version, PUT with the reviewers kept)."""
        return _convert(self._put(pr.number, title, body, []))

    def closed_head_shas(self, head_branch: str, base_branch: str) -> list[str]:
        """The source commits of the merged and declined PRs from `head_branch` into any base,
        newest first (one GET per 50 of the branch's PRs, at most CLOSED_PAGES)."""
        with self._errors(f"looking for closed pull requests from {head_branch!r}"):
            found = self._list(head_branch, None, "ALL", pages=CLOSED_PAGES)
        return [
            str((pr.get("fromRef") or {}).get("latestCommit") or "")
            for pr in found
            if pr.get("state") in ("MERGED", "DECLINED")
        ]

    def pull_request_state(self, number: int) -> api.PullRequestState:
        """One GET of the PR: OPEN, MERGED (with `properties.mergeCommit.id` where the instance
        gives it) or DECLINED."""
        with self._errors(f"reading pull request #{number}"):
            pr: Any = self._rest.request("GET", f"{self._repo}/pull-requests/{number}")
        state = str((pr or {}).get("state") or "")
        base = str(((pr or {}).get("toRef") or {}).get("displayId") or "").removeprefix("refs/heads/")
        if state == "MERGED":
            sha = (((pr or {}).get("properties") or {}).get("mergeCommit") or {}).get("id")
            return api.PullRequestState("merged", str(sha) if sha else None, base)
        return api.PullRequestState("closed" if state == "DECLINED" else "open", None, base)

    def comment_once(self, pr: api.PullRequest, key: str, text: str) -> bool:
        """GET the PR's activities (comments are among them), POST one unless a comment holds `key`."""
        path = f"{self._repo}/pull-requests/{pr.number}"
        with self._errors(f"commenting on pull request #{pr.number}"):
            start = 0
            for _ in range(PAGES):
                page = self._rest.request(
                    "GET", f"{path}/activities", params={"limit": "100", "start": str(start)}
                )
                for activity in (page or {}).get("values") or []:
                    if key in str((activity.get("comment") or {}).get("text") or ""):
                        return False
                if (page or {}).get("isLastPage", True):
                    break
                start = int(page.get("nextPageStart") or 0)
            self._rest.request("POST", f"{path}/comments", body={"text": text})
        return True

    def put_comment(self, pr: api.PullRequest, key: str, text: str, keep: api.KeepNote | None = None) -> bool:
        """GET the PR's activities (comments are among them; up to PAGES pages), then one PUT
        of bumper's note (with the version the host gave) when it says something else, or one
        POST when there is none (api.KeepsOneComment)."""
        path = f"{self._repo}/pull-requests/{pr.number}"
        with self._errors(f"commenting on pull request #{pr.number}"):
            notes: list[dict[str, Any]] = []
            start = 0
            for _ in range(PAGES):
                page = self._rest.request(
                    "GET", f"{path}/activities", params={"limit": "100", "start": str(start)}
                )
                for activity in (page or {}).get("values") or []:
                    comment = activity.get("comment") or {}
                    if activity.get("action") == "COMMENTED" and api.is_note(
                        str(comment.get("text") or ""), key
                    ):
                        notes.append(comment)
                if (page or {}).get("isLastPage", True):
                    break
                start = int(page.get("nextPageStart") or 0)
            # Activities come newest first: the first note found is the latest.
            latest = notes[0] if notes else {}
            return api.put_note(
                str(latest.get("text") or "") if notes else None,
                text,
                keep,
                edit=lambda: self._rest.request(
                    "PUT",
                    f"{path}/comments/{int(latest['id'])}",
                    body={"text": text, "version": int(latest.get("version") or 0)},
                ),
                add=lambda: self._rest.request("POST", f"{path}/comments", body={"text": text}),
                refused=rest.status_of,
            )

    # -- helpers --------------------------------------------------------------------------------

    def _ref(self, branch: str) -> dict[str, Any]:
        return {
            "id": f"refs/heads/{branch}",
            "repository": {"slug": self.slug, "project": {"key": self.project}},
        }

    def _list(self, head: str, base: str | None, state: str, pages: int = 1) -> list[dict[str, Any]]:
        """The PRs from this repository's `head` into its own `base` (None: any branch of it),
        newest first, from at most `pages` pages of 50 (the next one only while the host says
        there is one). OUTGOING lists those from the branch into any repository of its fork
        hierarchy: a PR someone opened from it into their fork's `base` is not bumper's, and
        its id names another PR here."""
        params = {"state": state, "direction": "OUTGOING", "at": f"refs/heads/{head}", "limit": "50"}
        found: list[dict[str, Any]] = []
        for _ in range(pages):
            data = self._rest.request("GET", f"{self._repo}/pull-requests", params=params) or {}
            found += [
                pr
                for pr in data.get("values") or []
                if (pr.get("fromRef") or {}).get("id") == f"refs/heads/{head}"
                and base in (None, str((pr.get("toRef") or {}).get("id") or "").removeprefix("refs/heads/"))
                and self._here(pr.get("fromRef"))
                and self._here(pr.get("toRef"))
            ]
            after = data.get("nextPageStart")
            if (
                data.get("isLastPage", True)
                or not isinstance(after, int)
                or str(after) == params.get("start")
            ):
                break
            params["start"] = str(after)
        return found

    def _here(self, ref: Any) -> bool:
        """Whether a PR's ref is in this repository (a ref that does not say is taken as here)."""
        repo = (ref or {}).get("repository") if isinstance(ref, dict) else None
        if not isinstance(repo, dict):
            return True
        slug, key = repo.get("slug"), (repo.get("project") or {}).get("key")
        same_slug = slug is None or str(slug).lower() == self.slug.lower()
        return same_slug and (key is None or str(key).upper() == self.project.upper())

    def _create(
        self, spec: api.PullRequestSpec, reviewers: list[dict[str, Any]], warnings: list[str]
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "title": spec.title,
            "description": spec.body,
            "fromRef": self._ref(spec.head_branch),
            "toRef": self._ref(spec.base_branch),
        }
        if spec.draft:
            data["draft"] = True
        existing: dict[str, Any] | None = None
        with self._errors(f"opening a pull request from {spec.head_branch!r}"):
            for attempt in range(2):
                if reviewers:
                    data["reviewers"] = reviewers
                try:
                    created: dict[str, Any] = self._rest.request(
                        "POST", f"{self._repo}/pull-requests", body=data
                    )
                    return created
                except rest.HttpError as exc:
                    if exc.status != 409:
                        raise
                    if _BAD_REVIEWERS in _exceptions(exc.body) and reviewers and attempt == 0:
                        names = ", ".join(r["user"]["name"] for r in reviewers)
                        warnings.append(f"Bitbucket refused the reviewers ({exc.reason}); not added: {names}")
                        reviewers = []
                        data.pop("reviewers", None)
                        continue
                    existing = _duplicate_of(exc.body)
                    if existing is None:
                        raise
                    break
        assert existing is not None
        return self._put(int(existing["id"]), spec.title, spec.body, reviewers)

    def _put(self, number: int, title: str, body: str, add: list[dict[str, Any]]) -> dict[str, Any]:
        """GET the PR for its version, PUT title and description with its reviewers (plus
        `add`); once more when someone changed it in between (PullRequestOutOfDateException)."""
        path = f"{self._repo}/pull-requests/{number}"
        with self._errors(f"updating pull request #{number}"):
            for attempt in range(2):
                current = self._rest.request("GET", path) or {}
                have = [
                    {"user": {"name": (r.get("user") or {}).get("name")}}
                    for r in current.get("reviewers") or []
                ]
                wanted = have + [r for r in add if r not in have]
                data = {
                    "version": current.get("version", 0),
                    "title": title,
                    "description": body,
                    "reviewers": wanted,
                }
                try:
                    updated: dict[str, Any] = self._rest.request("PUT", path, body=data)
                    return updated
                except rest.HttpError as exc:
                    if attempt or exc.status != 409 or _OUT_OF_DATE not in _exceptions(exc.body):
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _automerge(self, number: int, warnings: list[str]) -> None:
        """Merge once the checks pass (Data Center 8.15+); a refusal is a warning, the PR stands."""
        note = " (auto-merge not enabled: Bitbucket Data Center 8.15 or later)"
        with failures.warn_instead(warnings, note, fatal=failures.AUTH_OR_RATE):
            with self._errors(f"enabling auto-merge on pull request #{number}"):
                self._rest.request("POST", f"{self._repo}/pull-requests/{number}/auto-merge")


def _lacks(spec: api.PullRequestSpec) -> list[str]:
    """One warning for each thing asked that Bitbucket Data Center has no pull request field for."""
    warnings = []
    if spec.labels:
        warnings.append(
            f"Bitbucket Data Center has no pull request labels; not added: {', '.join(spec.labels)}"
        )
    if spec.assignees:
        warnings.append(
            f"Bitbucket Data Center has no pull request assignees; not assigned: {', '.join(spec.assignees)}"
        )
    return warnings


def _errors_of(data: Any) -> list[dict[str, Any]]:
    errors = data.get("errors") if isinstance(data, dict) else None
    return [e for e in errors or [] if isinstance(e, dict)]


def _exceptions(data: Any) -> str:
    return " ".join(str(e.get("exceptionName") or "") for e in _errors_of(data))


def _duplicate_of(data: Any) -> dict[str, Any] | None:
    for error in _errors_of(data):
        if _DUPLICATE in str(error.get("exceptionName") or "") and isinstance(
            error.get("existingPullRequest"), dict
        ):
            existing: dict[str, Any] = error["existingPullRequest"]
            return existing
    return None


def _reason(data: Any) -> str | None:
    """Bitbucket Data Center's `{"errors": [{"message", "exceptionName"}]}`."""
    messages = [str(e["message"]) for e in _errors_of(data) if e.get("message")]
    return "; ".join(messages) or None


def _convert(data: dict[str, Any], warnings: tuple[str, ...] = ()) -> api.PullRequest:
    links = (data.get("links") or {}).get("self") or [{}]
    return api.PullRequest(
        number=int(data["id"]),
        url=str(links[0].get("href") or ""),
        title=str(data.get("title") or ""),
        body=str(data.get("description") or ""),
        head_branch=str((data.get("fromRef") or {}).get("displayId") or "").removeprefix("refs/heads/"),
        base_branch=str((data.get("toRef") or {}).get("displayId") or "").removeprefix("refs/heads/"),
        draft=bool(data.get("draft")),
        warnings=warnings,
        open=data.get("state") in (None, "OPEN"),
    )


_HINTS = {"auth": "; check the token (an HTTP access token with repository write permission)"}
_STYLE = failures.FailureStyle(
    "Bitbucket Data Center", "repository", rest.HttpError, rest.describe, _HINTS, rest.RETRIES
)
