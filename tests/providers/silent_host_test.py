"""A host that takes the request and never answers: each attempt waits the read timeout (30 s in
production, 1 s here), and bumper asks at most twice (rest.SILENT_RETRIES), where PyGithub's
retries asked six times (about three minutes with backoff) and the REST client five."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from bumper.errors import ProviderError
from bumper.providers import github, gitlab, rest
from bumper.providers.api import ProviderSettings
from bumper.providers.gitea import GiteaProvider
from bumper.providers.github import GitHubProvider
from bumper.providers.gitlab import GitLabProvider

TIMEOUT = 1  # seconds per read, in place of the providers' 30 (PyGithub takes whole seconds)


class SilentHost:
    """Accepts connections on loopback, reads each request and answers nothing."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.requests = 0
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self._held.append(conn)
            if conn.recv(65536).split(b" ", 1)[0] in (b"GET", b"POST", b"PUT", b"PATCH"):
                self.requests += 1

    def close(self) -> None:
        self._server.close()
        for conn in self._held:
            conn.close()


@pytest.fixture()
def host(monkeypatch: pytest.MonkeyPatch) -> Iterator[SilentHost]:
    for module in (github, gitlab, rest):
        monkeypatch.setattr(module, "TIMEOUT", TIMEOUT)
    server = SilentHost()
    yield server
    server.close()


def settings(host: SilentHost, path: str) -> ProviderSettings:
    api = f"http://127.0.0.1:{host.port}"
    return ProviderSettings(f"{api}/{path}.git", api, "t0k3n", throttle=False, backoff=0.001)


@pytest.mark.parametrize("provider", ["github", "gitea"])
def test_a_silent_host_is_asked_twice_then_the_run_fails_in_one_line(host: SilentHost, provider: str) -> None:
    cls = GitHubProvider if provider == "github" else GiteaProvider
    instance = cls(settings(host, "acme/manifests"))
    with pytest.raises(ProviderError) as info:
        instance.find_pull_request("bumper/x", "main")
    assert host.requests == 2
    assert "cannot reach" in str(info.value) and "\n" not in str(info.value)
    assert "t0k3n" not in str(info.value)


def test_gitlab_asks_a_silent_host_twice_too(host: SilentHost) -> None:
    """python-gitlab retries a read timeout RETRIES times, as a dropped connection: asked twice."""
    instance = GitLabProvider(settings(host, "acme/manifests"))
    with pytest.raises(ProviderError) as info:
        instance.find_pull_request("bumper/x", "main")
    assert host.requests == 2
    assert "cannot reach" in str(info.value) and "t0k3n" not in str(info.value)
