"""End to end on Gitea and Azure DevOps: a run that commits straight to the base (`mode:
commit`) and also opens a PR asks the host what the token may do before its first push
(docs/providers.md, "What the token may do"): Gitea's repository `permissions`, Azure's
Permissions - Has Permissions on the repository. A token that may only read fails before
anything lands; a host that does not say lets the run go on, one that fails to answer (5xx, no
answer, a sign-in page; GitLab's token scopes too) fails the run with nothing pushed; a run
without a direct commit does not ask (its push is the check). Bitbucket has no such answer
(documented there)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testing import fake_azure_devops
from testing.runs import run_bump
from testing.world import MIXED_MODE_TREE, World, make_world

TREE = MIXED_MODE_TREE
REF = "ghcr.io/acme/app:v1.5.0"
BRANCH = "bumper/ghcr.io-acme-app"


def _gitea(host: Any, may: bool | None) -> None:
    host.permissions = None if may is None else {"admin": False, "push": may, "pull": True}


def _azure(host: Any, may: bool | None) -> None:
    host.git_permissions = (
        None if may is None else (fake_azure_devops.CONTRIBUTOR if may else fake_azure_devops.READER)
    )


HOSTS: dict[str, tuple[Callable[[Any, bool | None], None], str, str]] = {
    "gitea": (
        _gitea,
        "Gitea API (acme/manifests): the token's user may read",
        "/api/v1/repos/acme/manifests",
    ),
    "azure-devops": (
        _azure,
        "Azure DevOps API (platform/manifests): the token's identity may not contribute",
        "/_apis/permissions/",
    ),
}


@pytest.fixture(params=sorted(HOSTS))
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, request.param, TREE) as w:
        yield w


def asked(world: World) -> list[Any]:
    where = HOSTS[world.provider][2]
    return [
        r
        for r in world.host.requests
        if r.method == "GET" and (r.path == where or "/_apis/permissions/" in where and where in r.path)
    ]


def test_a_token_that_may_only_read_fails_before_the_direct_commit(world: World) -> None:
    HOSTS[world.provider][0](world.host, False)
    old_main = world.branch_sha("main")
    proc = run_bump(world, REF)
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"bumper: error: {HOSTS[world.provider][1]}"), line
    assert "push" in line and "already pushed" not in line
    payload = json.loads(proc.stdout)
    assert payload["error"]["kind"] == "provider" and payload["commit"] is None
    assert world.branch_sha("main") == old_main and world.pushes() == []  # nothing landed
    assert world.branch_sha(BRANCH) is None and world.open_pulls() == []


@pytest.mark.parametrize("may", [True, None], ids=["may-push", "host-does-not-say"])
def test_a_token_that_may_push_or_a_host_that_does_not_say_goes_on(world: World, may: bool | None) -> None:
    HOSTS[world.provider][0](world.host, may)
    proc = run_bump(world, REF)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "opened" and result["commit"]["branch"] == "main"
    assert b"v1.5.0" in (world.read("main", "clusters/staging/app.yaml") or b"")
    assert len(asked(world)) == 1  # one question, before the push
    assert getattr(world.host, "problems", []) == [] and getattr(world.host, "schema_violations", []) == []


def test_a_run_without_a_direct_commit_does_not_ask(world: World) -> None:
    HOSTS[world.provider][0](world.host, False)
    proc = run_bump(world, REF, "--mode", "pr", "--path", "clusters/prod")
    assert proc.returncode == 0, proc.stderr
    assert asked(world) == []


# Where each host answers the question of what the token may do (a regex on the request path).
ASKED_AT = {
    "azure-devops": "/_apis/permissions/",
    "gitlab": "/personal_access_tokens/self$",
    "gitea": "/api/v1/repos/acme/manifests$",
}
FAILURES = {
    "5xx": (500, {}, {"message": "boom"}),
    "html": (200, {"Content-Type": "text/html"}, "<html>sign in</html>"),
    "reset": "reset",
}


# An HTML page at GitLab's token endpoint is an older GitLab without it: that one passes.
CASES = [(p, f) for p in sorted(ASKED_AT) for f in sorted(FAILURES) if (p, f) != ("gitlab", "html")]


@pytest.mark.parametrize(("provider", "failure"), CASES)
def test_a_host_failing_to_say_what_the_token_may_do_fails_before_the_direct_commit(
    tmp_path: Path, provider: str, failure: str
) -> None:
    """Azure's Has Permissions answering 500 (after the retries), no answer or a sign-in page
    was read as "refused to say" and the direct commit was pushed unchecked, as was GitLab's
    token scopes lookup answering 500 or nothing: a token that may push but not open a PR then
    left the base changed and the PR half failed. A check the host could not answer is no pass."""
    with make_world(tmp_path, provider, TREE) as world:
        world.host.inject(FAILURES[failure], method="GET", path=ASKED_AT[provider], times=20)
        old_main = world.branch_sha("main")
        proc = run_bump(world, REF)
        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith("bumper: error: ") and "what the token may do" in line, line
        assert "already pushed" not in line and json.loads(proc.stdout)["commit"] is None
        assert world.branch_sha("main") == old_main and world.pushes() == []
        assert world.branch_sha(BRANCH) is None and world.open_pulls() == []
