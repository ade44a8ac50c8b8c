"""End to end, every host: a 2xx answer about a pull request that is not one.

A proxy's `{}`, a list, an HTML page sent as JSON, a JSON error object, a PR without its URL or
state, another PR's number: answered to the PR update, the create or the lookup, each once ended
the run with an internal error (a KeyError or an AttributeError). Now each is one line naming the
host, the request and what to do (exit 1), and a run that had pushed its branch says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from testing import repos
from testing import world as world_module
from testing.fake_provider import Fault, RecordedRequest
from testing.runs import run_bump
from testing.seeds import seed_bump
from testing.world import CANARY, EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, make_world


class Shape(NamedTuple):
    """Where each host's PR JSON (its published API) keeps number, state, branches and URL."""

    number: str
    state: str
    head: str
    base: str
    url: str | None = None
    page: str | None = None  # a list answer's key for its items; None: a bare list


SHAPES = {
    "github": Shape("number", "state", "head.ref", "base.ref", "html_url"),
    "gitlab": Shape("iid", "state", "source_branch", "target_branch", "web_url"),
    "gitea": Shape("number", "state", "head.ref", "base.ref", "html_url"),
    "bitbucket": Shape(
        "id", "state", "source.branch.name", "destination.branch.name", "links.html.href", "values"
    ),
    "bitbucket-server": Shape(
        "id", "state", "fromRef.displayId", "toRef.displayId", "links.self.0.href", "values"
    ),
    "azure-devops": Shape("pullRequestId", "status", "sourceRefName", "targetRefName", page="value"),
}
HOSTS = tuple(SHAPES)
NAMES = {
    "github": "GitHub",
    "gitlab": "GitLab",
    "gitea": "Gitea",
    "bitbucket": "Bitbucket",
    "bitbucket-server": "Bitbucket Data Center",
    "azure-devops": "Azure DevOps",
}
ONE = re.compile(r"/(pulls|merge_requests|pullrequests|pull-requests)/\d+$", re.IGNORECASE)
ALL = re.compile(r"/(pulls|merge_requests|pullrequests|pull-requests)$", re.IGNORECASE)


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *path, last = dotted.split(".")
    for key in path:
        data = data.setdefault(key, {})
    data[last] = value


def _pr(provider: str, number: int, *, without: str | None = None) -> dict[str, Any]:
    """A PR as the host's JSON holds one (what bumper reads of it), `without` one field."""
    shape, pr = SHAPES[provider], {}
    for field, value in (
        (shape.number, number),
        (shape.state, "OPEN" if "bitbucket" in provider else "open"),
        (shape.head, EXAMPLE_BRANCH),
        (shape.base, "main"),
        (shape.url, f"http://host/pr/{number}"),
    ):
        if field is not None and field != without:
            _set(pr, field.replace(".0.", "."), value)
    if provider == "bitbucket-server" and "links" in pr:
        pr["links"]["self"] = [pr["links"]["self"]]  # links.self is a list there
    return pr


def _bodies(provider: str) -> dict[str, Any]:
    shape = SHAPES[provider]
    return {
        "empty-object": {},
        "list": [],
        "html": b"<html><body>Sign in</body></html>",
        "error-object": {"message": "something went wrong"},
        "no-state": _pr(provider, 1, without=shape.state),
        "other-pr": _pr(provider, 7),
    }


def _answer(world: World, method: str, route: re.Pattern[str], status: int, body: Any) -> list[str]:
    """Answer every `method` request on `route` with `body`; the list names the paths answered."""
    answered: list[str] = []

    def fault(req: RecordedRequest) -> Fault:
        if req.method == method and route.search(req.path):
            answered.append(req.path)
            return (status, {}, body)
        return None

    world.host.fault = fault
    return answered


def _one_error_line(world: World, proc: Any, doing: str) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bumper: error: "), proc.stderr
    assert "internal error" not in lines[0]
    assert f"{NAMES[world.provider]} API (" in lines[0] and re.search(doing, lines[0]), lines[0]
    assert "check --api-url" in lines[0]
    assert json.loads(proc.stdout)["status"] == "failed"
    return lines[0]


