"""Exit codes and the user-fixable error tree; cli.py is the only place that turns them into output."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum, unique
from typing import Any


@unique
class ExitCode(IntEnum):
    """The exit-code table of docs/reference.md (and the README)."""

    OK = 0
    FAILURE = 1
    BAD_INPUT = 2
    NOT_FOUND = 3
    INTERRUPTED = 130
    TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a process SIGTERM ended


class BumperError(Exception):
    """An error the user can fix; printed as one line, never with a traceback."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        # {"branch", "sha"} of a direct commit (mode: commit) pushed before this failure
        self.commit: dict[str, str] | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        return where + self.message


class ConfigError(BumperError):
    """A bad option value or usage error."""

    exit_code = ExitCode.BAD_INPUT


class RefParseError(BumperError):
    """A malformed image reference given on the command line."""

    exit_code = ExitCode.BAD_INPUT


class PolicyError(BumperError):
    """The REF cannot be applied safely (e.g. it would leave a stale digest)."""

    exit_code = ExitCode.BAD_INPUT


class ManifestError(BumperError):
    """A manifest that mentions the image cannot be parsed or edited safely."""


class UnwritableFileError(ManifestError):
    """A manifest bumper must not replace (other hard links, no write permission bit): JSON kind
    `manifest` and its `file`; the message names the file itself, so the line says it once."""

    def __str__(self) -> str:
        return self.message


class WorkspaceError(BumperError):
    """git failed: clone, fetch, commit or push."""


class ProviderError(BumperError):
    """The Git host API failed; `kind` is one of auth, not-found, rate-limited, conflict, other."""

    def __init__(self, message: str, *, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class RegistryError(BumperError):
    """The image registry (--registry check|resolve) has no such tag or digest, refused, or failed.

    Exit 1 by default (a missing tag, a registry down); exit 2 for a REF whose digest is not the
    tag's (a bad input)."""

    def __init__(self, message: str, *, exit_code: ExitCode = ExitCode.FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class NotFoundError(BumperError):
    """No file under the selected paths references the image."""

    exit_code = ExitCode.NOT_FOUND
    ignored: Sequence[Any] = ()  # what the plan left alone (changes.Skip), for JSON `ignored`
    not_found: Sequence[str] = ()  # the REFs no file references, for JSON `not_found`


class WaitTimeout(BumperError):
    """--wait merged: the pull request was still open when --wait-timeout ran out (exit 1)."""

    result: Any = None  # the run's BumpResult (its PR and branch), for the failure JSON


class VerifyError(BumperError):
    """The rendered manifests would not deploy the bump (--verify render); `verified` holds
    every root's verdict for the JSON output, `pushed` what an earlier step already pushed."""

    def __init__(self, problem: str, *, verified: Sequence[Any] = (), pushed: str | None = None) -> None:
        done = f"{pushed} was pushed before this check; nothing else" if pushed else "nothing"
        super().__init__(
            f"{problem}; the rendered manifests would not deploy the bump, so {done} was written or "
            "pushed: fix what pins the old image, or pass --verify warn"
        )
        self.problem = problem
        self.verified = list(verified)
