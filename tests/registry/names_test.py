"""Where a registry answers, and when plain HTTP is allowed: loopback, or listed hosts only."""

from __future__ import annotations

import pytest

from bumper.errors import ConfigError
from bumper.registry.names import HUB_API_HOST, endpoint, host_of, is_loopback


def test_docker_hub_answers_on_its_api_host() -> None:
    hub = endpoint("docker.io", {})
    assert (hub.api_host, hub.plain_http) == (HUB_API_HOST, False)
    assert "https://index.docker.io/v1/" in hub.credential_keys
    assert endpoint("ghcr.io", {}).credential_keys == ("ghcr.io",)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:5000", True),
        ("localhost", True),
        ("a.localhost:80", True),
        ("[::1]:5000", True),
        ("10.0.0.5", False),
        ("registry.local:5000", False),
        ("localhost.evil.com", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_listed_hosts_allow_plain_http_any_port_when_listed_without_one() -> None:
    env = {"BUMPER_INSECURE_REGISTRIES": "registry.local, 10.0.0.5:5000"}
    assert endpoint("registry.local:5000", env).plain_http
    assert endpoint("10.0.0.5:5000", env).plain_http
    assert not endpoint("10.0.0.5:6000", env).plain_http
    assert host_of("[fe80::1]:5000") == "fe80::1"


def test_a_listed_url_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match="comma-separated host"):
        endpoint("ghcr.io", {"BUMPER_INSECURE_REGISTRIES": "http://registry.local"})
