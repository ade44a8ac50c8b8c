"""The git side of `bump --repo`: a shallow, hook-free, filter-free clone; one commit; a leased push.

This is the only module that imports GitPython. Everything it runs is plain `git` with a
per-call environment, because that environment is where the two safety properties live:

- The token travels only as an environment-config `http.<url>.extraHeader`
  (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`): never in argv, the URL, or any file
  under `.git/`, so neither `ps`, GitPython's error text nor a leaked workspace shows it.
- The manifests repository is untrusted input: hooks are disabled (`core.hooksPath=/dev/null`) and
  `$GIT_DIR/info/attributes` unsets every filter/eol/encoding attribute *before* the first
  checkout, so no `.gitattributes` can run a command or change a byte we read or commit.

URLs with credentials: an http(s) URL carrying userinfo (`https://user:pw@host/x.git`) is refused
with a `ConfigError` instead of being silently stripped — a password there means the caller put the
token in the wrong place, and stripping it would turn that into a confusing auth failure. Any
userinfo that still reaches a message (e.g. from git's own stderr) is redacted.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import git

from bumper.changes import add_trailers
from bumper.errors import ConfigError, WorkspaceError
from bumper.git.refname import validate_branch_name
from bumper.git.url import RepoUrl
from bumper.ownership import ownership_trailers
from bumper.retry import retry
from bumper.secrets import basic_credentials as _basic
from bumper.secrets import redact, strip_userinfo

# Unset every attribute that makes git transform bytes or run a command on checkout/add.
# $GIT_DIR/info/attributes has the highest precedence, so this overrides any .gitattributes.
SAFE_ATTRIBUTES = "* -filter -text -eol -ident -working-tree-encoding -diff -merge\n"

# Configuration injected through the environment for every git call (highest precedence after
# the command line, lower than nothing we need). Keeps user/runner config from running code.
_SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", os.devnull),
    ("core.autocrlf", "false"),
    ("core.fsmonitor", "false"),
    ("core.askPass", ""),
    ("commit.gpgSign", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("push.recurseSubmodules", "no"),
    ("protocol.ext.allow", "never"),
    ("advice.detachedHead", "false"),
    # A stalled transfer fails instead of hanging the CI job forever.
    ("http.lowSpeedLimit", "1"),
    ("http.lowSpeedTime", "60"),
)

# Transient failures (network, 5xx) of idempotent steps are retried this many times in total.
ATTEMPTS = 3
BACKOFF_SECONDS = 0.3

_T = TypeVar("_T")


class GitError(WorkspaceError):
    """A git failure with a stable `kind`: auth, not-found, branch-not-found, network, rejected,
    other. Subclass of WorkspaceError so the CLI prints one line and exits 1."""

    def __init__(self, message: str, *, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class PushRejected(GitError):
    """The remote branch moved under us (lease/stale/non-fast-forward): rerun the whole loop."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="rejected")


def _check_ident(value: str, what: str) -> None:
    if not value or any(c in value for c in "<>\n\r\x00"):
        raise ConfigError(f"invalid commit author {what} {value!r}; use --author 'Name <email>'")


# ---------------------------------------------------------------------------------------------
# URLs and redaction


def _normalize_url(url: str) -> tuple[str, str | None]:
    """(URL for git, the http(s) URL the token header is scoped to or None); see git/url.py."""
    parsed = RepoUrl.parse(url)
    return parsed.git_url, parsed.header_url


# ---------------------------------------------------------------------------------------------
# Error mapping

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


def _map_error(stderr: str, *, action: str, url: str, token: str | None, branch: str | None) -> GitError:
    """One line a user can act on, from git's stderr; never the token or URL userinfo."""
    stderr = redact(stderr, token)
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
    if any(p in low for p in _NETWORK_PATTERNS):
        # the first line naming the failure ("RPC failed; HTTP 503 ...") beats git's last words
        for line in stderr.splitlines():
            if any(p in line.lower() for p in _NETWORK_PATTERNS):
                detail = _meaningful_line(line)
                break
        return GitError(f"network error during git {action} of {where}: {detail}", kind="network")
    return GitError(f"git {action} failed for {where}: {detail}")


# ---------------------------------------------------------------------------------------------


def _grep_args(needles: Sequence[bytes]) -> list[str]:
    # No -I: info/attributes marks every file -diff, which grep would take as binary.
    args = ["grep", "-l", "-z", "-F", "--no-color"]
    for needle in needles:
        args += ["-e", needle.decode()]
    return args


