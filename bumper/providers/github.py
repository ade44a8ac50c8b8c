"""GitHub and GitHub Enterprise Server provider; the one module that imports PyGithub (a GitHub
App's token is minted through app_requests here)."""

from __future__ import annotations

import base64
import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from bumper.providers.deferred import deferring

# What PyGithub imports only for a GitHub App's JWT (jwt, and through it cryptography) and for
# encrypting Actions secrets (nacl): loaded at first use (deferred.py), not with every run.
with deferring("jwt", "nacl.public"):
    from github import Auth, Consts, Github, GithubException, GithubIntegration, GithubRetry
from github.GithubException import RateLimitExceededException
from github.PaginatedList import PaginatedList
from github.PullRequest import PullRequest as GhPullRequest
from github.Requester import Requester
from urllib3 import Retry

from bumper.errors import BumperError, ConfigError, ProviderError
from bumper.providers import answers, api, failures, rest
from bumper.providers.builtin import github_location
from bumper.providers.timed_http import DeadlineAdapter
from bumper.secrets import keep_secret

log = logging.getLogger(__name__)
# PyGithub attaches a stderr handler at INFO to its logger on import, which would print every
# retry; bumper's stderr is one line per error. The CLI may lower this again for --debug.
logging.getLogger("github").setLevel(logging.WARNING)

TIMEOUT = 30  # seconds per HTTP request
# What its PR JSON holds; every answer about PRs is checked against it (answers.py).
PULLS = answers.PullShape(r"/repos/[^/]+/[^/]+/pulls", "number", "state", "head.ref", "base.ref", "html_url")
RETRIES = 5  # 0+2+4+8+16 s of backoff at settings.backoff == 1
SECONDARY_RATE_WAIT = 60.0  # GitHub asks for "a few minutes"; PyGithub's default
MAX_RATE_LIMIT_WAIT = 120.0  # a CI job should fail rather than sleep longer than this
# Closed PRs from the bot branch: pages of 100 (GitHub's largest), at most 10 (1,000 PRs), so a
# host or proxy that ignores the filter or `page` cannot keep bumper reading.
CLOSED_PAGE, CLOSED_PAGES = 100, 10


class _BoundedRetry(rest.UntrustedFailsFast, GithubRetry):
    """GithubRetry whose Retry-After sleep is capped, so a CI job never hangs for an hour, and
    which gives up at once on a certificate the client does not trust (rest.UntrustedFailsFast)."""

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        if value is None or self.max_rate_limit_wait is None:
            return value
        return min(value, self.max_rate_limit_wait)


def retry_policy(backoff: float) -> Retry:
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


