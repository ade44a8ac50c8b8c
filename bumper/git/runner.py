"""Running git for bumper: the scrubbed environment, one subprocess per command, stdin, errors mapped.

The token travels only as an environment-config `http.<url>.extraHeader`
(`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`): never in argv, the URL, or any file
under `.git/`, so neither `ps`, an error text nor a leaked clone shows it. The same
environment switches off hooks and everything else in user or runner configuration that could
run a command. git runs through `subprocess` directly: GitPython, used here only to start the
process, cost ~0.1 s of import and two `git version` runs on every remote run (issue 30).
"""

from __future__ import annotations

import contextlib
import copy
import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TypeVar

from bumper.git import children
from bumper.git.errors import GitError, is_network, map_error
from bumper.git.url import RepoUrl, strip_userinfo
from bumper.retry import retry
from bumper.secrets import basic_credentials, keep_secret
from bumper.termination import held
from bumper.tls import git_env

# Configuration injected through the environment for every git call (highest precedence after
# the command line, lower than nothing we need). Keeps user/runner config from running code.
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
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

# What locates a repository for git (`git rev-parse --local-env-vars`, GIT_NAMESPACE): set where
# bumper runs inside a hook (GIT_INDEX_FILE in pre-commit, GIT_DIR) or a git alias, they would
# point bumper's clone at the user's own repository: read-tree would overwrite its index. The
# configuration variables of that list stay (bumper adds its own after them).
REPOSITORY_ENV = frozenset(
    "GIT_DIR GIT_WORK_TREE GIT_IMPLICIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_COMMON_DIR"
    " GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_GRAFT_FILE GIT_NO_REPLACE_OBJECTS GIT_REPLACE_REF_BASE"
    " GIT_PREFIX GIT_INTERNAL_SUPER_PREFIX GIT_SHALLOW_FILE GIT_NAMESPACE GIT_QUARANTINE_PATH".split()
)

# Transient failures (network, 5xx) of idempotent steps are retried this many times in total.
ATTEMPTS = 3
BACKOFF_SECONDS = 0.3

T = TypeVar("T")


