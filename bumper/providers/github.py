"""GitHub and GitHub Enterprise Server provider; the only module that imports PyGithub."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import requests
from github import Auth, Consts, Github, GithubException, GithubRetry
from github.GithubException import RateLimitExceededException
from github.PullRequest import PullRequest as GhPullRequest
from urllib3 import Retry
from urllib3.exceptions import MaxRetryError

from bumper.errors import ConfigError, ProviderError
from bumper.providers.api import (
    ProviderSettings,
    PullRequest,
    PullRequestSpec,
    TextLimits,
    split_repo_url,
)
from bumper.providers.failures import kind_for_status, raise_api_error, unreachable, vanished_duplicate

log = logging.getLogger(__name__)
# PyGithub attaches a stderr handler at INFO to its logger on import, which would print every
# retry; bumper's stderr is one line per error. The CLI may lower this again for --debug.
logging.getLogger("github").setLevel(logging.WARNING)

TIMEOUT = 30  # seconds per HTTP request
RETRIES = 5  # 0+2+4+8+16 s of backoff at settings.backoff == 1
SECONDARY_RATE_WAIT = 60.0  # GitHub asks for "a few minutes"; PyGithub's default
MAX_RATE_LIMIT_WAIT = 120.0  # a CI job should fail rather than sleep longer than this


class _BoundedRetry(GithubRetry):
    """GithubRetry whose Retry-After sleep is capped, so a CI job never hangs for an hour."""

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        if value is None or self.max_rate_limit_wait is None:
            return value
        return min(value, self.max_rate_limit_wait)


def _retry(backoff: float) -> Retry:
    """Bounded retries: 429, 5xx and rate-limit 403s, for GET/POST/PATCH (a repeated create
    is caught as "already exists"), honouring Retry-After and secondary rate limits."""
    return _BoundedRetry(
        total=RETRIES,
        backoff_factor=backoff,
        backoff_max=16 * max(backoff, 0.001),
        status_forcelist=[429, *range(500, 600)],
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"GET", "POST", "PATCH"},
        secondary_rate_wait=SECONDARY_RATE_WAIT * backoff,
        max_rate_limit_wait=MAX_RATE_LIMIT_WAIT * max(backoff, 0.001),
    )


def github_api_url(host: str, api_url: str | None) -> str:
    """REST base URL: --api-url as given (a bare GHES host gets /api/v3); api.github.com for
    github.com (also over SSH on port 443, `ssh.github.com`); `https://api.HOST` for GitHub
    Enterprise Cloud with data residency (`*.ghe.com`); else the Enterprise Server
    convention https://HOST/api/v3."""
    if api_url:
        url = api_url.rstrip("/")
        host_part = url.split("://", 1)[-1]
        if "/" not in host_part and host_part != "api.github.com" and not host_part.endswith(".ghe.com"):
            url += "/api/v3"
        return url
    if host in ("github.com", "www.github.com", "ssh.github.com"):
        return Consts.DEFAULT_BASE_URL
    if host.endswith(".ghe.com"):
        return f"https://api.{host.removeprefix('api.')}"
    return f"https://{host}/api/v3"


