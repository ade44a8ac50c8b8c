"""End to end, every host: a token with a line break, a space or a non-ASCII character inside.

A newline in a bearer token reached the API client's header and failed as "cannot reach the
API (InvalidHeader)" (Bitbucket Data Center), or went to the host inside git's Basic
credentials and read as "authentication failed". Now it is refused before any request, in one
line naming the variable and never the value (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.runs import run_bump
from testing.world import CANARY, EXAMPLE_IMAGE, make_world

HOSTS = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")
ODD = {
    "newline": CANARY + "\nX-Injected: 1",
    "carriage-return": CANARY + "\rX-Injected: 1",
    "space": CANARY + " " + CANARY,
    "non-ascii": CANARY + "€",
    "control": CANARY + "\x7f",
}


@pytest.mark.parametrize("provider", HOSTS)
@pytest.mark.parametrize("odd", sorted(ODD))
def test_an_odd_token_is_refused_before_any_request(tmp_path: Path, provider: str, odd: str) -> None:
    with make_world(tmp_path, provider) as world:
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_TOKEN=ODD[odd])
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip() == (
            "bumper: error: BUMPER_TOKEN holds a line break, a space, a control or a non-ASCII "
            "character inside the token, which no Git host's token has; set BUMPER_TOKEN to the "
            "token alone"
        )
        assert json.loads(proc.stdout)["status"] == "failed"
        assert world.git.requests == [] and world.host.requests == []


@pytest.mark.parametrize("provider", ["gitlab", "bitbucket-server"])
def test_surrounding_whitespace_is_not_part_of_the_token(tmp_path: Path, provider: str) -> None:
    """A secret pasted with its line end (or a tab before it) still works."""
    with make_world(tmp_path, provider) as world:
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3", BUMPER_TOKEN=f"\t{CANARY}\r\n")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["status"] == "opened"
