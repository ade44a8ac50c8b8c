"""End to end: a GitHub App instead of a token. bumper signs the App's JWT, finds the
repository's installation, mints one token for that repository and uses it for git and the API;
the key, the JWT and the token never show; a wrong key or a missing installation is one line."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import repos
from testing.fake_provider import Trickle
from testing.github_app import FakeApp, new_key_pem
from testing.world import CANARY, EXAMPLE_BRANCH, EXAMPLE_IMAGE, REPO_PATH, World, make_world

INSTALLATION = 4242
_KEY = new_key_pem()  # one 2048-bit key for the module: generating one costs ~0.1 s
_OTHER_KEY = new_key_pem()


@pytest.fixture
def app() -> FakeApp:
    app = FakeApp(app_id=98765, slug="acme-bumper", private_key_pem=_KEY, token=CANARY)
    app.install(INSTALLATION, REPO_PATH)
    return app


@pytest.fixture
def world(tmp_path: Path, app: FakeApp) -> Iterator[World]:
    with make_world(tmp_path, "github") as w:
        w.host.add_app(app)  # type: ignore[union-attr]
        w.extra_env.update(
            BUMPER_TOKEN="", BUMPER_GITHUB_APP_ID=str(app.app_id), BUMPER_GITHUB_APP_PRIVATE_KEY=_KEY
        )
        yield w


def assert_no_secret(proc: subprocess.CompletedProcess[str], key: str = _KEY) -> None:
    """Neither the key (whole or any line of it), nor a JWT, nor the minted token is printed."""
    out = proc.stdout + proc.stderr
    assert CANARY not in out
    assert "-----BEGIN" not in out
    for line in key.splitlines():
        assert line not in out
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.", out), "a JWT was printed"


def run(world: World, tag: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    proc = world.run("bump", f"{EXAMPLE_IMAGE}:{tag}", "--output", "json", *args, **env)
    assert "Traceback" not in proc.stderr
    assert_no_secret(proc)
    return proc


def ok(world: World, tag: str, *args: str, **env: str) -> dict[str, object]:
    proc = run(world, tag, *args, **env)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_app_opens_updates_and_leaves_alone(world: World, app: FakeApp) -> None:
    first = ok(world, "v1.2.3")
    assert first["status"] == "opened"
    assert world.branch_sha(EXAMPLE_BRANCH) is not None  # git pushed with the App's token
    assert app.mints == [{"installation": INSTALLATION, "repositories": ["manifests"]}]
    [claims] = app.jwts[:1]
    assert str(claims["iss"]) == str(app.app_id) and claims["exp"] - claims["iat"] <= 600
    lookups = [r for r in world.host.requests if r.path.endswith("/installation")]
    assert [r.path for r in lookups] == [f"/api/v3/repos/{REPO_PATH}/installation"]

    mark = world.host.mark()
    pushes = len(world.pushes())
    again = run(world, "v1.2.3")
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "up-to-date"
    writes = [r for r in world.host.since(mark) if r.method != "GET" and not r.path.endswith("access_tokens")]
    assert writes == [] and len(world.pushes()) == pushes

    assert ok(world, "v1.2.4")["status"] == "updated"
    [pr] = world.open_pulls()
    assert "v1.2.4" in pr.title


def test_every_request_sends_the_one_jwt_kept_secret(world: World, app: FakeApp) -> None:
    """PyGithub signs a new JWT whenever its token is read: a lookup and a mint a second apart
    sent two JWTs, and only the first was among the secrets bumper masks. One JWT now."""
    world.host.fault = lambda req: time.sleep(1.1) if req.path.endswith("/installation") else None
    ok(world, "v1.2.3")
    assert len(app.bearers) == 2 and len(set(app.bearers)) == 1, app.bearers


def test_key_file_and_installation_id_skip_the_lookup(world: World, app: FakeApp, tmp_path: Path) -> None:
    pem = tmp_path / "app.pem"
    pem.write_text(_KEY)
    result = ok(
        world,
        "v1.2.3",
        BUMPER_GITHUB_APP_PRIVATE_KEY="",
        BUMPER_GITHUB_APP_PRIVATE_KEY_FILE=str(pem),
        BUMPER_GITHUB_APP_INSTALLATION_ID=str(INSTALLATION),
    )
    assert result["status"] == "opened"
    assert not any(r.path.endswith("/installation") for r in world.host.requests)
    assert app.mints == [{"installation": INSTALLATION, "repositories": ["manifests"]}]


def test_commits_through_the_api_are_the_apps(world: World, app: FakeApp) -> None:
    result = ok(world, "v1.2.3", "--commit-via", "api")
    assert result["status"] == "opened"
    sha = world.branch_sha(EXAMPLE_BRANCH)
    assert sha in world.host.verified  # type: ignore[union-attr]
    info = repos.commit_info(world.bare, str(sha))
    assert (info["author_name"], info["author_email"]) == app.bot
    assert world.pushes() == []


def test_a_token_wins_over_the_app(world: World, app: FakeApp) -> None:
    assert ok(world, "v1.2.3", BUMPER_TOKEN=CANARY)["status"] == "opened"
    assert app.mints == [] and app.jwts == []


@pytest.mark.parametrize("debug", [False, True])
def test_a_wrong_key_is_one_line_and_nothing_is_pushed(world: World, app: FakeApp, debug: bool) -> None:
    extra = {"BUMPER_DEBUG": "1"} if debug else {}
    proc = run(world, "v1.2.3", BUMPER_GITHUB_APP_PRIVATE_KEY=_OTHER_KEY, **extra)
    assert_no_secret(proc, _OTHER_KEY)
    assert proc.returncode == 1
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("bumper: error: GitHub App 98765: GitHub refused the App's signed token")
    assert "BUMPER_GITHUB_APP_ID" in line
    assert not debug and len(proc.stderr.strip().splitlines()) == 1 or debug
    assert world.git.requests == [] and app.mints == []


def test_an_app_not_installed_on_the_repository_is_one_line(world: World, app: FakeApp) -> None:
    app.installations = {INSTALLATION: {"acme/other"}}
    proc = run(world, "v1.2.3")
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1
    assert f"GitHub App 98765 is not installed on {REPO_PATH}" in proc.stderr
    assert world.git.requests == []


def test_an_installation_that_does_not_cover_the_repository(world: World, app: FakeApp) -> None:
    app.install(7, "acme/other")
    proc = run(world, "v1.2.3", BUMPER_GITHUB_APP_INSTALLATION_ID="7")
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1
    assert "installation 7 cannot mint a token for acme/manifests (422)" in proc.stderr


@pytest.mark.parametrize(
    "env,message",
    [
        ({"BUMPER_GITHUB_APP_PRIVATE_KEY": "not a key"}, "is not an unencrypted RSA private key"),
        (
            {"BUMPER_GITHUB_APP_ID": ""},
            "BUMPER_GITHUB_APP_PRIVATE_KEY is set but BUMPER_GITHUB_APP_ID is not",
        ),
        ({"BUMPER_GITHUB_APP_ID": "my-app"}, "BUMPER_GITHUB_APP_ID must be the App's numeric id"),
        ({"BUMPER_GITHUB_APP_PRIVATE_KEY": ""}, "no key: set BUMPER_GITHUB_APP_PRIVATE_KEY"),
        (
            {"BUMPER_GITHUB_APP_PRIVATE_KEY_FILE": "/nonexistent/app.pem"},
            "set BUMPER_GITHUB_APP_PRIVATE_KEY or",
        ),
        ({"BUMPER_GITHUB_APP_INSTALLATION_ID": "abc"}, "BUMPER_GITHUB_APP_INSTALLATION_ID must be a number"),
    ],
)
def test_a_malformed_app_is_bad_input_before_any_request(
    world: World, env: dict[str, str], message: str
) -> None:
    proc = run(world, "v1.2.3", **env)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert message in proc.stderr
    assert world.git.requests == [] and world.host.requests == []


def test_an_unreadable_key_file_is_bad_input(world: World) -> None:
    proc = run(
        world,
        "v1.2.3",
        BUMPER_GITHUB_APP_PRIVATE_KEY="",
        BUMPER_GITHUB_APP_PRIVATE_KEY_FILE="/nonexistent/app.pem",
    )
    assert proc.returncode == 2 and "cannot read '/nonexistent/app.pem'" in proc.stderr


def test_no_answer_from_the_api_is_one_line(world: World) -> None:
    proc = run(world, "v1.2.3", BUMPER_API_URL="http://127.0.0.1:9/api/v3")
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "GitHub App 98765: minting a token for acme/manifests: cannot reach" in proc.stderr
    assert world.git.requests == []


def test_promote_reads_and_writes_with_one_minted_token(world: World, app: FakeApp) -> None:
    """`promote --repo` clones the source and bumps the target with the same checks: one token."""
    proc = world.run(
        "promote", EXAMPLE_IMAGE, "--from", "apps/web", "--to", "overlays/prod", "--output", "json"
    )
    assert_no_secret(proc)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["promoted"]["from"] == "apps/web"
    assert app.mints == [{"installation": INSTALLATION, "repositories": ["manifests"]}]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (r"/access_tokens$", []),
        (r"/access_tokens$", {"token": "ghs_one\nX-Injected: two"}),
        (r"/access_tokens$", {"token": 42}),
        (r"/installation$", {}),
        (r"/installation$", ["id"]),
    ],
    ids=[
        "mint-list",
        "mint-token-with-newline",
        "mint-token-not-a-string",
        "installation-empty",
        "installation-list",
    ],
)
def test_an_app_answer_of_the_wrong_shape_is_one_line(world: World, path: str, body: object) -> None:
    """The installation lookup or the mint answered 2xx with no usable id or token: once an
    internal error (`list` has no `get`) or "cannot reach the API (KeyError)"; a token with a line
    break would have gone into a header. Now one line, nothing pushed."""
    world.host.fault = lambda req: (201, {}, body) if re.search(path, req.path) else None
    proc = run(world, "v1.2.3")
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("bumper: error: GitHub App 98765: ") and "check --api-url" in line, line
    assert "cannot reach" not in line and "internal error" not in line
    assert world.git.requests == []


@pytest.mark.parametrize(
    "path", [f"/repos/{REPO_PATH}/installation", f"/app/installations/{INSTALLATION}/access_tokens"]
)
def test_a_trickled_app_answer_is_one_line_within_the_deadline(world: World, path: str) -> None:
    """GitHub's answer to the installation lookup or the token mint trickles in: the run ends
    after BUMPER_REQUEST_DEADLINE in one line naming the request, before any git request."""
    world.host.fault = lambda req: Trickle("body") if req.path.endswith(path) else None
    started = time.monotonic()
    proc = run(world, "v1.2.3", BUMPER_REQUEST_DEADLINE="1")
    assert time.monotonic() - started < 30
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "GitHub App 98765: minting a token for acme/manifests: " in proc.stderr
    assert f"{path} on 127.0.0.1:" in proc.stderr and "within 1 s (BUMPER_REQUEST_DEADLINE)" in proc.stderr
    assert "cannot reach" not in proc.stderr and world.git.requests == []