class GitHubProvider:
    """Opens and updates pull requests on GitHub.com or GitHub Enterprise Server.

    Cost: find 1 request; open 1 + 1 (labels and assignees together) + 1 (reviewers)
    + 1 (auto-merge, GraphQL); update 1.
    """

    name = "github"
    text_limits = TextLimits(title=256, body=65_536)  # GitHub answers 422 beyond these

    def __init__(self, settings: ProviderSettings) -> None:
        host, path = split_repo_url(settings.repo_url)
        if path.count("/") != 1:
            raise ConfigError(f"GitHub repository must be OWNER/REPO, got {path!r}")
        if not settings.token:
            raise ConfigError("no GitHub token: set BUMPER_TOKEN, GITHUB_TOKEN or GH_TOKEN")
        self.owner, self.repo_name = path.split("/")
        self.api_url = github_api_url(host, settings.api_url)
        self._token = settings.token
        self._gh = Github(
            auth=Auth.Token(settings.token),
            base_url=self.api_url,
            timeout=TIMEOUT,
            retry=_retry(settings.backoff),
            seconds_between_requests=(Consts.DEFAULT_SECONDS_BETWEEN_REQUESTS if settings.throttle else None),
            seconds_between_writes=(Consts.DEFAULT_SECONDS_BETWEEN_WRITES if settings.throttle else None),
            lazy=True,  # objects by URL, no GET before each write
        )
        self._repo = self._gh.get_repo(path)

    # -- Provider protocol ----------------------------------------------------------------------

    def find_pull_request(self, head_branch: str, base_branch: str) -> PullRequest | None:
        """Return the open PR from `head_branch` into `base_branch`, or None (one GET)."""
        with self._errors(f"looking for the pull request from {head_branch!r}"):
            pulls = self._repo.get_pulls(state="open", head=f"{self.owner}:{head_branch}", base=base_branch)
            for pr in pulls:
                return self._convert(pr)
        return None

    def open_pull_request(self, spec: PullRequestSpec) -> PullRequest:
        """Open the PR, then apply labels, assignees, reviewers and auto-merge.

        A 422 "already exists" (our own create retried after a lost response, or a race with
        another run) turns into find + update, and the extras are added to that PR.
        """
        gh_pr: GhPullRequest | None = None
        with self._errors(f"opening a pull request from {spec.head_branch!r}"):
            try:
                gh_pr = self._repo.create_pull(
                    base=spec.base_branch,
                    head=spec.head_branch,
                    title=spec.title,
                    body=spec.body,
                    draft=spec.draft,
                )
            except GithubException as exc:
                if not _already_exists(exc):
                    raise
        existing = gh_pr is None
        if gh_pr is None:
            found = self.find_pull_request(spec.head_branch, spec.base_branch)
            if found is None:
                raise vanished_duplicate("GitHub", "pull request", spec.head_branch)
            gh_pr = self._edit(found.number, spec.title, spec.body)
        warnings = self._decorate(gh_pr, spec, existing)
        return self._convert(gh_pr, tuple(warnings))

    def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        """Set title and body with one PATCH; draft state and labels are left alone."""
        return self._convert(self._edit(pr.number, title, body))

    def closed_head_shas(self, head_branch: str, base_branch: str) -> list[str]:
        """One GET of the closed PRs from `head_branch` (a merged PR is closed too)."""
        with self._errors(f"looking for closed pull requests from {head_branch!r}"):
            pulls = self._repo.get_pulls(state="closed", head=f"{self.owner}:{head_branch}", base=base_branch)
            return [pr.head.sha for pr in pulls.get_page(0)]

    def comment_once(self, pr: PullRequest, key: str, text: str) -> bool:
        """One GET of the PR's comments, and one POST when none holds `key`."""
        with self._errors(f"commenting on pull request #{pr.number}"):
            issue = self._repo.get_issue(pr.number)  # lazy: no request
            if any(key in (c.body or "") for c in issue.get_comments()):
                return False
            issue.create_comment(text)
        return True

    # -- helpers --------------------------------------------------------------------------------

    def _edit(self, number: int, title: str, body: str) -> GhPullRequest:
        with self._errors(f"updating pull request #{number}"):
            gh_pr = self._repo.get_pull(number)  # lazy: no request
            gh_pr.edit(title=title, body=body)
        return gh_pr

    def _decorate(self, gh_pr: GhPullRequest, spec: PullRequestSpec, existing: bool) -> list[str]:
        """Labels/assignees, reviewers, auto-merge. The PR exists already, so a refusal here is
        a warning on the result, not an error that would hide the PR from the caller."""
        warnings: list[str] = []
        number = gh_pr.number

        def attempt(what: str, call: Any) -> None:
            try:
                with self._errors(f"{what} on pull request #{number}"):
                    call()
            except ProviderError as exc:
                log.debug("%s", exc)
                warnings.append(str(exc))

        if spec.labels or spec.assignees:
            issue = self._repo.get_issue(number)  # lazy: no request
            if existing:  # add, do not replace what people put on the PR since
                if spec.labels:
                    attempt("adding labels", lambda: issue.add_to_labels(*spec.labels))
                if spec.assignees:
                    attempt(
                        f"assigning {', '.join(spec.assignees)}",
                        lambda: issue.add_to_assignees(*spec.assignees),
                    )
            else:  # a new PR has nothing to keep: one PATCH sets both
                fields: dict[str, Any] = {}
                if spec.labels:
                    fields["labels"] = list(spec.labels)
                if spec.assignees:
                    fields["assignees"] = list(spec.assignees)
                what = "setting labels" + (
                    f" and assignees {', '.join(spec.assignees)}" if spec.assignees else ""
                )
                attempt(what, lambda: issue.edit(**fields))
        if spec.reviewers:
            users = [r for r in spec.reviewers if "/" not in r]
            teams = [r.split("/", 1)[1] for r in spec.reviewers if "/" in r]  # "org/team-slug"
            attempt(
                f"requesting reviews from {', '.join(spec.reviewers)}",
                lambda: gh_pr.create_review_request(reviewers=users, team_reviewers=teams),
            )
        if spec.automerge:
            attempt("enabling auto-merge", gh_pr.enable_automerge)
        return warnings

    def _convert(self, pr: GhPullRequest, warnings: tuple[str, ...] = ()) -> PullRequest:
        return PullRequest(
            number=pr.number,
            url=pr.html_url,
            title=pr.title,
            body=pr.body or "",
            head_branch=pr.head.ref,
            base_branch=pr.base.ref,
            draft=bool(pr.draft),
            warnings=warnings,
        )

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn PyGithub/requests failures into one-line ProviderErrors with a stable kind."""
        try:
            yield
        except GithubException as exc:
            self._raise(_kind_of(exc), f"{exc.status} {_message(exc)}", doing, exc)
        except requests.exceptions.RetryError as exc:
            reason = _retry_reason(exc)
            kind = "rate-limited" if any(s in reason for s in ("429", "403")) else "other"
            self._raise(kind, f"gave up after {RETRIES} retries: {reason}", doing, exc)
        except requests.exceptions.RequestException as exc:
            self._raise("other", unreachable(self.api_url, exc), doing, exc)

    def _raise(self, kind: str, detail: str, doing: str, exc: BaseException) -> NoReturn:
        repo = f"{self.owner}/{self.repo_name}"
        raise_api_error(
            "GitHub", "repository", repo, doing, detail, kind, token=self._token, hints=_HINTS, cause=exc
        )


_HINTS = {"auth": "; check that the token is valid and may write pull requests"}


def _already_exists(exc: GithubException) -> bool:
    return exc.status == 422 and "already exists" in str(exc.data).lower()


def _kind_of(exc: GithubException) -> str:
    return "rate-limited" if isinstance(exc, RateLimitExceededException) else kind_for_status(exc.status)


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    parts = [str(data.get("message") or exc.message or "")]
    for err in data.get("errors") or []:  # REST validation details and GraphQL errors
        if isinstance(err, dict) and err.get("message"):
            parts.append(str(err["message"]))
    return ": ".join(p for p in parts if p) or "no message"


def _retry_reason(exc: requests.exceptions.RetryError) -> str:
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, MaxRetryError) and inner.reason is not None:
        return str(inner.reason)
    return type(exc).__name__
