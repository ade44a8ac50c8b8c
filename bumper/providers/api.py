"""The Provider protocol every Git host implementation follows; registry.py finds them.

The member docstrings below are the contract; docs/providers.md links here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

from bumper.errors import ProviderError
from bumper.git.url import RepoUrl
from bumper.providers.deadline import DEFAULT_SECONDS


@dataclass(frozen=True)
class PullRequest:
    """An open pull/merge request as the host reports it."""

    number: int
    url: str
    title: str
    body: str
    head_branch: str
    base_branch: str
    # A draft stays a draft when its title is updated (GitLab keeps draft state in the title).
    draft: bool = False
    # Things the host refused after the PR was opened (a reviewer it does not know, auto-merge
    # not allowed yet). The PR exists, so they are reported, not raised; callers print them.
    warnings: tuple[str, ...] = ()
    # False when the host's answer said closed or merged: an update that raced a person who
    # closed it after bumper's lookup (bumper.remote then starts the attempt again).
    open: bool = True
    # The other open PRs from the same head branch (a person opened one by hand, or retargeted
    # one), as (number, base branch), lowest number first: find_pull_request returns one PR and
    # names these; bumper never edits them, and says that a push to the branch shows in them.
    also: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class PullRequestSpec:
    """What bumper wants a pull request to be; `open_pull_request` applies all of it."""

    head_branch: str
    base_branch: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    automerge: bool = False


class ApiLocation(NamedTuple):
    """Where a repository's API is, as its provider's `ProviderSpec.api_location` rule finds it."""

    url: str  # what the SDK is given (https://api.github.com, https://host/gitlab)
    path: str  # the repository's path on that API (without an instance's path prefix)
    # What named the URL: "--api-url", a CI variable, or "default" (the provider's guess from the
    # repository URL, which a provider may correct by asking the host).
    source: str = "default"


@dataclass(frozen=True)
class ProviderSettings:
    """How to reach the host: the repository URL, an optional API URL, and the token."""

    repo_url: str
    api_url: str | None
    token: str | None = field(repr=False)
    # Seconds between requests; None in tests. Production keeps the SDK's polite defaults.
    throttle: bool = True
    # Scales every wait between retries (backoff, secondary-rate-limit wait). 1.0 in production;
    # tests set it near 0 so that exhausting the bounded retries takes milliseconds.
    backoff: float = 1.0
    # The registry's answer to "where is the API" (the spec's rule with the environment); None:
    # the provider applies its rule to `api_url` without one (a provider built by hand).
    location: ApiLocation | None = None
    # The CA file the API client trusts instead of certifi's bundle (bumper/tls.py); None: the
    # default (requests still reads REQUESTS_CA_BUNDLE then).
    ca_file: str | None = None
    # The run's environment: no message shows the value of a token variable set in it.
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    # Seconds each request's whole answer may take (BUMPER_REQUEST_DEADLINE, providers/deadline.py).
    deadline: float = DEFAULT_SECONDS


@runtime_checkable
class Provider(Protocol):
    """A Git host that can find, open and update pull requests for a pushed branch.

    Implementations map every SDK exception to ProviderError with a stable `kind`
    (auth, not-found, rate-limited, conflict, other) and never put the token in a message.
    """

    name: str

    def find_pull_request(self, head_branch: str, base_branch: str) -> PullRequest | None:
        """Return the open PR from this repository's `head_branch` into `base_branch`; when there
        is none, an open PR from `head_branch` into any other branch (a person retargeted
        bumper's PR: the caller compares `base_branch` and leaves that PR alone); else None.
        Among several, the lowest number (`answers.from_head` orders them); the others are
        named in `PullRequest.also`. One request where the host can filter by head branch."""
        ...

    def open_pull_request(self, spec: PullRequestSpec) -> PullRequest:
        """Open a PR with labels, reviewers, assignees, draft and auto-merge as `spec` says.

        When the host answers that the PR already exists (a retried create), find and
        update that PR instead of failing.
        """
        ...

    def update_pull_request(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        """Set the title and body of an existing PR (a no-op call is the caller's to avoid)."""
        ...


class TextLimits(NamedTuple):
    """The longest PR title and body a host accepts (characters)."""

    title: int = 250
    body: int | None = None
    # The host counts UTF-16 code units, as .NET and Java strings do (Azure DevOps, Bitbucket
    # Data Center): a character outside the BMP, an emoji, is two.
    utf16: bool = False


def text_limits(provider: object) -> TextLimits:
    """A provider's `text_limits`, or a title of 250 characters and no body limit."""
    limits = getattr(provider, "text_limits", None)
    return limits if isinstance(limits, TextLimits) else TextLimits()


@runtime_checkable
class CommentsOnPullRequests(Protocol):
    """Optional capability: leave a note on a PR (e.g. why bumper did not update its branch)."""

    def comment_once(self, pr: PullRequest, key: str, text: str) -> bool:
        """Add `text` as a comment on `pr` unless a comment containing `key` is there already
        (so a rerun writes nothing); return whether a comment was added."""
        ...


@runtime_checkable
class KeepsOneComment(Protocol):
    """Optional capability: keep bumper's note on a PR up to date in one comment (a newer version
    waiting edits it) instead of adding a comment per run."""

    def put_comment(self, pr: PullRequest, key: str, text: str, keep: KeepNote | None = None) -> bool:
        """Make `text` bumper's note `key` on `pr`: edit the latest comment that `is_note(body,
        key)` when its text differs, add `text` when none is (or when the host refuses the edit
        with a status in EDIT_REFUSED); write nothing when it says `text` already, or when
        `keep(its body)` says it is to stay (`leave_note`). Return whether anything was written."""
        ...


KeepNote = Callable[[str], bool]  # whether an existing note of bumper's is to stay as it is


def leave_note(body: str, text: str, keep: KeepNote | None) -> bool:
    """Whether put_comment leaves the note `body` as it is rather than make it say `text`."""
    return same_text(body, text) or (keep is not None and keep(body))


def put_note(
    latest: str | None,
    text: str,
    keep: KeepNote | None,
    edit: Callable[[], object],
    add: Callable[[], object],
    refused: Callable[[Exception], int | None],
) -> bool:
    """put_comment's steps, the same on every host, given the body of bumper's latest note
    (None: there is none): leave it, else `edit` it, else (none, or the edit refused with a
    status in EDIT_REFUSED, which `refused` reads from the host's error) `add` one."""
    if latest is not None:
        if leave_note(latest, text, keep):
            return False
        try:
            edit()
            return True
        except Exception as exc:  # the host's own error type: `refused` reads its status
            if refused(exc) not in EDIT_REFUSED:
                raise
    add()
    return True


# An edit of bumper's note refused as another user's (the token was rotated to another bot
# account: only a comment's author may edit it on most hosts) or as gone (deleted meanwhile):
# put_comment adds a new note instead, which the next run then edits.
EDIT_REFUSED = (403, 404)


NOTE_START = "bumper did not update this branch: "  # how every note of bumper's has begun


def is_note(body: str, key: str) -> bool:
    """Whether a comment's `body` is bumper's note `key`: it begins as bumper's notes do and its
    last line starts with `key` (the HTML comment bumper ends its notes with). A person quoting
    the note (`> ...`), pasting it below words of their own, or merely mentioning it is not, so
    bumper never edits a person's comment."""
    lines = body.strip().splitlines()
    return bool(lines) and lines[0].startswith(NOTE_START) and lines[-1].lstrip().startswith(key)


def same_text(body: str, text: str) -> bool:
    """Whether a comment already says `text` (hosts may trim or turn line ends into CRLF)."""
    return body.replace("\r\n", "\n").strip() == text.replace("\r\n", "\n").strip()


@runtime_checkable
class FindsClosedPullRequests(Protocol):
    """Optional capability: tell a bot branch whose PR was closed or merged (stale) from one
    whose PR is not opened yet (another run is about to open it)."""

    def closed_head_shas(self, head_branch: str, base_branch: str) -> list[str]:
        """The head commit of every closed or merged PR from `head_branch`, into `base_branch`
        or any other branch (a PR a person retargeted, then closed, leaves the branch stale
        too), in the host's order: full ids, or abbreviations of at least 12 hex digits where the host
        gives no more (Bitbucket Cloud). One request where the host's answer holds them all."""
        ...


class PullRequestState(NamedTuple):
    """Where a PR stands: `open`, `merged` or `closed` (unmerged), the commit a merge made, and
    the branch it goes into now (a person may change it while bumper waits; "": not said)."""

    state: str
    merge_commit: str | None = None
    base_branch: str = ""


@runtime_checkable
class FollowsPullRequests(Protocol):
    """Optional capability (`--wait merged`): read whether a PR was merged or closed."""

    def pull_request_state(self, number: int) -> PullRequestState:
        """One request: the PR's state now (a merged PR is `merged`, never `closed`)."""
        ...


@dataclass(frozen=True)
class FileChange:
    """One file of a commit made through the API: an existing file's new bytes (bumper never
    adds files), or None to delete it."""

    path: str
    content: bytes | None = field(repr=False)


@dataclass(frozen=True)
class ApiCommit:
    """One commit for the host to make: `files` on top of `parent`, as the new tip of `branch`.

    `expected` is the branch's tip as bumper read it: None when the branch must not exist yet
    (it is created at `parent`), `parent` itself for a commit on top of the branch, anything
    else for a stale commit of bumper's that is replaced (the branch is reset to `parent`
    first). `direct`: `branch` is the base itself (a commit-mode reference), not a bot branch.
    """

    branch: str
    parent: str
    expected: str | None
    message: str  # with bumper's trailers; the host keeps it byte for byte
    author: tuple[str, str]  # (name, email); a host that sets its own author ignores it
    files: tuple[FileChange, ...]
    direct: bool = False


class BranchMoved(ProviderError):
    """The branch was not at `ApiCommit.expected` (or not absent): another run or a person
    moved it. Nothing was overwritten; the caller starts over from a fresh read."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="conflict")


@runtime_checkable
class CommitsThroughApi(Protocol):
    """Optional capability (`--commit-via api`): the host makes the commit itself, so it signs
    it and shows it Verified, and bumper pushes nothing with git."""

    def commit_through_api(self, commit: ApiCommit) -> str:
        """Make `commit` on the host and return the new commit's sha.

        Never overwrite a commit bumper did not read: raise BranchMoved when the branch is not
        at `commit.expected`. Raise ConfigError when this host cannot make this kind of commit
        without that risk (say why and what to use instead), before any write.
        """
        ...


@runtime_checkable
class ChecksAccess(Protocol):
    """Optional capability: say, without writing anything, whether the token may push a branch
    and open a pull request. A run that pushes to the base before it opens a PR asks first."""

    def check_access(self) -> None:
        """Raise ProviderError (kind "auth") when what the host tells a reader (the token's
        role on the repository, its scopes) shows that it cannot push a branch or open a pull
        request; return quietly when it may, or when the host does not say."""
        ...


def split_repo_url(repo_url: str) -> tuple[str, str]:
    """(host, repository path) of a git remote URL, for a provider to find its API by.

    https/http keep their port, ssh drops it (it is not the API's); the path loses a trailing
    `.git` and may be nested (GitLab subgroups). See bumper/git/url.py.
    """
    url = RepoUrl.parse(repo_url.strip())
    return url.api_host, url.owner_path()
