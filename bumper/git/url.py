"""Repository URLs, read once: what git is given, which host the token is scoped to, and the
host and path a provider's API is found by."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from bumper.errors import ConfigError
from bumper.secrets import has_query, shown_url
from bumper.secrets import strip_userinfo as strip_userinfo  # a scrubber of any text; URLs use it

_SSH_SCHEMES = ("ssh", "git+ssh", "ssh+git")


class RepoUrl(NamedTuple):
    """A `--repo` value: https/http, ssh (URL or scp-like `git@host:owner/repo.git`), file:// or
    a local path. Never holds http credentials: those are refused, the token goes elsewhere."""

    git_url: str  # what git is given (a local path made absolute)
    scheme: str  # https, http, ssh, file or local
    host: str | None  # lower case, without port; None for file:// and local paths
    port: int | None
    path: str  # the repository path without surrounding '/' or a trailing '.git'

    @classmethod
    def parse(cls, url: str) -> RepoUrl:
        """Read `url` as git would; refuse what git must never see (options, transports, secrets)."""
        shown = shown_url(url)  # every refusal below quotes it: no userinfo, query or fragment
        if not url or url.startswith("-") or "\n" in url or "\x00" in url:
            raise ConfigError(f"invalid repository URL {shown!r}")
        if "::" in url.split("/", 1)[0]:
            raise ConfigError(f"unsupported repository URL {shown!r}; use https, ssh or a path")
        if has_blank_or_control(url, blank_ok=not _names_a_host(url)):  # a local path may have spaces
            # A CI variable's trailing CR or space: git was given it and failed as a network error.
            raise ConfigError(
                f"invalid repository URL {shown!r}: it contains whitespace or a control character; "
                "give the URL alone (https://HOST/OWNER/REPO.git)"
            )
        if "://" in url:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme in ("http", "https") and _azure_user_form(parts.username, parts.password, parts.path):
                url, parts = shown, urlsplit(shown)  # Azure Repos' `ORG@dev.azure.com`: no secret
            if scheme in ("http", "https") and "@" in parts.netloc:
                raise ConfigError(
                    f"repository URL {shown!r} contains credentials; remove them and "
                    "put the token in BUMPER_TOKEN"
                )
            if scheme in ("http", "https") and has_query(url):
                # git appends `/info/refs?service=…` to the URL, so a query or fragment never
                # clones (a browser's `…/_git/repo?path=/&version=GBmain`, `…#readme`), and git's
                # error would print it: a token put there would reach the log. Never echoed.
                raise ConfigError(
                    f"repository URL {shown!r} has a query or fragment ('?…', '#…'), which git cannot "
                    "clone; give the clone URL without it (https://HOST/OWNER/REPO.git; a token goes "
                    "in BUMPER_TOKEN)"
                )
            if scheme in _SSH_SCHEMES and ":" in parts.netloc.rpartition("@")[0]:
                raise ConfigError(f"repository URL {shown!r} contains a password; use an SSH key")
            if scheme not in ("http", "https", "file", *_SSH_SCHEMES):
                raise ConfigError(
                    f"unsupported repository URL scheme {scheme!r} in {shown!r}; use https, ssh or a path"
                )
            kind = "ssh" if scheme in _SSH_SCHEMES else scheme
            if kind != "file":
                _refuse_dot_segments(parts.path, shown)
            host = None if kind == "file" else (parts.hostname or None)
            return cls(url, kind, host, None if kind == "file" else parts.port, _repo_path(parts.path))
        if _names_a_host(url):  # scp-like ssh, as git reads it
            colon = url.find(":")
            host = url[:colon].rpartition("@")[2].lower()
            _refuse_dot_segments(url[colon + 1 :], shown)
            return cls(url, "ssh", host, None, _repo_path(url[colon + 1 :]))
        local = str(Path(url).expanduser().resolve())
        return cls(local, "local", None, None, _repo_path(local))

    @property
    def header_url(self) -> str | None:
        """The http(s) URL a token header is scoped to; None where git authenticates otherwise."""
        return self.git_url.rstrip("/") if self.scheme in ("http", "https") else None

    @property
    def api_host(self) -> str:
        """The host a provider's API is derived from: an http(s) port is kept, an SSH port is not."""
        if self.host is None:
            raise ConfigError(
                f"cannot tell the Git host from repository URL {strip_userinfo(self.git_url)!r}"
            )
        keep_port = self.scheme in ("http", "https") and self.port
        return f"{self.host}:{self.port}" if keep_port else self.host

    def owner_path(self) -> str:
        """`owner/repo` (or `group/sub/project`): what a provider's API names the repository by."""
        if "/" not in self.path:
            raise ConfigError(
                f"repository URL {strip_userinfo(self.git_url)!r} does not name an owner and a repository"
            )
        return self.path


def _azure_user_form(user: str | None, password: str | None, path: str) -> bool:
    """Azure Repos' clone URLs name the organization as the user (`https://ORG@dev.azure.com/ORG/
    PROJECT/_git/REPO`): a user that is the path's first segment, no password, a `/_git/` path."""
    first = path.strip("/").split("/", 1)[0]
    return user is not None and password is None and user.lower() == first.lower() != "" and "/_git/" in path


def has_blank_or_control(text: str, *, blank_ok: bool = False) -> bool:
    """Whether `text` holds a control character or (unless `blank_ok`) whitespace: no URL does,
    so it is a CI variable's trailing newline, CR or space (--repo, --api-url)."""
    return any((char.isspace() or not char.isprintable()) and not (blank_ok and char == " ") for char in text)


def _names_a_host(url: str) -> bool:
    """A URL (`scheme://`) or git's scp-like `HOST:PATH`, not a local path."""
    colon, slash = url.find(":"), url.find("/")
    return "://" in url or (colon > 0 and (slash < 0 or colon < slash))


def _refuse_dot_segments(path: str, shown: str) -> None:
    """A `.` or `..` segment (also percent-encoded) in a host's URL path: git resolves it before
    it asks the host, while the provider's API would be given the path as written (another
    repository, project or organization), so such a URL is bad input."""
    if any(unquote(segment) in (".", "..") for segment in path.split("/")):
        raise ConfigError(
            f"repository URL {shown!r} has a '.' or '..' path segment; give the repository's "
            "path as the host shows it (https://HOST/OWNER/REPO.git)"
        )


def _repo_path(path: str) -> str:
    path = path.strip("/")
    return path[: -len(".git")] if path.endswith(".git") else path
