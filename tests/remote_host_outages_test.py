"""End to end, every host: the API is down behind a proxy that answers its own HTML error page.

The run ends after the bounded retries in one line with the status and without the page's
markup (GitLab's line carried the proxy's HTML, up to 450 characters of it), nothing pushed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from testing.fake_provider import Fault, RecordedRequest
from testing.runs import run_bump
from testing.world import EXAMPLE_BRANCH, EXAMPLE_IMAGE, make_world

HOSTS = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")
LIST = re.compile(r"/(pulls|merge_requests|pullrequests|pull-requests)$", re.IGNORECASE)
PAGE = (
    b"<!DOCTYPE html>\n<html><head><style>body{font-family:sans-serif}</style></head>\n"
    b"<body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>\n"
)


@pytest.mark.parametrize("provider", HOSTS)
@pytest.mark.parametrize("status", [502, 503])
def test_an_html_outage_page_is_one_line_without_its_markup(
    tmp_path: Path, provider: str, status: int
) -> None:
    with make_world(tmp_path, provider) as world:

        def down(req: RecordedRequest) -> Fault:
            if req.method == "GET" and LIST.search(req.path):
                return (status, {"Content-Type": "text/html"}, PAGE)
            return None

        world.host.fault = down
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")
        assert proc.returncode == 1, proc.stderr
        [line] = proc.stderr.strip().splitlines()
        assert line.startswith("bumper: error: ") and str(status) in line, line
        assert "<" not in line and "font-family" not in line, line
        assert json.loads(proc.stdout)["status"] == "failed"
        assert world.branch_sha(EXAMPLE_BRANCH) is None and world.pushes() == []