class AppRefused(Exception):
    """GitHub answered a request signed as an App with an error status (github_app.py says it)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _OneJwt(Auth.AppAuth):
    """PyGithub's AppAuth signs a new JWT whenever its token is read; this one signs it once, so
    the JWT every request sends is the one kept secret."""

    @functools.cached_property
    def token(self) -> str:
        return str(self.create_jwt())


def app_requests(
    app_id: str, private_key: str, jwt_seconds: int, api_url: str, settings: api.ProviderSettings
) -> Callable[[str, str, dict[str, Any] | None], Any]:
    """A caller of GitHub's REST API signed as the App (RS256 JWT, kept secret): each call answers
    the JSON, or raises AppRefused with the status of an error answer."""
    auth = _OneJwt(app_id, private_key, jwt_expiry=jwt_seconds)
    keep_secret(auth.token)  # the JWT: as secret as the key for its lifetime
    integration = GithubIntegration(
        auth=auth,
        base_url=api_url,
        timeout=TIMEOUT,
        retry=retry_policy(settings.backoff),
        seconds_between_requests=None,  # two requests
        seconds_between_writes=None,
        verify=settings.ca_file or True,
    )
    requester: Any = integration.requester
    _answers_in_time(requester, settings.deadline)
    headers = {"Accept": "application/vnd.github+json"}

    def call(verb: str, url: str, body: dict[str, Any] | None) -> Any:
        try:
            return requester.requestJsonAndCheck(verb, url, headers=headers, input=body)[1]
        except GithubException as exc:
            raise AppRefused(exc.status) from None

    return call


class GitHubProvider:
    """Opens and updates pull requests on GitHub.com or GitHub Enterprise Server.

    Cost: find 1 request; open 1 + 1 (labels and assignees together) + 1 (reviewers)
    + 1 (auto-merge, GraphQL); update 1; a commit through the API 2 (see commit_through_api).
    """

    name = "github"
    text_limits = api.TextLimits(title=256, body=65_536)  # GitHub answers 422 beyond these

    def __init__(self, settings: api.ProviderSettings) -> None:
        where = settings.location or github_location(settings.repo_url, settings.api_url, {})
        path = where.path
        if path.count("/") != 1:
            raise ConfigError(f"GitHub repository must be OWNER/REPO, got {path!r}")
        if not settings.token:
            raise ConfigError("no GitHub token: set BUMPER_TOKEN, GITHUB_TOKEN or GH_TOKEN")
        self.owner, self.repo_name = path.split("/")
        self.api_url = where.url
        self._token = settings.token
        self._env = settings.env
        self._errors = failures.ApiFailures(_STYLE, path, self.api_url, settings).translating
        self._gh = Github(
            auth=Auth.Token(settings.token),
            base_url=self.api_url,
            timeout=TIMEOUT,
            retry=retry_policy(settings.backoff),
            seconds_between_requests=(Consts.DEFAULT_SECONDS_BETWEEN_REQUESTS if settings.throttle else None),
            seconds_between_writes=(Consts.DEFAULT_SECONDS_BETWEEN_WRITES if settings.throttle else None),
            lazy=True,  # objects by URL, no GET before each write
            verify=settings.ca_file or True,
        )
        _refuse_non_api_answers(self._gh.requester, self.api_url)
        _answers_in_time(self._gh.requester, settings.deadline)
        self._repo = self._gh.get_repo(path)
        self._repo_node_id: str | None = None  # learnt from any PR the host returns

    # -- Provider protocol ----------------------------------------------------------------------

    def find_pull_request(self, head_branch: str, base_branch: str) -> api.PullRequest | None:
        """The open PR from `head_branch` into `base_branch`, else one from it into another
        base (a person retargeted it), or None (one GET, filtered by head only)."""
        with self._errors(f"looking for the pull request from {head_branch!r}"):
            pulls = self._repo.get_pulls(state="open", head=f"{self.owner}:{head_branch}")
            # The first page only: the filter leaves a PR per base at most, and a host that
            # ignored it must not lead bumper through its pages (or a `next` link back).
            mine = [
                pr for pr in pulls.get_page(0) if pr.head.ref == head_branch and _from_this_repository(pr)
            ]
            mine.sort(key=lambda pr: (pr.base.ref != base_branch, pr.number))
            if not mine:
                return None
            also = tuple((pr.number, pr.base.ref) for pr in mine[1:])
            return dataclasses.replace(self._convert(mine[0]), also=also)

    def open_pull_request(self, spec: api.PullRequestSpec) -> api.PullRequest:
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
            if found is None or found.base_branch != spec.base_branch:
                raise failures.vanished_duplicate("GitHub", "pull request", spec.head_branch)
            gh_pr = self._edit(found.number, spec.title, spec.body)
        warnings = self._decorate(gh_pr, spec, existing)
        return self._convert(gh_pr, tuple(warnings))

    def update_pull_request(self, pr: api.PullRequest, title: str, body: str) -> api.PullRequest:
        """Set title and body with one PATCH; draft state and labels are left alone."""
        return self._convert(self._edit(pr.number, title, body))

    def closed_head_shas(self, head_branch: str, base_branch: str) -> list[str]:
        """The closed PRs from `head_branch` into any base (a merged PR is closed too), most
        recently updated first: the one that left the branch where it is comes first. Pages of
        100 while a page is full, at most CLOSED_PAGES (one GET for a branch with fewer)."""
        with self._errors(f"looking for closed pull requests from {head_branch!r}"):
            params = {
                "state": "closed",
                "head": f"{self.owner}:{head_branch}",
                "sort": "updated",
                "direction": "desc",
                "per_page": CLOSED_PAGE,
            }
            pulls = PaginatedList(GhPullRequest, self._gh.requester, f"{self._repo.url}/pulls", params)
            shas: list[str] = []
            for page in range(CLOSED_PAGES):  # get_page(n) asks for page n+1: no `next` link followed
                closed = pulls.get_page(page)
                if closed and self._repo_node_id is None:
                    self._repo_node_id = _node_id_of(closed[0])
                shas += [
                    pr.head.sha for pr in closed if pr.head.ref == head_branch and _from_this_repository(pr)
                ]
                if len(closed) < CLOSED_PAGE:
                    break
            return shas

    def pull_request_state(self, number: int) -> api.PullRequestState:
        """One GET of the PR: open, merged (with its merge commit) or closed unmerged."""
        with self._errors(f"reading pull request #{number}"):
            gh_pr = self._repo.get_pull(number)
            base = str(gh_pr.base.ref or "")
            if gh_pr.merged:
                return api.PullRequestState("merged", gh_pr.merge_commit_sha, base)
            return api.PullRequestState("open" if gh_pr.state == "open" else "closed", None, base)

    def comment_once(self, pr: api.PullRequest, key: str, text: str) -> bool:
        """One GET of the PR's comments, and one POST when none holds `key`."""
        with self._errors(f"commenting on pull request #{pr.number}"):
            issue = self._repo.get_issue(pr.number)  # lazy: no request
            if any(key in (c.body or "") for c in issue.get_comments()):
                return False
            issue.create_comment(text)
        return True

    def put_comment(self, pr: api.PullRequest, key: str, text: str, keep: api.KeepNote | None = None) -> bool:
        """One GET of the PR's comments, then one PATCH of bumper's note when it says something
        else, or one POST when there is none (api.KeepsOneComment)."""
        with self._errors(f"commenting on pull request #{pr.number}"):
            issue = self._repo.get_issue(pr.number)  # lazy: no request
            notes = [c for c in issue.get_comments() if api.is_note(c.body or "", key)]
            return api.put_note(
                (notes[-1].body or "") if notes else None,
                text,
                keep,
                edit=lambda: notes[-1].edit(text),
                add=lambda: issue.create_comment(text),
                refused=lambda exc: exc.status if isinstance(exc, GithubException) else None,
            )

    # -- ChecksAccess ---------------------------------------------------------------------------

    def check_access(self) -> None:
        """One GET of the repository: a classic token's scopes (`X-OAuth-Scopes`) must hold
        `repo` (or `public_repo` for a public repository), and the token's role there
        (`permissions`) must allow a push. A fine-grained or App token says neither: passes."""
        where = f"GitHub API ({self.owner}/{self.repo_name})"
        with self._errors("checking what the token may do"):
            headers, data = self._gh.requester.requestJsonAndCheck("GET", self._repo.url)
        data = data if isinstance(data, dict) else {}
        if self._repo_node_id is None and isinstance(data.get("node_id"), str):
            self._repo_node_id = data["node_id"]
        scopes = {k.lower(): v for k, v in headers.items()}.get("x-oauth-scopes")
        if scopes is not None:
            have = {s.strip() for s in scopes.split(",") if s.strip()}
            enough = {"repo"} if data.get("private", True) else {"repo", "public_repo"}
            if not have & enough:
                raise ProviderError(
                    f"{where}: the token's scopes ({', '.join(sorted(have)) or 'none'}) do not "
                    f"include {' or '.join(sorted(enough))}, so it cannot open pull requests; give "
                    "it that scope, or use a fine-grained token with Contents and Pull requests: write",
                    kind="auth",
                )
        permissions = data.get("permissions")
        if isinstance(permissions, dict) and not permissions.get("push"):
            role = next((r for r in _ROLES if permissions.get(r)), "none")
            raise ProviderError(
                f"{where}: the token's user may read the repository but not push to it (role: "
                f"{role}), so it can neither push a branch nor open a pull request; use a token "
                "of a user or app with write access",
                kind="auth",
            )

    # -- CommitsThroughApi ----------------------------------------------------------------------

    def commit_through_api(self, commit: api.ApiCommit) -> str:
        """Put the branch at the parent, then `createCommitOnBranch` on it; every step is a
        compare-and-swap, so a commit someone pushed meanwhile raises api.BranchMoved, never lost.

        A new branch: REST `POST /git/refs` (refused when the branch exists). A stale commit of
        bumper's: GraphQL `updateRefs` from the tip bumper read to the parent (the repository's
        node id comes from a PR the host returned, else one more query). Then the commit with
        `expectedHeadOid` = parent. GitHub signs it (Verified) and sets author and committer
        itself (the token's user or app). Cost: 2 requests.

        Never emptier than before: when the commit fails after the reset (an error, Ctrl-C,
        SIGTERM), the branch is put back at `expected` (one more updateRefs, from the parent
        only), and the error says where the branch is.
        """
        created = reset = False
        if commit.expected is None:
            created = self._create_branch(commit.branch, commit.parent)
        elif commit.expected != commit.parent:
            self._reset_branch(commit.branch, commit.expected, commit.parent)
            reset = True
        try:
            return self._create_commit(commit)
        except api.BranchMoved:
            raise  # someone else's commit is there now: nothing of bumper's to put back
        except BaseException as exc:
            if created:  # leave no empty bot branch behind (best effort)
                self._delete_branch(commit.branch)
            elif reset:
                assert commit.expected is not None
                where = self._put_back(commit.branch, commit.parent, commit.expected)
                if isinstance(exc, BumperError):
                    exc.message += f"; {where}"
                else:
                    log.warning("%s", where)
            raise

    def _put_back(self, branch: str, parent: str, previous: str) -> str:
        """Move `branch` from `parent` back to `previous` (bumper's earlier commit) after a
        failed commit; say where the branch is now."""
        try:
            self._reset_branch(branch, parent, previous, doing=f"putting branch {branch!r} back")
        except api.BranchMoved:
            return (
                f"branch {branch} moved meanwhile (someone pushed to it, or GitHub made this commit "
                "though its answer was lost): left as it is"
            )
        except ProviderError as exc:
            return (
                f"branch {branch} could not be put back ({exc}): it is left at the base commit "
                f"{parent[:12]}, without bumper's earlier commit {previous[:12]}; a rerun fills it again"
            )
        return (
            f"branch {branch} was put back at its earlier commit {previous[:12]}, as it was before this run"
        )

    def _create_branch(self, branch: str, sha: str) -> bool:
        """Create `branch` at `sha`; False when it exists already (a retried create whose answer
        was lost, or another run): the commit's expectedHeadOid then decides."""
        with self._errors(f"creating branch {branch!r}"):
            try:
                self._repo.create_git_ref(ref=f"refs/heads/{branch}", sha=sha)
            except GithubException as exc:
                if exc.status == 422 and "already exists" in _message(exc).lower():
                    return False
                raise
        return True

    def _reset_branch(self, branch: str, expected: str, sha: str, *, doing: str = "") -> None:
        """Move `branch` from `expected` (bumper's stale commit) back to `sha`, only if it is
        still at `expected` (updateRefs' beforeOid)."""
        update = {"name": f"refs/heads/{branch}", "beforeOid": expected, "afterOid": sha, "force": True}
        variables = {"input": {"repositoryId": self._repository_id(), "refUpdates": [update]}}
        self._graphql(_UPDATE_REFS, variables, doing or f"resetting branch {branch!r} to the base")

    def _create_commit(self, commit: api.ApiCommit) -> str:
        headline, _, body = commit.message.partition("\n")
        changes: dict[str, list[dict[str, str]]] = {"additions": [], "deletions": []}
        for change in commit.files:
            if change.content is None:
                changes["deletions"].append({"path": change.path})
            else:
                encoded = base64.b64encode(change.content).decode("ascii")
                changes["additions"].append({"path": change.path, "contents": encoded})
        variables = {
            "input": {
                "branch": {
                    "repositoryNameWithOwner": f"{self.owner}/{self.repo_name}",
                    "branchName": commit.branch,
                },
                "expectedHeadOid": commit.parent,
                "message": {"headline": headline, "body": body.strip("\n")},
                "fileChanges": changes,
            }
        }
        data = self._graphql(_CREATE_COMMIT, variables, f"committing to branch {commit.branch!r}")
        oid = ((data.get("createCommitOnBranch") or {}).get("commit") or {}).get("oid")
        if not isinstance(oid, str):
            raise ProviderError(
                f"GitHub API ({self.owner}/{self.repo_name}) returned no commit", kind="other"
            )
        return oid

    def _delete_branch(self, branch: str) -> None:
        try:
            with self._errors(f"deleting branch {branch!r}"):
                url = f"{self._repo.url}/git/refs/heads/{quote(branch, safe='/')}"
                self._gh.requester.requestJsonAndCheck("DELETE", url)
        except ProviderError as exc:
            log.debug("%s", exc)

    def _repository_id(self) -> str:
        if self._repo_node_id is None:
            variables = {"owner": self.owner, "name": self.repo_name}
            data = self._graphql(_REPOSITORY_ID, variables, "looking up the repository")
            self._repo_node_id = str((data.get("repository") or {}).get("id") or "")
        return self._repo_node_id

    def _graphql(self, query: str, variables: dict[str, Any], doing: str) -> dict[str, Any]:
        """One GraphQL request; a compare-and-swap GitHub refused raises api.BranchMoved."""
        with self._errors(doing):
            try:
                _, data = self._gh.requester.graphql_query(query, variables)
            except GithubException as exc:
                if _moved(exc):
                    raise api.BranchMoved(
                        failures.one_line(
                            f"GitHub API ({self.owner}/{self.repo_name}) {doing}: {_message(exc)}",
                            self._token,
                            env=self._env,
                        )
                    ) from exc
                raise
        result: dict[str, Any] = data.get("data") or {}
        return result

    # -- helpers --------------------------------------------------------------------------------

    def _edit(self, number: int, title: str, body: str) -> GhPullRequest:
        with self._errors(f"updating pull request #{number}"):
            gh_pr = self._repo.get_pull(number)  # lazy: no request
            gh_pr.edit(title=title, body=body)
        return gh_pr

    def _decorate(self, gh_pr: GhPullRequest, spec: api.PullRequestSpec, existing: bool) -> list[str]:
        """Labels/assignees, reviewers, auto-merge. The PR exists already, so a refusal here is
        a warning on the result, not an error that would hide the PR from the caller."""
        warnings: list[str] = []
        number = gh_pr.number

        def attempt(what: str, call: Any) -> None:
            with failures.warn_instead(warnings), self._errors(f"{what} on pull request #{number}"):
                call()

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

    def _convert(self, pr: GhPullRequest, warnings: tuple[str, ...] = ()) -> api.PullRequest:
        if self._repo_node_id is None:  # a reset (updateRefs) needs it: no extra request
            self._repo_node_id = _node_id_of(pr)
        return api.PullRequest(
            number=pr.number,
            url=pr.html_url,
            title=pr.title,
            body=pr.body or "",
            head_branch=pr.head.ref,
            base_branch=pr.base.ref,
            draft=bool(pr.draft),
            warnings=warnings,
            open=pr.state == "open",  # a merged PR is closed too
        )


