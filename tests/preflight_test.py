"""A --repo run with a bad input stops before its first network call, with exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.world import CANARY, World, make_world

REF = "ghcr.io/acme/app:v1.2.3"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, "github") as w:
        yield w


@pytest.mark.parametrize(
    "args,env,message",
    [
        ((), {"BUMPER_TOKEN": ""}, "no token for github: set BUMPER_TOKEN (or GITHUB_TOKEN/GH_TOKEN)"),
        (("--title", "Bump {imgaes}"), {}, "unknown placeholder {imgaes} in --title"),
        (("--commit-message", "{nope}"), {}, "unknown placeholder {nope} in --commit-message"),
        ((), {"BUMPER_API_BACKOFF": "fast"}, "BUMPER_API_BACKOFF must be a number"),
        (("--api-url", "ftp://api.example"), {}, "invalid --api-url 'ftp://api.example'"),
        (
            ("--api-url", "https://api.example/v3?access_token=t0k"),
            {},
            "invalid --api-url 'https://api.example/v3'",
        ),
        (("--base", "main..x"), {}, "invalid branch name 'main..x'"),
        (
            ("--branch", "refs/heads/main"),
            {},
            "invalid branch name 'refs/heads/main': it starts with 'refs/'",
        ),
        (("--provider", "gogs"), {}, "unknown provider 'gogs'; available: "),
    ],
)
def test_bad_input_fails_before_any_request(
    world: World, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    proc = world.run("bump", REF, *args, **env)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("bumper: error: ") and message in proc.stderr, proc.stderr
    assert world.git.requests == [] and world.host.requests == []


def test_a_base_branch_the_remote_lacks_is_bad_input(world: World) -> None:
    proc = world.run("bump", REF, "--base", "release-9")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"bumper: error: branch 'release-9' not found on {world.repo_url}; check --base\n"
    assert world.host.requests == [] and world.branch_sha("release-9") is None


@pytest.mark.parametrize(
    "provider", ["github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops"]
)
@pytest.mark.parametrize("how", ["trailing newline", "inner space", "tab"])
def test_an_api_url_with_whitespace_is_bad_input_on_every_host(
    tmp_path: Path, provider: str, how: str
) -> None:
    """A CI variable's trailing newline went into the API's requests as it was (Azure DevOps
    answered 404 for organization 'acme\\n' after the clone; GitHub's client dropped it): now
    every host refuses it before any request, as it refuses such a --repo."""
    with make_world(tmp_path, provider) as world:
        url = world.host.api_url
        bad = {"trailing newline": url + "\n", "inner space": url + "/ x", "tab": "\t" + url}[how]
        proc = world.run("bump", REF, BUMPER_API_URL=bad)
        assert (proc.returncode, proc.stdout) == (2, "")
        [line] = proc.stderr.splitlines()
        assert line.startswith("bumper: error: invalid --api-url ") and "whitespace" in line, line
        assert world.git.requests == [] and world.host.requests == []


@pytest.mark.parametrize(
    "args",
    [
        ("--body", f"Deploy by the bot ({CANARY})"),  # a CI secret expanded into BUMPER_BODY
        ("--title", "Bump {images}: the token rotation, ghp_short!"),  # words about tokens are no token
        ("--commit-message", "deploy ghp_" + "A1b2C3d4" * 5),  # shaped like a GitHub token
        ("--label", CANARY),
    ],
)
def test_a_token_in_a_text_bumper_writes_is_refused_unquoted(world: World, args: tuple[str, str]) -> None:
    """A token pasted into --title/--body/--commit-message/--label went verbatim into the PR
    and the commit: published on the host, and a request body carried it."""
    proc = world.run("bump", REF, *args)
    if "!" in args[1]:  # not the token: the run goes on
        assert proc.returncode == 0, proc.stderr
        return
    assert (proc.returncode, proc.stdout) == (2, "")
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"bumper: error: {args[0]} holds a token (") and "take it out" in line
    assert CANARY not in line and "ghp_" not in line
    assert world.git.requests == [] and world.host.requests == []
