"""What git's stderr and push output mean to a user: one line, a stable kind, never a secret.

Every failed git command bumper runs passes through `map_error`; a push's porcelain output
through `parse_push`. New mappings go here, next to the patterns they extend.
"""

from __future__ import annotations

from collections.abc import Mapping

from bumper.errors import WorkspaceError
from bumper.secrets import redact, strip_userinfo
from bumper.tls import untrusted


class GitError(WorkspaceError):
    """A git failure with a stable `kind`: auth, not-found, branch-not-found, network, tls, rejected,
    refused, shallow-empty, other. Subclass of WorkspaceError so the CLI prints one line and exits 1."""

    def __init__(self, message: str, *, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class PushRejected(GitError):
    """The remote branch moved under us (lease/stale/non-fast-forward): rerun the whole loop."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="rejected")


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
    "permission denied (publickey",
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
    """One line a user can act on, from git's stderr; never a token or URL userinfo."""
    stderr = redact(stderr, token, env=env)
    low = stderr.lower()
    where = strip_userinfo(url)
    detail = _meaningful_line(stderr)
    if any(p in low for p in _AUTH_PATTERNS):
        hint = (
            "check that the token is valid and can access this repository"
            if token
            else "no token was given: set BUMPER_TOKEN (or GITHUB_TOKEN/GITLAB_TOKEN)"
        )
        return GitError(f"authentication failed for {where}; {hint}", kind="auth")
    if any(p in low for p in _FORBIDDEN_PATTERNS):
        return GitError(
            f"permission denied for git {action} to {where}; the token needs write access to "
            "the repository contents",
            kind="auth",
        )
    if branch and (("remote branch" in low and "not found" in low) or "couldn't find remote ref" in low):
        return GitError(f"branch '{branch}' not found on {where}; check --base", kind="branch-not-found")
    if "no commits selected for shallow requests" in low:
        return GitError(f"git {action} of {where}: no commits selected", kind="shallow-empty")
    if "empty repository" in low:
        return GitError(f"repository {where} is empty; push a first commit", kind="not-found")
    if any(p in low for p in _NOT_FOUND_PATTERNS):
        return GitError(
            f"repository not found: {where}; check --repo and that the token can read it",
            kind="not-found",
        )
    if (tls := untrusted(where, stderr)) is not None:  # no retry: it stays untrusted
        return GitError(tls, kind="tls")
    if any(p in low for p in _NETWORK_PATTERNS):
        # the first line naming the failure ("RPC failed; HTTP 503 ...") beats git's last words
        for line in stderr.splitlines():
            if any(p in line.lower() for p in _NETWORK_PATTERNS):
                detail = _meaningful_line(line)
                break
        return GitError(f"network error during git {action} of {where}: {detail}", kind="network")
    return GitError(f"git {action} failed for {where}: {detail}")


_RETRY_REASONS = ("stale info", "non-fast-forward", "fetch first", "already exists")
# The server's own ref transaction lost a race with a concurrent push to the same branch
# (its old value no longer matched, or the ref was locked): as retryable as a stale lease.
_REMOTE_RACE_REASONS = ("failed to update ref", "cannot lock ref", "failed to lock", "incorrect old value")


def parse_push(stdout: str, branch: str) -> GitError | None:
    """Turn a porcelain `!` line into PushRejected (retry) or a plain GitError (give up)."""
    for line in stdout.splitlines():
        if not line.startswith("!"):
            continue
        summary = line.split("\t")[2] if line.count("\t") >= 2 else line
        lost_race = summary.startswith("[remote rejected]") and any(
            r in summary for r in _REMOTE_RACE_REASONS
        )
        reason = summary.removeprefix("[remote rejected]").removeprefix("[rejected]").strip(" ()")
        if lost_race or (summary.startswith("[rejected]") and any(r in summary for r in _RETRY_REASONS)):
            return PushRejected(
                f"push of branch '{branch}' rejected: the remote branch changed meanwhile "
                f"({reason}); rerun to rebuild it"
            )
        return GitError(
            f"push of branch '{branch}' refused by the remote: {reason}; check branch "
            "protection rules and the token's permissions",
            kind="refused",
        )
    return None
