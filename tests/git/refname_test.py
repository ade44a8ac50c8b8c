"""Branch names: what git refuses bumper refuses first, with bumper's own few extra limits."""

from __future__ import annotations

import subprocess

import pytest

from bumper.errors import ConfigError
from bumper.git import refname
from bumper.git.refname import validate_branch_name

VALID = [
    "bumper/ghcr.io-acme-app",
    "main",
    "feature/a.b_c-d",
    "v1.2.3",
    "a@b",
    "x" * 200,
    "ünïcode",
]
INVALID = [
    "",
    "-rf",
    "--force",
    "has space",
    "tab\there",
    "new\nline",
    "nul\x00",
    "del\x7f",
    "a..b",
    "a~1",
    "a^2",
    "a:b",
    "a?",
    "a*",
    "a[b",
    "a\\b",
    "/lead",
    "trail/",
    "a//b",
    "dot.",
    ".hidden",
    "a/.hidden",
    "a.lock",
    "a/b.lock/c",
    "a@{1}",
    "@",
    "HEAD",
    "x" * 201,
    "zero\u200bwidth",
    "nbsp\u00a0",
    "refs/heads/main",
    "refs/pull/1/head",
]


@pytest.mark.parametrize("name", VALID)
def test_valid_branch_names(name: str) -> None:
    assert validate_branch_name(name) == name


@pytest.mark.parametrize("name", INVALID, ids=repr)
def test_invalid_branch_names(name: str) -> None:
    with pytest.raises(ConfigError) as exc:
        validate_branch_name(name)
    assert str(exc.value).startswith("invalid branch name ")
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("name", VALID + INVALID, ids=repr)
def test_branch_names_agree_with_git_where_git_decides(name: str) -> None:
    """Everything git rejects we reject; what git accepts we accept unless it is our own limit."""
    if "\x00" in name:
        pytest.skip("cannot pass NUL in argv")
    ours_ok = refname._branch_problem(name) is None
    # `--branch` = `refs/heads/<name>` is a valid ref, and neither HEAD nor starting with '-'
    git_ok = (
        (
            subprocess.run(
                ["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True, check=False
            ).returncode
            == 0
        )
        and name != "HEAD"
        and not name.startswith("-")
    )
    ours_extra = (
        len(name) > 200
        or name == "@"
        or name.startswith("refs/")
        or any(c.isspace() or not c.isprintable() for c in name)
    )
    if not git_ok:
        assert not ours_ok
    elif not ours_extra:
        assert ours_ok
