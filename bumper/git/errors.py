"""What git's stderr and push output mean to a user: one line, a stable kind, never a secret.

Every failed git command bumper runs passes through `map_error`; a push's porcelain output
through `parse_push`. New mappings go here, next to the patterns they extend.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple, NoReturn

from bumper.errors import ConfigError, NotFoundError, WorkspaceError
from bumper.git.url import RepoUrl
from bumper.secrets import redact, strip_userinfo
from bumper.tls import untrusted


class GitError(WorkspaceError):
    """A git failure with a stable `kind`: auth, host-key, ssh-key, ownership, not-found, empty,
    branch-not-found, branch-conflict, network, tls, rejected, refused, shallow-empty, other.
    Subclass of WorkspaceError so the CLI prints one line and exits 1."""

    def __init__(self, message: str, *, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class PushRejected(GitError):
    """The remote branch moved under us (lease/stale/non-fast-forward): rerun the whole loop."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="rejected")
        self.base: str | None = None  # set when the branch that moved is the base (mode: commit)


def raise_clone_failure(exc: GitError) -> NoReturn:
    """A failed clone as the user reads it: a --base that names no branch is bad input (exit 2),
    an empty repository holds no file that references the image (exit 3); any other failure
    stays the git error (exit 1)."""
    if exc.kind == "branch-not-found":
        raise ConfigError(exc.message) from exc
    if exc.kind == "empty":
        raise NotFoundError(exc.message) from exc
    raise exc


def is_network(exc: Exception) -> bool:
    """Whether `exc` is a transient transport failure, worth another try of an idempotent step."""
    return isinstance(exc, GitError) and exc.kind == "network"


_AUTH_PATTERNS = (
    "could not read username",
    "could not read password",
    "authentication failed",
    "terminal prompts disabled",
    "returned error: 401",
    "invalid username or password",
    "http basic: access denied",
)
_FORBIDDEN_PATTERNS = ("returned error: 403", "permission to ", "write access to repository")
_NOT_FOUND_PATTERNS = (
    "repository not found",
    "returned error: 404",
    "does not appear to be a git repository",
    "no such file or directory",
    "' not found",
    "could not be found or you don't have permission",
)
_NETWORK_PATTERNS = (
    "could not resolve host",
    "failed to connect",
    "connection refused",
    "connection reset",
    "connection timed out",
    "operation timed out",
    "empty reply from server",
    "recv failure",
    "send failure",
    "rpc failed",
    "early eof",
    "the remote end hung up",
    "transfer closed",
    "unexpected disconnect",
    "returned error: 5",
    "returned error: 429",
    "couldn't connect",
    "ssl",
    "gnutls",
    "http/2 stream",
    "invalid packet",
    "protocol error",
    "bad pack header",
    "index-pack failed",
    "unable to access",
    "could not read from remote repository",
    "fetch-pack: invalid",
    "remote did not send all necessary objects",
    "curl",
)


# What OpenSSH says (OpenSSH 9.2p1's own strings), before git's "Could not read from remote
# repository", which every ssh failure ends with and which alone reads as a network failure.
_HOST_KEY_CHANGED = ("remote host identification has changed", "has changed and you have requested strict")
_HOST_KEY_UNKNOWN = ("host key verification failed",)
_SSH_KEY_REFUSED = ("permission denied (publickey",)
_KNOWN_HOSTS_FILE = "GIT_SSH_COMMAND='ssh -o UserKnownHostsFile=/path/to/known_hosts'"


class _Rule(NamedTuple):
    """One row of the table: any of `patterns` in git's stderr (lower case) makes the failure
    `kind`, told as `message` (fields: action, where, host, known_as, keyscan, branch, detail, auth_hint)."""

    kind: str
    patterns: tuple[str, ...]
    message: str


