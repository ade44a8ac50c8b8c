"""End to end, both hosts: a run that cannot reach or use the API fails before it pushes."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.canary import assert_no_canary
from testing.world import make_world

BRANCH = "bumper/ghcr.io-acme-app"


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize("fault", ["token-lacks-api", "wrong-api-url"])
def test_an_api_problem_leaves_no_orphan_branch(tmp_path: Path, provider: str, fault: str) -> None:
    with make_world(tmp_path, provider) as world:
        overrides = {}
        if fault == "token-lacks-api":
            world.host.token = "another-token-the-api-takes"  # noqa: S105 - git still takes the canary
        else:
            overrides["BUMPER_API_URL"] = world.host.api_url + "/not-the-api"
        proc = world.run("bump", "ghcr.io/acme/app:v1.2.3", **overrides)

        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith("bumper: error: ")
        assert world.branch_sha(BRANCH) is None and world.pushes() == []  # nothing left behind
        assert_no_canary(world, proc)


LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Sign in - Acme SSO</title></head><body>...</body></html>"


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize(
    "answer,says",
    [
        ((200, {"Content-Type": "text/html; charset=utf-8"}, LOGIN_PAGE), "answered an HTML page"),
        ((302, {"Location": "https://sso.acme.test/login?state=st4te"}, b""), "redirected to https://sso.acme.test/login"),
    ],
    ids=["html", "redirect-to-login"],
)  # fmt: skip
def test_a_single_sign_on_proxy_in_front_of_the_api_is_one_line(
    tmp_path: Path, provider: str, answer: tuple[int, dict[str, str], bytes], says: str
) -> None:
    """Not `internal error: TypeError`, and not an empty answer read as "no pull request"."""
    with make_world(tmp_path, provider) as world:
        world.host.fault = lambda req: answer  # every API request meets the proxy
        proc = world.run("bump", "ghcr.io/acme/app:v1.2.3")

        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith("bumper: error: ") and says in line and "JSON" in line, line
        assert f"{world.host.api_url}/" in line  # which URL answered
        assert "single sign-on proxy" in line and "--api-url" in line and "st4te" not in line
        assert world.branch_sha(BRANCH) is None and world.pushes() == []
        assert_no_canary(world, proc)


SAML_MESSAGE = (
    "Resource protected by organization SAML enforcement. You must grant your Personal Access "
    "token access to this organization."
)
AUTHORIZE = "https://github.com/orgs/acme/sso?authorization_request=A2B3C4D5E6F7"


def test_a_token_not_authorized_for_saml_single_sign_on_says_where_to_authorize_it(tmp_path: Path) -> None:
    with make_world(tmp_path, "github") as world:
        world.host.fault = lambda req: (
            403,
            {"X-GitHub-SSO": f"required; url={AUTHORIZE}"},
            {"message": SAML_MESSAGE},
        )
        proc = world.run("bump", "ghcr.io/acme/app:v1.2.3")

        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        assert "SAML single sign-on" in line and "token is not authorized" in line, line
        assert line.endswith(
            f"authorize the token for the organization's single sign-on at {AUTHORIZE} and rerun"
        )
        assert world.branch_sha(BRANCH) is None and world.pushes() == []
        assert_no_canary(world, proc)