_HINTS = {"auth": "; check that the token is valid and may write pull requests"}
_ROLES = ("admin", "maintain", "push", "triage", "pull")  # GitHub's repository roles, highest first


_CREATE_COMMIT = """
mutation CreateCommit($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid } }
}
"""
_UPDATE_REFS = """
mutation ResetBranch($input: UpdateRefsInput!) {
  updateRefs(input: $input) { clientMutationId }
}
"""
_REPOSITORY_ID = """
query RepositoryId($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) { id }
}
"""
# What GitHub answers when expectedHeadOid (createCommitOnBranch) or beforeOid (updateRefs)
# no longer names the branch's tip.
_MOVED = ("expectedheadoid", "expected branch to point to", "beforeoid", "stale_data")


def _moved(exc: GithubException) -> bool:
    data = exc.data if isinstance(exc.data, dict) else {}
    for err in data.get("errors") or []:
        if isinstance(err, dict):
            text = f"{err.get('type', '')} {err.get('message', '')}".lower()
            if any(mark in text for mark in _MOVED):
                return True
    return False


def _from_this_repository(pr: GhPullRequest) -> bool:
    """Whether `pr`'s head branch is in the repository it targets: a host or proxy that did not
    apply the `head=OWNER:BRANCH` filter must not have bumper take a fork's PR from a branch of
    the same name (or one whose fork was deleted) for its own. An answer naming no base
    repository cannot tell, and is taken as this one."""
    base = pr.base.repo
    if base is None:
        return True
    head = pr.head.repo
    return head is not None and head.id == base.id


