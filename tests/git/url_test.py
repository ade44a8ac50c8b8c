"""One reading of a repository URL serves git, the token's scope, `auto` and the provider's API."""

from __future__ import annotations

import os

import pytest

from bumper.errors import ConfigError
from bumper.git.url import RepoUrl, strip_userinfo


@pytest.mark.parametrize(
    "text,scheme,host,port,path,header",
    [
        ("https://github.com/acme/app.git", "https", "github.com", None, "acme/app", "https://github.com/acme/app.git"),
        ("http://GHE.example:8080/acme/app/", "http", "ghe.example", 8080, "acme/app", "http://GHE.example:8080/acme/app"),
        ("ssh://git@gitlab.example:2222/g/sub/p.git", "ssh", "gitlab.example", 2222, "g/sub/p", None),
        ("git@GitHub.com:acme/app.git", "ssh", "github.com", None, "acme/app", None),
        ("file:///srv/git/app.git", "file", None, None, "srv/git/app", None),
    ],
)  # fmt: skip
def test_parse(
    text: str, scheme: str, host: str | None, port: int | None, path: str, header: str | None
) -> None:
    url = RepoUrl.parse(text)
    assert (url.git_url, url.scheme, url.host, url.port, url.path, url.header_url) == (
        text, scheme, host, port, path, header
    )  # fmt: skip


def test_a_local_path_becomes_absolute_and_has_no_host(tmp_path: object) -> None:
    url = RepoUrl.parse("repos/app.git")
    assert url.git_url == os.path.abspath("repos/app.git") and (url.scheme, url.host) == ("local", None)
    with pytest.raises(ConfigError, match="cannot tell the Git host"):
        _ = url.api_host


def test_the_api_host_keeps_an_http_port_and_drops_an_ssh_one() -> None:
    assert RepoUrl.parse("https://ghe.example:8443/a/b").api_host == "ghe.example:8443"
    assert RepoUrl.parse("ssh://git@ghe.example:2222/a/b").api_host == "ghe.example"


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "invalid repository URL"),
        ("--upload-pack=touch /tmp/x", "invalid repository URL"),
        ("ext::sh -c touch% /tmp/pwned", "unsupported repository URL"),
        ("https://u:s3cret@host/a/b.git", "contains credentials"),
        ("https://host/a/b.git?private_token=s3cret", "has a query or fragment"),
        ("https://host/a/b.git#s3cret", "has a query or fragment"),
        ("http://host/a/b?s3cret#x", "has a query or fragment"),
        ("ssh://u:s3cret@host/a/b.git", "contains a password"),
        ("ftp://host/a/b.git", "unsupported repository URL scheme 'ftp'"),
        ("https://bot@host/a/b.git?private_token=s3cret", "contains credentials"),
        ("ssh://u:pw@host/a/b.git?s3cret", "contains a password"),
        ("ftp://host/a/b.git?private_token=s3cret", "unsupported repository URL scheme 'ftp'"),
        ("--upload-pack=x?s3cret", "invalid repository URL"),
        ("https://host/a/b.git\r", "whitespace or a control character"),
        ("git@host:a/b.git ", "whitespace or a control character"),
        ("/srv/git/b\tc", "whitespace or a control character"),
    ],
)
def test_what_git_must_never_see_is_refused_without_the_secret(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        RepoUrl.parse(text)
    assert "s3cret" not in str(info.value)


def test_owner_path_needs_an_owner() -> None:
    assert RepoUrl.parse("https://gitlab.com/g/sub/p").owner_path() == "g/sub/p"
    with pytest.raises(ConfigError, match="does not name an owner and a repository"):
        RepoUrl.parse("https://github.com/acme").owner_path()


def test_strip_userinfo() -> None:
    assert strip_userinfo("see https://a:b@h/x and ssh://git@h/y") == "see https://h/x and ssh://h/y"


@pytest.mark.parametrize(
    "text",
    [
        "https://github.com/zzz/../acme/app.git",
        "https://gitlab.com/acme/./app.git",
        "https://dev.azure.com/org/../acme/p/_git/r",
        "https://host/acme/%2e%2E/app.git",
        "ssh://git@host/acme/../app.git",
        "git@host:acme/./app.git",
    ],
)
def test_a_dot_segment_in_a_hosts_url_is_bad_input(text: str) -> None:
    """git resolves it before asking the host; the API would be given the path as written."""
    with pytest.raises(ConfigError, match=r"has a '\.' or '\.\.' path segment"):
        RepoUrl.parse(text)
    assert RepoUrl.parse("file:///srv/git/../app.git").path == "srv/git/../app"  # a path of this machine


def test_a_local_path_may_hold_spaces() -> None:
    assert RepoUrl.parse("/srv/my repos/b").git_url == "/srv/my repos/b"