# The first row that matches wins; a failure no row matches is "git ACTION failed …".
_RULES: tuple[_Rule, ...] = (
    _Rule(
        "host-key",
        _HOST_KEY_CHANGED,
        "the SSH host key of {host} is not the one known_hosts holds (REMOTE HOST IDENTIFICATION HAS "
        "CHANGED); if the host really changed its key, check the new fingerprint, remove the old key "
        f"(ssh-keygen -R {{known_as}}) and add the new one ({{keyscan}}), or point GIT_SSH_COMMAND at an "
        f"updated known_hosts file: {_KNOWN_HOSTS_FILE}",
    ),
    _Rule(
        "host-key",
        _HOST_KEY_UNKNOWN,
        "SSH host key verification failed for {host}: its key is not in known_hosts; add it after "
        "checking its fingerprint ({keyscan}), or point GIT_SSH_COMMAND at a known_hosts file: "
        f"{_KNOWN_HOSTS_FILE}",
    ),
    _Rule(
        "ssh-key",
        _SSH_KEY_REFUSED,
        "{host} refused the SSH key for {where} (Permission denied (publickey)); git over SSH signs "
        "in with an SSH key: give it one with write access to the repository (e.g. a deploy key), "
        "loaded into ssh-agent or named by GIT_SSH_COMMAND='ssh -i /path/to/key'",
    ),
    _Rule(
        "ownership",
        ("detected dubious ownership",),
        "git will not read the repository at {owned_path}: it is owned by another user than the one "
        "bumper runs as (e.g. a checkout mounted into a container or made by another CI step); if you "
        "trust it, run `git config --global --add safe.directory {owned_path}` first, or run bumper "
        "as its owner",
    ),
    _Rule("auth", _AUTH_PATTERNS, "authentication failed for {where}{heard}; {auth_hint}"),
    _Rule(
        "auth", _FORBIDDEN_PATTERNS, "permission denied for git {action} to {where}{heard}; {forbidden_hint}"
    ),
    _Rule(
        "branch-not-found",
        ("not found in upstream", "couldn't find remote ref"),
        "branch '{branch}' not found on {where}; check --base",
    ),
    _Rule(
        "shallow-empty",
        ("no commits selected for shallow requests",),
        "git {action} of {where}: no commits selected",
    ),
    _Rule("empty", ("empty repository",), "repository {where} is empty; push a first commit"),
    _Rule(
        "not-found",
        _NOT_FOUND_PATTERNS,
        "repository not found: {where}; check --repo and that the token can read it",
    ),
    _Rule("network", _NETWORK_PATTERNS, "network error during git {action} of {where}: {detail}"),
)

# Terminal escapes and other control characters a server may send: never printed.
_CONTROLS = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")


def _owned_path(detail: str) -> str | None:
    """The path in git's "detected dubious ownership in repository at '/path'"."""
    found = re.search(r"repository at '(.*)'", detail)
    return found.group(1) if found else None


def _meaningful_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines()]
    lines = [
        ln
        for ln in lines
        if ln and not ln.lower().startswith(("hint:", "cloning into", "to ", "done", "remote: "))
    ]
    for ln in reversed(lines):
        if ln.lower().startswith(("fatal:", "error:")):
            return ln.split(":", 1)[1].strip()
    return lines[-1] if lines else "no error output"


def map_error(
    stderr: str, *, action: str, url: str, token: str | None, branch: str | None, env: Mapping[str, str]
) -> GitError:
    """One line a user can act on, from git's stderr (the first row of _RULES that matches);
    never a token, URL userinfo or a terminal escape."""
    stderr = _CONTROLS.sub("", redact(stderr, token, env=env))
    low = stderr.lower()
    for rule in _RULES:
        if "{branch}" in rule.message and not branch:
            continue
        hit = next(
            (line for line in stderr.splitlines() if any(p in line.lower() for p in rule.patterns)), None
        )
        if rule.kind == "network" and (tls := untrusted(strip_userinfo(url), stderr)) is not None:
            return GitError(tls, kind="tls")  # before the network row: not retried, it stays untrusted
        if hit is None and not any(p in low for p in rule.patterns):
            continue
        # the first line naming the failure ("RPC failed; HTTP 503 ...") beats git's last words
        detail = _meaningful_line(hit) if hit is not None else _meaningful_line(stderr)
        said = remote_reason(stderr, token, env=env)
        fields = _fields(url, action, branch, token, detail, said)
        return GitError(rule.message.format(**fields), kind=rule.kind)
    said = remote_reason(stderr, token, env=env)
    heard = f' (the server said: "{said}")' if said else ""
    return GitError(f"git {action} failed for {strip_userinfo(url)}: {_meaningful_line(stderr)}{heard}")


def _forbidden_hint(action: str, said: str) -> str:
    """What to do about a 403: the host's own reason first (SAML single sign-on, an IP allow
    list, a blocked account), else the access the token lacks for `action`."""
    access = "write" if action == "push" else "read"
    if said:
        return (
            "do what the host's message asks (e.g. authorize the token for the organization's "
            f"single sign-on), or give the token {access} access to the repository contents"
        )
    return f"the token needs {access} access to the repository contents"