@pytest.mark.parametrize("provider", HOSTS)
@pytest.mark.parametrize("body", ["empty-object", "list", "html", "error-object", "no-state", "other-pr"])
def test_an_update_answered_with_no_pr_is_one_line_naming_the_pushed_commit(
    tmp_path: Path, provider: str, body: str
) -> None:
    with make_world(tmp_path, provider) as world:
        seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        method = "PATCH" if provider in ("github", "gitea", "azure-devops") else "PUT"
        answered = _answer(world, method, ONE, 200, _bodies(provider)[body])

        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        line = _one_error_line(world, proc, r"updating (pull|merge) request [#!]1: answered ")
        assert answered
        tip = world.branch_sha(EXAMPLE_BRANCH)
        assert tip is not None and f"commit {tip[:12]}" in line and "already pushed" in line
        if body == "other-pr":
            assert "#7 when asked about #1" in line
        assert [p.number for p in world.open_pulls()] == [1]  # no second PR


@pytest.mark.parametrize("provider", HOSTS)
@pytest.mark.parametrize("body", ["empty-object", "html", "error-object", "no-state"])
def test_a_create_answered_with_no_pr_is_one_line_naming_the_pushed_branch(
    tmp_path: Path, provider: str, body: str
) -> None:
    with make_world(tmp_path, provider) as world:
        _answer(world, "POST", ALL, 201, _bodies(provider)[body])
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        line = _one_error_line(world, proc, r"opening a (pull|merge) request from .*: answered ")
        tip = world.branch_sha(EXAMPLE_BRANCH)
        assert (
            tip is not None and f"branch {EXAMPLE_BRANCH} was already pushed with commit {tip[:12]}" in line
        )

        world.host.fault = None  # the rerun does the rest
        again = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["status"] in ("opened", "updated")
        assert world.branch_sha(EXAMPLE_BRANCH) == tip


@pytest.mark.parametrize("provider", HOSTS)
def test_an_answer_echoing_the_token_quotes_no_part_of_it(tmp_path: Path, provider: str) -> None:
    """A proxy or mock that answers the create with the request's own headers: the line quotes the
    answer's start, and once cut the token inside it, printing its first 24 characters, which
    the scrubber (whole tokens only) did not mask."""
    with make_world(tmp_path, provider) as world:
        _answer(world, "POST", ALL, 201, {"n": 0, "authorization": f"Bearer {CANARY}"})
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        line = _one_error_line(world, proc, r"opening a (pull|merge) request from .*: answered ")
        assert '{"n": 0, "authorization": …' in line
        assert CANARY[:12] not in proc.stdout + proc.stderr


@pytest.mark.parametrize("provider", HOSTS)
@pytest.mark.parametrize("body", ["empty-object", "html", "error-object", "no-state"])
def test_a_lookup_answered_with_no_list_of_prs_fails_before_any_push(
    tmp_path: Path, provider: str, body: str
) -> None:
    """Read as "no PR", such an answer once had the run push and open a second PR."""
    with make_world(tmp_path, provider) as world:
        seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        shape, bad = SHAPES[provider], _bodies(provider)[body]
        if body == "no-state":
            bad = [bad] if shape.page is None else {shape.page: [bad]}
        pushes = len(world.pushes())
        _answer(world, "GET", ALL, 200, bad)

        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        line = _one_error_line(world, proc, r"looking for the (pull|merge) request from .*: answered ")
        assert "already pushed" not in line
        assert len(world.pushes()) == pushes and [p.number for p in world.open_pulls()] == [1]


@pytest.mark.parametrize("provider", ["github", "gitlab", "bitbucket", "azure-devops"])
def test_a_lookup_listing_another_branchs_pr_does_not_take_it(tmp_path: Path, provider: str) -> None:
    """A host (or a proxy) that ignores the list's branch filter answers every open PR: the one
    from another branch is not bumper's to rewrite."""
    with make_world(tmp_path, provider) as world:
        shape = SHAPES[provider]
        other = _pr(provider, 9)
        _set(other, shape.head, "feature/someone-elses")
        listing = [other] if shape.page is None else {shape.page: [other]}
        _answer(world, "GET", ALL, 200, listing)
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened" and result["pull_request"]["number"] != 9
        assert not [r for r in world.host.requests if r.method in ("PUT", "PATCH") and r.path.endswith("/9")]