def _node_id_of(pr: GhPullRequest) -> str | None:
    """The repository's node id as the PR's JSON carries it (`base.repo.node_id`), read from
    the answer at hand: PyGithub's `raw_data` would first fetch the PR again."""
    raw: Any = getattr(pr, "_rawData", None)
    node = ((raw or {}).get("base") or {}).get("repo") or {}
    value = node.get("node_id") if isinstance(node, dict) else None
    return value if isinstance(value, str) and value else None


def _already_exists(exc: GithubException) -> bool:
    return exc.status == 422 and "already exists" in str(exc.data).lower()


def _describe(exc: GithubException) -> failures.Failure:
    sso = _sso_required(exc.headers or {})
    if exc.status == 403 and sso is not None:
        return failures.Failure(
            "auth",
            "403 the organization enforces SAML single sign-on and the token is not authorized for it",
            f"; authorize the token for the organization's single sign-on{sso} and rerun",
        )
    kind = (
        "rate-limited"
        if isinstance(exc, RateLimitExceededException)
        else failures.kind_for_status(exc.status)
    )
    return failures.Failure(kind, f"{exc.status} {_message(exc)}")


def _sso_required(headers: dict[str, Any]) -> str | None:
    """` at URL` from GitHub's `X-GitHub-SSO: required; url=URL` (no secret in it), "" when the
    header names no URL, None without the header."""
    value = {k.lower(): str(v) for k, v in headers.items()}.get("x-github-sso", "")
    if not value.lower().startswith("required"):
        return None
    for part in value.split(";")[1:]:
        key, _, url = part.strip().partition("=")
        if key == "url" and url.startswith("https://"):
            return f" at {url}"
    return ""