class Running:
    """A git command GitRunner.start started; ends through `finish` or `stop`, never left behind."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc

    def finish(self, let_finish: bool = False) -> tuple[int, bytes, str]:
        """Wait for git's end: (exit status, stdout, stderr). Interrupted, git and its helpers
        are stopped first (children.communicate; `let_finish`: a push is given a few seconds)."""
        out, err = children.communicate(self._proc, let_finish=let_finish)
        return self._proc.returncode, out, err.decode("utf-8", "replace")

    def stop(self) -> None:
        """End git and its helpers now (when they still run) and wait for them: the run failed
        before it needed the answer."""
        children.stop(self._proc)


def retried(call: Callable[[int], T]) -> T:
    """`call(n)`, called again with backoff while it fails with a network-kind GitError: only
    for steps that are safe to repeat (or, like push, check first whether the last try landed)."""
    return retry(call, attempts=ATTEMPTS, retry_on=is_network, wait=lambda n: BACKOFF_SECONDS * 2.0**n)


class GitRunner:
    """Runs git against one repository URL with bumper's environment; inside a clone once
    `work_tree` is set (`GIT_DIR`/`GIT_WORK_TREE`), anywhere else (clone, ls-remote) before."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        env: Mapping[str, str],
        work_tree: Path | None = None,
        authorization: str | None = None,
    ) -> None:
        parsed = RepoUrl.parse(url)
        self.git_url = parsed.git_url  # what git is given (a local path made absolute)
        self.scheme = parsed.scheme
        self.url = strip_userinfo(url)  # what messages show
        self.token = token
        self.env = env  # the process environment git inherits (cli.py reads it once)
        self.work_tree = work_tree
        # The header's value when the host wants other than Basic x-access-token:TOKEN (a
        # provider's ProviderSpec.git_authorization: Bitbucket's x-token-auth, a bearer token).
        self._authorization = authorization
        if authorization:  # its credential is as secret as the token, in any message git prints
            keep_secret(authorization.partition(" ")[2])
        self._header_url = parsed.header_url
        self._host = parsed.host

    def __repr__(self) -> str:
        return f"GitRunner(url={self.url!r}, work_tree={str(self.work_tree)!r})"

    def inside(self, work_tree: Path) -> GitRunner:
        """The same runner, now running in the clone at `work_tree`."""
        runner = copy.copy(self)
        runner.work_tree = work_tree
        return runner

    def environment(self) -> dict[str, str]:
        """The variables bumper adds to the process environment for every git command."""
        pairs = list(SAFE_CONFIG)
        if self.token and self._header_url:
            header = f"Authorization: {self._authorization or 'Basic ' + basic_credentials(self.token)}"
            key = f"http.{self._header_url}.extraHeader"
            # An empty value first resets headers configured elsewhere (e.g. a runner's global
            # config), so exactly one Authorization header is sent.
            pairs += [("credential.helper", ""), (key, ""), (key, header)]
        try:
            start = int(self.env.get("GIT_CONFIG_COUNT", "0") or "0")
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
        env.update(git_env(self.env, self._host))  # the CA file the API client trusts too
        if self.work_tree is not None:
            env["GIT_DIR"] = str(self.work_tree / ".git")
            env["GIT_WORK_TREE"] = str(self.work_tree)
        return env

    def execute(
        self,
        args: list[str],
        *,
        cwd: Path | None = None,
        binary: bool = False,
        extra_env: dict[str, str] | None = None,
        stdin: bytes | None = None,
        let_finish: bool = False,
    ) -> tuple[int, str | bytes, str]:
        """`git *args` as it ends: (exit status, stdout, stderr); the caller judges the status.

        Interrupted (Ctrl-C, SIGTERM), git and its helpers are stopped and waited for before
        the interruption goes on; `let_finish` (a push) lets git end by itself first, for a
        few seconds (bumper/git/children.py)."""
        with tempfile.TemporaryFile() if stdin is not None else contextlib.nullcontext() as feed:
            if feed is not None and stdin is not None:
                feed.write(stdin)
                feed.seek(0)
            status, out, err = self.start(args, cwd=cwd, extra_env=extra_env, feed=feed).finish(let_finish)
        stdout = out if binary else out.decode("utf-8", "surrogateescape")
        return status, stdout, err

    def start(
        self,
        args: list[str],
        *,
        cwd: Path | None = None,
        extra_env: dict[str, str] | None = None,
        feed: IO[bytes] | None = None,
    ) -> Running:
        """`git *args` started and not waited for: execute's first half, or a read that runs
        beside another git command (what it prints waits in its pipes until `finish` reads
        it). The caller owns it from here: `finish()` it, or `stop()` it when the run fails
        first."""
        # git's messages in English, whatever the locale: errors.py reads them
        inherited = {k: v for k, v in os.environ.items() if k not in REPOSITORY_ENV}
        env = {**inherited, "LANGUAGE": "C", "LC_ALL": "C", **self.environment()}
        if extra_env:
            env.update(extra_env)
        try:
            with held():  # a SIGTERM meanwhile is raised once the child is tracked
                proc = subprocess.Popen(  # noqa: S603 - argv of our own, never a shell
                    ["git", *args],
                    env=env,
                    cwd=cwd if cwd is not None else self.work_tree,
                    stdin=feed if feed is not None else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    **children.popen_options(),
                )
                children.track(proc)
        except FileNotFoundError as exc:
            if exc.filename != "git":
                raise
            raise GitError("git is not installed or not on PATH; install git") from None
        return Running(proc)

    def error(self, stderr: str, *, action: str, branch: str | None = None) -> GitError:
        """The one-line error for a failed `action` (bumper/git/errors.py)."""
        return map_error(stderr, action=action, url=self.url, token=self.token, branch=branch, env=self.env)

    def run(
        self,
        args: list[str],
        *,
        action: str,
        branch: str | None = None,
        cwd: Path | None = None,
        extra_env: dict[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> str:
        """git's stdout as text; a failure raises the mapped GitError."""
        status, out, err = self.execute(args, cwd=cwd, extra_env=extra_env, stdin=stdin)
        if status != 0:
            raise self.error(err, action=action, branch=branch)
        assert isinstance(out, str)
        return out

    def run_bytes(self, args: list[str], *, action: str, stdin: bytes | None = None) -> bytes:
        """git's stdout as bytes (a blob's exact content); a failure raises the mapped GitError."""
        status, out, err = self.execute(args, binary=True, stdin=stdin)
        if status != 0:
            raise self.error(err, action=action)
        assert isinstance(out, bytes)
        return out

    def out(
        self,
        args: list[str],
        *,
        action: str,
        cwd: Path | None = None,
        extra_env: dict[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> str:
        """git's stdout without surrounding whitespace (a sha, a branch name)."""
        return self.run(args, action=action, cwd=cwd, extra_env=extra_env, stdin=stdin).strip()
