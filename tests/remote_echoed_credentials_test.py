"""End to end, every host: an error answer that quotes the credential bumper sent, encoded.

A proxy or a host's error page may echo the request's `Authorization` header: Azure DevOps
takes a PAT as Basic with an empty user, Bitbucket Cloud's git as `x-token-auth:TOKEN`, a Data
Center with BITBUCKET_USERNAME as `USER:TOKEN`, and some quote it percent-encoded. Only the raw
token and its `x-access-token` Basic form were masked: the others reached the error line and the
JSON. Now every base64 spelling of the token's bytes (any user before it) and its
percent-encoded forms are masked. The canary check looks for all of them (testing/canary.py).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from testing.fake_provider import Fault, RecordedRequest
from testing.runs import run_bump
from testing.world import CANARY, EXAMPLE_IMAGE, make_world

HOSTS = ("github", "gitlab", "gitea", "bitbucket", "bitbucket-server", "azure-devops")


def _basic(user: str) -> str:
    return base64.b64encode(f"{user}:{CANARY}".encode()).decode()


ECHOES = {
    "azure-pat": f'"Authorization": "Basic {_basic("")}"',
    "bitbucket-git": f"credentials {_basic('x-token-auth')} refused",
    "any-user": f"Basic {_basic('bumper-bot')}",
    "bare-base64": base64.b64encode(CANARY.encode()).decode(),
    "percent-encoded": quote("%" + CANARY, safe=""),
}


@pytest.mark.parametrize("echo", sorted(ECHOES))
@pytest.mark.parametrize("provider", HOSTS)
def test_an_echoed_credential_in_any_encoding_is_masked(tmp_path: Path, provider: str, echo: str) -> None:
    with make_world(tmp_path, provider) as world:

        def echoing(req: RecordedRequest) -> Fault:
            if req.method == "GET":  # the PR lookup, before anything is pushed
                said = f"bad request: {ECHOES[echo]}"  # in each host's error shape
                body = {"message": said, "error": {"message": said}, "errors": [{"message": said}]}
                return (400, {}, body)
            return None

        world.host.fault = echoing
        proc = run_bump(world, f"{EXAMPLE_IMAGE}:v1.2.3")  # asserts no form of the token anywhere
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["status"] == "failed" and "***" in proc.stderr