def _answers_in_time(requester: Requester, seconds: float) -> None:
    """PyGithub gives each connection a requests session with a plain HTTPAdapter and no way
    to pass another: this requester's connection classes (name-mangled attributes; the API's
    host and any other) become ones that mount bumper's DeadlineAdapter with the same retries."""
    for name in ("connectionClass", "httpConnectionClass", "httpsConnectionClass"):
        attribute = f"_Requester__{name}"
        setattr(requester, attribute, _timed_connection(getattr(requester, attribute), seconds))


def _timed_connection(plain: type[Any], seconds: float) -> type[Any]:
    class Timed(plain):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.adapter = DeadlineAdapter(
                seconds, max_retries=self.retry, pool_connections=self.pool_size, pool_maxsize=self.pool_size
            )
            self.session.mount(f"{self.protocol}://", self.adapter)

    return Timed


def _refuse_non_api_answers(requester: Requester, api_url: str) -> None:
    """PyGithub has no response hook, and every REST and GraphQL call goes through
    `requestJsonAndCheck`: wrap it, so an HTML page or a redirect away from the API fails as
    one line instead of a TypeError or an empty "no pull request" (failures.py), and so does
    an answer about PRs that is not one (answers.py)."""
    call = requester.requestJsonAndCheck

    def checked(verb: str, url: str, *args: Any, **kwargs: Any) -> tuple[dict[str, Any], Any]:
        absolute = url if "://" in url else api_url + url
        try:
            headers, data = call(verb, url, *args, **kwargs)
        except GithubException as exc:
            failures.refuse_non_api_answer(api_url, absolute, exc.status, exc.headers or {})
            raise
        except RuntimeError as exc:  # PyGithub's refusal of a 301 (RecursionError: a 301 loop)
            raise failures.redirect_not_followed(absolute) from exc
        failures.refuse_non_api_answer(api_url, absolute, None, headers)
        answers.check(PULLS, verb, urlsplit(absolute).path, 200, lambda: data)
        return headers, data

    requester.requestJsonAndCheck = checked  # type: ignore[method-assign]


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    parts = [str(data.get("message") or exc.message or "")]
    for err in data.get("errors") or []:  # REST validation details and GraphQL errors
        if isinstance(err, dict) and err.get("message"):
            parts.append(str(err["message"]))
    return ": ".join(p for p in parts if p) or "no message"


_STYLE = failures.FailureStyle("GitHub", "repository", GithubException, _describe, _HINTS, RETRIES)