class Workspace:
    """A clone of the manifests repository, checked out at `base_sha` in `path`."""

    def __init__(
        self,
        path: Path,
        *,
        url: str,
        base: str,
        base_sha: str,
        token: str | None,
        sparse_paths: Sequence[str] | None,
        _git_url: str | None = None,
        _header_url: str | None = None,
    ) -> None:
        self.path = path
        self.url = strip_userinfo(url)
        self.base = base
        self.base_sha = base_sha
        self.sparse_paths = list(sparse_paths) if sparse_paths is not None else None
        self._token = token
        self._git_url = _git_url or url
        self._header_url = _header_url
        self._git = git.Git(str(path))

    def __repr__(self) -> str:
        return f"Workspace(path={str(self.path)!r}, url={self.url!r}, base={self.base!r})"

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def clone(
        cls,
        url: str,
        *,
        base: str | None,
        token: str | None,
        dest: Path,
        sparse_paths: list[str] | None = None,
        checkout: bool = True,
        history: bool = False,
    ) -> Workspace:
        """Shallow single-branch clone of `base` (default: the remote's default branch) to `dest`.

        With `sparse_paths` (gitignore-style globs such as `*.yaml` or `apps/**`) the clone is also
        blobless and sparse, so only matching files are downloaded and checked out. `history`
        makes it a blobless clone of the whole history instead (blobs come with fetch_objects).
        `dest` must not exist or be empty. Hooks and .gitattributes transformations never run.
        """
        if base is not None:
            validate_branch_name(base)
        git_url, header_url = _normalize_url(url)
        dest = Path(dest)
        existed = dest.exists()
        if existed and any(dest.iterdir()):
            raise WorkspaceError(f"clone destination {dest} is not empty")
        ws = cls(
            dest,
            url=url,
            base=base or "",
            base_sha="",
            token=token,
            sparse_paths=sparse_paths,
            _git_url=git_url,
            _header_url=header_url,
        )
        args = ["clone", "--quiet", "--no-checkout", "--single-branch"]
        args += [] if history else ["--depth", "1"]
        args += ["--no-tags", "--origin", "origin"]
        if base:
            args += ["--branch", base]
        if sparse_paths is not None:
            args += ["--filter=blob:none", "--sparse"]
        elif history:
            args.append("--filter=blob:none")
        if header_url is None and "://" not in git_url and Path(git_url).is_absolute():
            args.append("--no-local")  # otherwise --depth/--filter are ignored for paths
        args += ["--", git_url, str(dest)]

        def attempt() -> None:
            try:
                ws._run(args, action="clone", branch=base, cwd=dest.parent, in_repo=False)
            except GitError:
                _wipe(dest, keep=existed)
                raise

        dest.parent.mkdir(parents=True, exist_ok=True)
        ws._retrying(attempt)
        try:
            (ws._git_dir / "info").mkdir(exist_ok=True)
            (ws._git_dir / "info" / "attributes").write_text(SAFE_ATTRIBUTES)
            if sparse_paths is not None:
                ws._run(
                    ["sparse-checkout", "set", "--no-cone", "--", *sparse_paths],
                    action="sparse-checkout",
                )
            # Populates index and work tree from HEAD, honouring the sparse patterns; blobs of
            # a partial clone are fetched here, with the same auth environment.
            if checkout:
                ws._retrying(lambda: ws._run(["reset", "--quiet", "--hard", "HEAD"], action="checkout"))
            ws.base_sha = ws._out(["rev-parse", "--verify", "HEAD^{commit}"], action="clone")
            if not base:
                ws.base = ws._out(["symbolic-ref", "--short", "HEAD"], action="clone")
        except BaseException:
            _wipe(dest, keep=existed)
            raise
        return ws

    @classmethod
    def remote_head(cls, url: str, *, token: str | None, cwd: Path) -> str | None:
        """The branch the remote's HEAD names, asked before any clone (one `ls-remote`)."""
        git_url, header_url = _normalize_url(url)
        probe = cls(
            cwd,
            url=url,
            base="",
            base_sha="",
            token=token,
            sparse_paths=None,
            _git_url=git_url,
            _header_url=header_url,
        )
        out = probe._retrying(
            lambda: probe._out(
                ["ls-remote", "--symref", "--", git_url, "HEAD"], action="ls-remote", in_repo=False
            )
        )
        return _head_branch(out)

    # -- reading ------------------------------------------------------------------------------

    def remote_branch_sha(self, branch: str) -> str | None:
        """The sha `branch` has on the remote right now, or None when it does not exist."""
        validate_branch_name(branch)
        ref = f"refs/heads/{branch}"
        out = self._retrying(lambda: self._out(["ls-remote", "--heads", "origin", ref], action="ls-remote"))
        for line in out.splitlines():
            sha, _, name = line.partition("\t")
            if name == ref:
                return sha
        return None

    def fetch_branch(self, branch: str) -> str:
        """Shallow-fetch the remote `branch` (its tip and the tip's parents) into
        `refs/remotes/origin/<branch>`; return its sha.

        Lets the caller read what the bot branch already holds (`read_file`) and whether its
        tip is bumper's own commit (`commit_shape`, `changed_entries` need the parents).
        """
        validate_branch_name(branch)
        local = f"refs/remotes/origin/{branch}"
        spec = f"+refs/heads/{branch}:{local}"
        self._retrying(
            lambda: self._run(
                ["fetch", "--quiet", "--no-tags", "--depth", "2", "origin", spec],
                action="fetch",
                branch=branch,
            )
        )
        return self._out(["rev-parse", "--verify", f"{local}^{{commit}}"], action="fetch")

    def commit_shape(self, sha: str) -> tuple[str, list[str], int]:
        """Message, parent shas and committer time of a fetched commit."""
        raw = self._out(["cat-file", "commit", sha], action="read")
        header, _, message = raw.partition("\n\n")
        parents = [ln.split()[1] for ln in header.splitlines() if ln.startswith("parent ")]
        when = 0
        for ln in header.splitlines():
            if ln.startswith("committer "):
                fields = ln.rsplit(" ", 2)
                when = int(fields[1]) if len(fields) == 3 and fields[1].isdigit() else 0
        return message, parents, when

    def changed_entries(self, old: str, new: str) -> list[tuple[str, str]]:
        """`(path, new blob id)` for every path that differs between two commits or trees
        ('' for a deleted path): what bumper's ownership digest covers."""
        out = self._run(["diff-tree", "-r", "-z", "--no-renames", old, new], action="read")
        assert isinstance(out, str)
        fields = out.split("\0")
        entries = []
        for meta, path in zip(fields[0::2], fields[1::2]):
            parts = meta.split()
            if len(parts) >= 5:
                blob = "" if parts[4].startswith("D") else parts[3]
                entries.append((path, blob))
        return entries

    def on_base(self, sha: str) -> bool:
        """Whether commit `sha` is in the base branch's history (deepening the shallow clone
        back to `sha`'s date when it is not the base tip)."""
        if sha == self.base_sha:
            return True
        when = self.commit_shape(sha)[2]
        if when > self.commit_shape(self.base_sha)[2]:
            return False  # newer than the tip of the base: not one of its commits
        spec = f"+refs/heads/{self.base}:refs/remotes/origin/{self.base}"
        try:
            self._retrying(
                lambda: self._run(
                    ["fetch", "--quiet", "--no-tags", f"--shallow-since=@{max(when - 1, 0)}", "origin", spec],
                    action="fetch",
                    branch=self.base,
                )
            )
        except GitError as exc:
            if exc.kind != "shallow-empty":
                raise
            # the whole history is newer than `sha`: fetch all of it
            self._retrying(
                lambda: self._run(
                    ["fetch", "--quiet", "--no-tags", "--unshallow", "origin", spec],
                    action="fetch",
                    branch=self.base,
                )
            )
        status, _, _ = self._git.execute(
            ["git", "merge-base", "--is-ancestor", sha, self.base_sha],
            env=self._env(in_repo=True),
            with_extended_output=True,
            with_exceptions=False,
        )
        return status == 0

    def fetch_objects(self, oids: Sequence[str]) -> None:
        """Download these objects into a blobless clone in few requests, as git's own lazy
        fetch does one by one."""
        args = ["-c", "fetch.negotiationAlgorithm=noop", "fetch", "--quiet", "--no-tags"]
        args += ["--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "origin"]
        for start in range(0, len(oids), 2000):  # stays far below the argv limit
            command = [*args, *oids[start : start + 2000]]
            self._retrying(functools.partial(self._run, command, action="fetch"))

    def git_env(self) -> dict[str, str]:
        """The environment of a git command in this clone (auth, safe config) for callers that
        stream git's output themselves."""
        return dict(os.environ, **self._env(in_repo=True))

    def read_file(self, ref: str, relpath: str) -> bytes | None:
        """The exact bytes of `relpath` at `ref` (sha or ref name), or None when it is absent."""
        relpath = relpath.strip("/")
        listing = self._out(["ls-tree", "-z", ref, "--", relpath], action="read")
        entry = listing.split("\0")[0]
        meta, _, name = entry.partition("\t")
        if name != relpath or meta.split(" ")[1:2] != ["blob"]:
            return None
        out = self._retrying(
            lambda: self._run(["cat-file", "blob", f"{ref}:{relpath}"], action="read", binary=True)
        )
        assert isinstance(out, bytes)
        return out

    def same_content(self, sha: str, other: str) -> bool:
        """Whether two commits hold the same tree on the same parent (a rerun's commit vs
        the bot branch): then there is nothing to push."""

        def header(commit: str) -> list[str]:
            # cat-file, not log: a shallow-fetched commit hides its parents from log.
            raw = self._out(["cat-file", "commit", commit], action="read").split("\n\n", 1)[0]
            return [line for line in raw.splitlines() if line.startswith(("tree ", "parent "))]

        return header(sha) == header(other)

    def remote_default_branch(self) -> str | None:
        """The branch the remote's HEAD points at, or None when it does not say."""
        out = self._retrying(
            lambda: self._out(["ls-remote", "--symref", "origin", "HEAD"], action="ls-remote")
        )
        return _head_branch(out)

    def changed_paths(self) -> list[str]:
        """Paths in the work tree that differ from `base_sha` (added, modified, deleted)."""
        self._run(["add", "--all"], action="add")
        out = self._run(
            ["diff", "--cached", "--name-only", "-z", "--no-renames", self.base_sha, "--"],
            action="diff",
        )
        assert isinstance(out, str)
        return sorted(p for p in out.split("\0") if p)

    # -- writing ------------------------------------------------------------------------------

    def grep_tree(self, needles: Sequence[bytes]) -> list[str]:
        """Files of the base commit whose text contains any needle, searched in the object
        store: a clone made with checkout=False then checks out only these (checkout_only)."""
        return [p.partition(":")[2] for p in self._grep([*_grep_args(needles), "HEAD"])]

    def checkout_only(self, paths: Sequence[str]) -> None:
        """Check out just `paths` (plus every Chart.yaml, which tells chart templates apart);
        the index keeps all other files, so commits still hold the whole tree."""
        patterns = ["Chart.yaml", *(_literal_pattern(p) for p in paths)]
        self._run(
            ["sparse-checkout", "set", "--no-cone", "--stdin"],
            action="sparse-checkout",
            stdin="".join(f"{p}\n" for p in patterns).encode("utf-8", "surrogateescape"),
        )
        self._retrying(lambda: self._run(["reset", "--quiet", "--hard", "HEAD"], action="checkout"))

    def grep_files(self, needles: Sequence[bytes]) -> list[str]:
        """Tracked files of the work tree whose text contains any needle (git's threaded grep
        is ~10x faster than reading every file of a big tree from Python)."""
        return self._grep(_grep_args(needles))

    def _grep(self, args: list[str]) -> list[str]:
        env = self._env(in_repo=True)
        status, out, err = self._git.execute(
            ["git", *args],
            env=env,
            with_extended_output=True,
            with_exceptions=False,
            strip_newline_in_stdout=False,
        )
        if status not in (0, 1):  # 1: no match
            raise _map_error(str(err), action="grep", url=self.url, token=self._token, branch=None)
        return sorted(p for p in str(out).split("\0") if p)

    def commit_all(
        self,
        branch: str,
        message: str,
        author_name: str,
        author_email: str,
        paths: Sequence[str] | None = None,
        signing: Sequence[tuple[str, str]] = (),
    ) -> str:
        """Commit the work-tree changes (all, or only `paths`) as one commit on top of
        `base_sha`, on local `branch`.

        Always exactly one commit above base (a second call replaces the first), committer =
        author, no hooks; signed only with `signing` (git configuration from signing.py, given
        on this one command line). Returns the new sha; raises WorkspaceError when nothing
        changed. Naming `paths` spares git a scan of every file of a big tree.
        """
        validate_branch_name(branch)
        _check_ident(author_name, "name")
        _check_ident(author_email, "email")
        if paths is None:
            self._run(["add", "--all"], action="add")
        else:  # literal pathspecs (GIT_LITERAL_PATHSPECS) on stdin: no glob, no argv limit
            listed = "".join(f"{p}\0" for p in paths).encode("utf-8", "surrogateescape")
            self._run(["add", "--pathspec-from-file=-", "--pathspec-file-nul"], action="add", stdin=listed)
        tree = self._out(["write-tree"], action="commit")
        base_tree = self._out(["rev-parse", f"{self.base_sha}^{{tree}}"], action="commit")
        if tree == base_tree:
            raise GitError(f"nothing to commit on top of {self.base} ({self.base_sha[:12]})")
        ident = {
            "GIT_AUTHOR_NAME": author_name,
            "GIT_AUTHOR_EMAIL": author_email,
            "GIT_COMMITTER_NAME": author_name,
            "GIT_COMMITTER_EMAIL": author_email,
        }
        # The trailers make the commit recognisably bumper's (bumper/ownership.py); the
        # message goes on stdin, as one argv entry above ~128 KiB fails with E2BIG.
        marked = add_trailers(message, ownership_trailers(branch, self.changed_entries(self.base_sha, tree)))
        sign = [arg for key, value in signing for arg in ("-c", f"{key}={value}")]
        sha = self._out(
            [
                *sign,
                "commit-tree",
                "-S" if signing else "--no-gpg-sign",
                tree,
                "-p",
                self.base_sha,
                "-F",
                "-",
            ],
            action="commit",
            extra_env=ident,
            stdin=marked.encode("utf-8"),
        )
        self._run(["update-ref", f"refs/heads/{branch}", sha], action="commit")
        self._run(["symbolic-ref", "HEAD", f"refs/heads/{branch}"], action="commit")
        return sha

    def push(self, branch: str, expected_remote_sha: str | None, *, fast_forward_only: bool = False) -> None:
        """Push local `branch` to the remote branch of the same name, leased on its old value.

        `expected_remote_sha` is what `remote_branch_sha` returned (None: must not exist yet).
        A rerun therefore replaces the bot's previous commit, while a branch moved by someone
        else in between raises PushRejected. Transient network errors are retried; a retry
        that finds our commit already there counts as success. `fast_forward_only` (a direct
        commit to the base) pushes with no force at all: the remote takes it only on top of
        what it holds, and a base that moved meanwhile raises PushRejected too.
        """
        validate_branch_name(branch)
        ref = f"refs/heads/{branch}"
        local_sha = self._out(["rev-parse", "--verify", f"{ref}^{{commit}}"], action="push")
        lease = [] if fast_forward_only else [f"--force-with-lease={ref}:{expected_remote_sha or ''}"]
        args = ["push", "--porcelain", "--no-verify", *lease, "origin", f"{ref}:{ref}"]

        def attempt(n: int) -> None:
            # A retry first asks whether the lost answer was a success: our commit is there.
            if n and self.remote_branch_sha(branch) == local_sha:
                return
            try:
                self._run(args, action="push", branch=branch)
            except _PushFailure as failure:
                raise _parse_push(failure.stdout, branch) or failure.error from None

        retry(attempt, attempts=ATTEMPTS, retry_on=_is_network, wait=_backoff)

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def _git_dir(self) -> Path:
        return self.path / ".git"

    def _env(self, *, in_repo: bool) -> dict[str, str]:
        pairs = list(_SAFE_CONFIG)
        if self._token and self._header_url:
            header = f"Authorization: Basic {_basic(self._token)}"
            key = f"http.{self._header_url}.extraHeader"
            # An empty value first resets headers configured elsewhere (e.g. a runner's global
            # config), so exactly one Authorization header is sent.
            pairs += [("credential.helper", ""), (key, ""), (key, header)]
        try:
            start = int(os.environ.get("GIT_CONFIG_COUNT", "0") or "0")
        except ValueError:
            start = 0
        env = {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_LITERAL_PATHSPECS": "1",
            "GCM_INTERACTIVE": "never",
            "GIT_CONFIG_COUNT": str(start + len(pairs)),
        }
        for i, (key, value) in enumerate(pairs, start):
            env[f"GIT_CONFIG_KEY_{i}"] = key
            env[f"GIT_CONFIG_VALUE_{i}"] = value
        if in_repo:
            env["GIT_DIR"] = str(self._git_dir)
            env["GIT_WORK_TREE"] = str(self.path)
        return env

    def _run(
        self,
        args: list[str],
        *,
        action: str,
        branch: str | None = None,
        cwd: Path | None = None,
        in_repo: bool = True,
        binary: bool = False,
        extra_env: dict[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> str | bytes:
        env = self._env(in_repo=in_repo)
        if extra_env:
            env.update(extra_env)
        runner = git.Git(str(cwd)) if cwd is not None else self._git
        # GitPython wants a real file as stdin
        with tempfile.TemporaryFile() if stdin is not None else contextlib.nullcontext() as feed:
            if feed is not None and stdin is not None:
                feed.write(stdin)
                feed.seek(0)
            status, out, err = runner.execute(
                ["git", *args],
                env=env,
                with_extended_output=True,
                with_exceptions=False,
                strip_newline_in_stdout=False,
                stdout_as_string=not binary,
                istream=feed,
            )
        if status != 0:
            stderr = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err)
            error = _map_error(stderr, action=action, url=self.url, token=self._token, branch=branch)
            if action == "push":
                stdout = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
                raise _PushFailure(error, stdout or "")
            raise error
        return out if out is not None else ""

    def _out(self, args: list[str], **kw: object) -> str:
        out = self._run(args, **kw)  # type: ignore[arg-type]
        assert isinstance(out, str)
        return out.strip()

    def _retrying(self, fn: Callable[[], _T]) -> _T:
        """Call `fn`, retrying network-kind GitErrors with backoff (idempotent steps only)."""
        return retry(lambda _: fn(), attempts=ATTEMPTS, retry_on=_is_network, wait=_backoff)


def _is_network(exc: Exception) -> bool:
    return isinstance(exc, GitError) and exc.kind == "network"


def _backoff(n: int) -> float:
    return BACKOFF_SECONDS * 2.0**n


def _head_branch(ls_remote: str) -> str | None:
    """The branch of `ref: refs/heads/<name>\tHEAD` in `ls-remote --symref` output."""
    for line in ls_remote.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            return line[len("ref: refs/heads/") : -len("\tHEAD")]
    return None


def _literal_pattern(path: str) -> str:
    """A sparse-checkout (gitignore) pattern matching exactly `path` from the root: every
    character a pattern reads specially is escaped. A newline cannot be written in a pattern
    file, so it becomes `?` (any one character): a superset, which the plan filters again."""
    escaped = "".join("?" if c == "\n" else "\\" + c if c in "\\[]*?!# " else c for c in path)
    return "/" + escaped


def _wipe(dest: Path, *, keep: bool) -> None:
    """Undo a failed clone: remove `dest`, or only its contents when the caller created it."""
    if not dest.exists():
        return
    if not keep:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


class _PushFailure(Exception):
    """Internal: a failed push with its porcelain stdout, classified by `push`."""

    def __init__(self, error: GitError, stdout: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.stdout = stdout


_RETRY_REASONS = ("stale info", "non-fast-forward", "fetch first", "already exists")
# The server's own ref transaction lost a race with a concurrent push to the same branch
# (its old value no longer matched, or the ref was locked): as retryable as a stale lease.
_REMOTE_RACE_REASONS = ("failed to update ref", "cannot lock ref", "failed to lock", "incorrect old value")


def _parse_push(stdout: str, branch: str) -> GitError | None:
    """Turn a porcelain `!` line into PushRejected (retry) or a plain GitError (give up)."""
    for line in stdout.splitlines():
        if not line.startswith("!"):
            continue
        summary = line.split("\t")[2] if line.count("\t") >= 2 else line
        lost_race = summary.startswith("[remote rejected]") and any(
            r in summary for r in _REMOTE_RACE_REASONS
        )
        if lost_race or (summary.startswith("[rejected]") and any(r in summary for r in _RETRY_REASONS)):
            return PushRejected(
                f"push of branch '{branch}' rejected: the remote branch changed meanwhile "
                f"({summary.removeprefix('[remote rejected]').removeprefix('[rejected]').strip(' ()')}); "
                "rerun to rebuild it"
            )
        reason = summary.removeprefix("[remote rejected]").removeprefix("[rejected]").strip(" ()")
        return GitError(
            f"push of branch '{branch}' refused by the remote: {reason}; check branch "
            "protection rules and the token's permissions",
            kind="refused",
        )
    return None