def _fields(
    url: str, action: str, branch: str | None, token: str | None, detail: str, said: str = ""
) -> dict[str, str]:
    where = strip_userinfo(url)
    try:
        parsed = RepoUrl.parse(url)
    except ConfigError:
        parsed = None
    host = (parsed.host if parsed is not None else None) or where
    port = parsed.port if parsed is not None else None
    return {
        "action": action,
        "where": where,
        "host": host,
        "known_as": f"'[{host}]:{port}'" if port else host,  # how known_hosts names it
        "keyscan": f"ssh-keyscan {f'-p {port} ' if port else ''}{host} >> ~/.ssh/known_hosts",
        "branch": branch or "",
        "detail": detail,
        "owned_path": _owned_path(detail) or where,
        "heard": f', the server said: "{said}"' if said else "",
        "forbidden_hint": _forbidden_hint(action, said),
        "auth_hint": "check that the token is valid and can access this repository"
        if token
        else "no token was given: set BUMPER_TOKEN (or GITHUB_TOKEN/GITLAB_TOKEN)",
    }


# Lines a server sends while it works, not about why it refused.
_PROGRESS = ("resolving deltas", "counting objects", "compressing objects", "writing objects", "total ")
MAX_REASON = 500


def remote_reason(stderr: str, token: str | None, *, env: Mapping[str, str]) -> str:
    """What the server itself said (its `remote:` lines: GitHub's GH006, GitLab's push rules, a
    pre-receive hook's words) as one line: progress, decoration and terminal escapes dropped,
    secrets masked, at most MAX_REASON characters."""
    said = []
    for line in stderr.splitlines():
        if not line.startswith("remote:"):
            continue
        text = _CONTROLS.sub("", line[len("remote:") :]).strip(" \t-*=")
        text = text.removeprefix("error:").strip()
        if text and not text.lower().startswith(_PROGRESS):
            said.append(text)
    joined = redact(" / ".join(said), token, env=env)
    return joined if len(joined) <= MAX_REASON else joined[: MAX_REASON - 1].rstrip() + "…"


_RETRY_REASONS = ("stale info", "non-fast-forward", "fetch first", "already exists")
# The server's own ref transaction lost a race with a concurrent push to the same branch
# (its old value no longer matched, or the ref was locked): as retryable as a stale lease.
_REMOTE_RACE_REASONS = ("failed to update ref", "cannot lock ref", "failed to lock", "incorrect old value")


# git's own words when a branch and a folder of branches would share a name ('bumper' and
# 'bumper/app'); the quoted ref is the one in the way.
_IN_THE_WAY = re.compile(r"'refs/heads/([^']+)' exists; cannot create")


def branch_in_the_way(branch: str, blocker: str, where: str) -> GitError:
    """`blocker` on the remote keeps `branch` from being created (a name cannot be both a branch
    and a folder of branches): said once, never retried."""
    return GitError(
        f"cannot create branch '{branch}' on {where}: the branch '{blocker}' is in the way (git "
        f"cannot hold both a branch and branches below it, as 'a' and 'a/b'); rename or delete "
        f"'{blocker}', or choose another branch name with --branch NAME",
        kind="branch-conflict",
    )


def parse_push(
    stdout: str, stderr: str, *, branch: str, url: str, token: str | None, env: Mapping[str, str]
) -> GitError | None:
    """Turn a porcelain `!` line into PushRejected (retry) or a plain GitError (give up) that
    quotes what the server said; None when no ref was refused (git failed otherwise)."""
    for line in stdout.splitlines():
        if not line.startswith("!"):
            continue
        in_the_way = _IN_THE_WAY.search(stderr)
        if in_the_way is not None:
            return branch_in_the_way(branch, in_the_way.group(1), strip_userinfo(url))
        summary = line.split("\t")[2] if line.count("\t") >= 2 else line
        lost_race = summary.startswith("[remote rejected]") and any(
            r in summary for r in _REMOTE_RACE_REASONS
        )
        reason = summary.removeprefix("[remote rejected]").removeprefix("[rejected]").strip(" ()")
        reason = _CONTROLS.sub("", redact(reason, token, env=env))
        if lost_race or (summary.startswith("[rejected]") and any(r in summary for r in _RETRY_REASONS)):
            return PushRejected(
                f"push of branch '{branch}' rejected: the remote branch changed meanwhile "
                f"({reason}); rerun to rebuild it"
            )
        said = remote_reason(stderr, token, env=env)
        heard = f', the server said: "{said}"' if said else ""
        return GitError(
            f"push of branch '{branch}' refused by the remote: {reason}{heard}; check the "
            "repository's branch protection, push rules and hooks, and the token's permissions",
            kind="refused",
        )
    return None
