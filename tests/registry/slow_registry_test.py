"""--registry check against a registry (or its token service) whose answer trickles in, a byte
every 0.2 s: the run ends within BUMPER_REQUEST_DEADLINE (1 s here) in one line naming the
registry and the request, kind `registry`, exit 1, nothing written, no credential printed."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import forkserver
from testing.fake_oci_registry import PASSWORD, USER, FakeOciRegistry, docker_config
from testing.fake_provider import Fault, RecordedRequest, Trickle
from testing.oci_registry import Layout

BOUND = 30.0  # far below the trickle's own length, far above the run's work


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[FakeOciRegistry]:
    """A private acme/app:v2 behind the token service."""
    fake = FakeOciRegistry()
    try:
        folder = tmp_path / "layout"
        Layout(folder).tag("v2", ["linux/amd64"])
        fake.serve_layout("acme/app", folder, "v2")
        yield fake
    finally:
        fake.close()


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BUMPER_", "DOCKER_", "REGISTRY_AUTH"))}
    base.update({"HOME": str(tmp_path / "home"), "NO_COLOR": "1", "BUMPER_API_BACKOFF": "0.001", **env})
    proc = forkserver.run(["bump", *args, "--output", "json"], env=base, timeout=60)
    assert "Traceback" not in proc.stderr
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert PASSWORD not in proc.stdout + proc.stderr and basic not in proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize(
    ("path", "part", "asked"),
    [
        ("/v2/acme/app/manifests/v2", "body", "GET /v2/acme/app/manifests/v2"),
        ("/v2/acme/app/manifests/v2", "headers", "GET /v2/acme/app/manifests/v2"),
        ("/token", "headers", "GET /token"),
    ],
    ids=["manifest-body", "manifest-headers", "token-headers"],
)
def test_a_trickled_registry_answer_ends_the_check_in_one_line(
    tmp_path: Path, server: FakeOciRegistry, path: str, part: str, asked: str
) -> None:
    image = f"{server.host}/acme/app"
    root = tmp_path / "tree"
    root.mkdir()
    before = f"kind: Deployment\nspec:\n  containers:\n    - image: {image}:v1\n"
    (root / "deploy.yaml").write_text(before)
    config = docker_config(tmp_path / "docker", server.host)
    authorized = {"done": False}

    def slow(req: RecordedRequest) -> Fault:
        # the manifest trickles once it is asked with a token (its first ask is the 401 challenge)
        if req.path == "/token":
            authorized["done"] = True
        if req.path == path and (path == "/token" or authorized["done"]):
            return Trickle(part)
        return None

    server.fault = slow
    started = time.monotonic()
    proc = run(tmp_path, f"{image}:v2", "--dir", str(root), "--registry", "check",
               DOCKER_CONFIG=str(config), BUMPER_REQUEST_DEADLINE="1")  # fmt: skip
    assert time.monotonic() - started < BOUND
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("bumper: error: ") and server.host in line, line
    said = re.escape(asked) + r" on 127\.0\.0\.1:\d+ did not finish answering within 1 s"
    assert re.search(said, line), line
    assert "BUMPER_REQUEST_DEADLINE" in line and "?" not in line, line
    assert json.loads(proc.stdout)["error"]["kind"] == "registry"
    assert (root / "deploy.yaml").read_text() == before


def test_a_bad_deadline_is_exit_2_before_any_registry_request(
    tmp_path: Path, server: FakeOciRegistry
) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "deploy.yaml").write_text(f"image: {server.host}/acme/app:v1\n")
    proc = run(tmp_path, f"{server.host}/acme/app:v2", "--dir", str(root), "--registry", "check",
               BUMPER_REQUEST_DEADLINE="forever")  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "BUMPER_REQUEST_DEADLINE" in line and "'forever'" in line, line
    assert server.requests == []


def test_a_silent_plain_http_registry_is_a_registry_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loopback registry (plain HTTP allowed) that takes the connection and never answers:
    the HTTPS probe's read timeout was no ConnectionError, so it escaped as requests' ReadTimeout
    (an internal error at the CLI). Now one RegistryError saying it timed out."""
    from bumper.errors import RegistryError
    from bumper.registry import client

    monkeypatch.setattr(client, "TIMEOUT", 0.5)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        held: list[socket.socket] = []

        def take() -> None:
            with contextlib.suppress(OSError):
                while True:
                    held.append(silent.accept()[0])

        threading.Thread(target=take, daemon=True).start()
        with pytest.raises(RegistryError) as info:
            client.Registry(f"127.0.0.1:{port}", {}).manifest("acme/app", "v1")
        for conn in held:
            conn.close()
    assert f"the registry 127.0.0.1:{port} timed out (ReadTimeout)" in str(info.value)
