"""End to end, every host: the API answers a request with a redirect to another host, or in a loop.

The token never leaves for another host: the redirect is refused before it is followed, in one
line naming both URLs. A redirect loop inside the API is one line saying so (it read "cannot
reach the API (TooManyRedirects), even after retries"). Nothing is pushed either way.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from testing import repos
from testing.fake_provider import Fault, RecordedRequest
from testing.runs import bump_json, run_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, World, make_world

HOSTS = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")
LIST = re.compile(r"/(pulls|merge_requests|pullrequests|pull-requests)$", re.IGNORECASE)


class _Elsewhere(BaseHTTPRequestHandler):
    """Another host: records the headers of every request that reaches it."""

    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.seen.append(dict(self.headers.items()))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    do_POST = do_PUT = do_PATCH = do_GET

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Quiet."""


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Elsewhere,), {"seen": seen})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


def _redirect(world: World, status: int, to: str | None) -> None:
    """Answer the PR lookup with `status` and a Location on `to` (None: the same URL again)."""

    def fault(req: RecordedRequest) -> Fault:
        if req.method == "GET" and LIST.search(req.path):
            return (status, {"Location": (to or world.host.base_url) + req.path}, {})
        return None

    world.host.fault = fault


def _failed_in_one_line(world: World, proc: object) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = str(proc.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bumper: error: "), lines
    assert json.loads(str(proc.stdout))["status"] == "failed"
    assert world.branch_sha(EXAMPLE_BRANCH) is None and world.pushes() == []
    return lines[0]


@pytest.mark.parametrize("provider", HOSTS)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_never_gets_the_token(
    tmp_path: Path, provider: str, status: int, elsewhere: tuple[str, list[dict[str, str]]]
) -> None:
    url, seen = elsewhere
    with make_world(tmp_path, provider) as world:
        _redirect(world, status, url)
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        line = _failed_in_one_line(world, proc)
        assert "redirect" in line and "check --api-url" in line, line
        if (provider, status) != ("github", 301):  # PyGithub refuses that one itself, unnamed
            assert f"redirected to {url}/" in line
        assert seen == []  # not followed at all, so no header (let alone the token) went there


@pytest.mark.parametrize("provider", HOSTS)
def test_a_redirect_loop_inside_the_api_is_one_line(tmp_path: Path, provider: str) -> None:
    with make_world(tmp_path, provider) as world:
        _redirect(world, 301 if provider == "github" else 302, None)  # PyGithub follows only a 301
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        line = _failed_in_one_line(world, proc)
        assert re.search("redirected in a loop|a redirect that leaves the API or loops", line), line
        assert "check --api-url" in line
        assert "cannot reach" not in line


def test_a_next_page_link_to_another_host_is_not_followed(
    tmp_path: Path, elsewhere: tuple[str, list[dict[str, str]]]
) -> None:
    """Bitbucket pages by absolute `next` links (the PR's comments, read before bumper leaves a
    note on a branch a person pushed to): one pointing at another host got the request, with the
    token in its Authorization header. Now it is refused unrequested, in one line."""
    url, seen = elsewhere
    with make_world(tmp_path, "bitbucket") as world:
        bump_json(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        repos.add_commit(world.bare, EXAMPLE_BRANCH, {"NOTES.md": b"fixup\n"}, message="fixup")

        def fault(req: RecordedRequest) -> Fault:
            if req.method == "GET" and req.path.endswith("/comments"):
                return (200, {}, {"values": [], "next": f"{url}/comments?page=2"})
            return None

        world.host.fault = fault
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.4")
        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.strip().splitlines()
        assert f"answered a link to {url}/comments, outside the API" in line, line
        assert seen == []  # no request, so no token, reached the other host
