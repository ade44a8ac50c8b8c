"""Where a registry answers: the API host of a normalized registry name, and whether plain HTTP is allowed."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import NamedTuple

from bumper.errors import ConfigError
from bumper.image_ref import DOCKER_HUB

# Docker Hub's API lives on another host than its name; `docker login` stores it under this key.
HUB_API_HOST = "registry-1.docker.io"
HUB_CONFIG_KEY = "https://index.docker.io/v1/"
INSECURE_VARIABLE = "BUMPER_INSECURE_REGISTRIES"


class Endpoint(NamedTuple):
    """One registry as bumper talks to it."""

    registry: str  # the normalized name of image_ref (`docker.io`, `ghcr.io`, `127.0.0.1:5000`)
    api_host: str  # host[:port] of the distribution API
    plain_http: bool  # loopback or listed in BUMPER_INSECURE_REGISTRIES: http:// is allowed

    @property
    def credential_keys(self) -> tuple[str, ...]:
        """The names `docker login` and podman may have stored this registry's credentials under."""
        if self.registry == DOCKER_HUB:
            return (HUB_CONFIG_KEY, "index.docker.io", "docker.io", HUB_API_HOST)
        return (self.registry,)


def endpoint(registry: str, env: Mapping[str, str]) -> Endpoint:
    """The endpoint of a normalized registry name."""
    api_host = HUB_API_HOST if registry == DOCKER_HUB else registry
    listed = insecure_hosts(env)
    plain = is_loopback(api_host) or api_host.lower() in listed or host_of(api_host).lower() in listed
    return Endpoint(registry, api_host, plain)


def insecure_hosts(env: Mapping[str, str]) -> frozenset[str]:
    """BUMPER_INSECURE_REGISTRIES: comma-separated `host[:port]`; a listed host without a port
    allows every port of it."""
    items = [item.strip().lower() for item in env.get(INSECURE_VARIABLE, "").split(",")]
    for item in items:
        if "/" in item or " " in item:
            raise ConfigError(
                f"{INSECURE_VARIABLE} holds {item!r}; give comma-separated host[:port] names, "
                "e.g. registry.local:5000,10.0.0.5"
            )
    return frozenset(item for item in items if item)


def host_of(host_port: str) -> str:
    """`host` of `host[:port]` (an IPv6 address stays in its brackets' content)."""
    if host_port.startswith("["):
        return host_port[1 : host_port.find("]")]
    return host_port.rsplit(":", 1)[0] if host_port.count(":") == 1 else host_port


def is_loopback(host_port: str) -> bool:
    host = host_of(host_port).lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