@pytest.mark.parametrize("where", ["page-one-again", "another-host"])
def test_the_github_lookup_reads_one_page_whatever_its_next_link_says(tmp_path: Path, where: str) -> None:
    """A host that ignored the branch filter lists another branch's PR with a `next` link back to
    the first page (or to another host): one request, no loop, nothing sent elsewhere."""
    with make_world(tmp_path, "github") as world:
        other = _pr("github", 9)
        _set(other, "head.ref", "feature/someone-elses")
        target = f"{world.host.api_url}/repos/acme/manifests/pulls?page=1"
        if where == "another-host":
            target = "http://127.0.0.2:9/repos/acme/manifests/pulls?page=2"
        lists: list[str] = []

        def fault(req: RecordedRequest) -> Fault:
            if req.method == "GET" and ALL.search(req.path):
                lists.append(req.path)
                return (200, {"Link": f'<{target}>; rel="next"'}, [other])
            return None

        world.host.fault = fault
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["status"] == "opened" and len(lists) == 1


DIRECT_AND_PR = {
    ".bumper.yaml": b"version: 1\nrules:\n  - paths: [staging]\n    mode: commit\n",
    "staging/app.yaml": b"image: ghcr.io/acme/app:v1.4.0\n",
    "prod/app.yaml": b"image: ghcr.io/acme/app:v1.4.0\n",
}


@pytest.mark.parametrize("provider", HOSTS)
def test_a_lookup_answered_with_no_list_stops_a_direct_commit_before_it_lands(
    tmp_path: Path, provider: str
) -> None:
    """The PR lookup a commit-mode run makes before pushing to the base: read as "no PR", `{}`
    once let the direct commit land and the PR half open a duplicate or fail after it."""
    with make_world(tmp_path, provider, DIRECT_AND_PR) as world:
        main = world.branch_sha("main")
        _answer(world, "GET", ALL, 200, {})
        proc = run_bump(world, "ghcr.io/acme/app:v1.5.0")
        line = _one_error_line(world, proc, r"looking for the (pull|merge) request from .*: answered an ")
        assert "already pushed" not in line and json.loads(proc.stdout)["commit"] is None
        assert world.branch_sha("main") == main and world.pushes() == []


# Answers about something else than a PR, read after or around it: (host, what, path, body, args).
OTHER_READS = [
    *[(h, "comments", r"/(comments|notes|threads|activities)$", [1], ()) for h in HOSTS],
    ("github", "comments", r"/comments$", {}, ()),
    ("gitlab", "comments", r"/notes$", {}, ()),
    ("gitlab", "users", r"/users$", {}, ("--reviewer", "alice")),
    ("bitbucket", "users", r"/members$", "x", ("--reviewer", "alice")),
    ("azure-devops", "users", r"/identities$", [1], ("--reviewer", "alice")),
    ("gitea", "labels", r"/labels$", [1], ("--label", "deps")),
]


@pytest.mark.parametrize(
    ("provider", "what", "path", "body", "args"),
    OTHER_READS,
    ids=[f"{c[0]}-{c[1]}-{json.dumps(c[3])}" for c in OTHER_READS],
)
def test_any_other_answer_of_the_wrong_shape_is_one_line(
    tmp_path: Path, provider: str, what: str, path: str, body: Any, args: tuple[str, ...]
) -> None:
    """The PR's comments (read when bumper leaves a note on a branch a person pushed to), the
    users a reviewer name is looked up in, the repository's labels: a list of numbers, a string
    or an empty object there was an internal error (a TypeError, an AttributeError)."""
    with make_world(tmp_path, provider) as world:
        if what == "comments":  # a person's commit on the bot branch: bumper comments on its PR
            seed_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
            repos.add_commit(world.bare, EXAMPLE_BRANCH, {"NOTES.md": b"fixup\n"}, message="fixup")
        world.host.fault = lambda req: (200, {}, body) if re.search(path, req.path) else None
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4", *args)
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"bumper: error: {NAMES[provider]} API ("), lines
        assert "internal error" not in lines[0]


@pytest.mark.parametrize("name", ["pulls", "pull-requests"])
def test_a_repository_named_like_the_pr_collection_is_no_pr_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """`GET /repos/acme/pulls` is the repository (read to check the token's role before a direct
    commit), not GitHub's PR list: the check of PR answers knows each host's PR route."""
    monkeypatch.setattr(world_module, "REPO_PATH", f"acme/{name}")
    with make_world(tmp_path, "github", DIRECT_AND_PR) as world:
        proc = run_bump(world, "ghcr.io/acme/app:v1.5.0")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        assert result["status"] == "opened" and result["commit"] is not None
        assert any(r.method == "GET" and r.path.endswith(f"/repos/acme/{name}") for r in world.host.requests)
