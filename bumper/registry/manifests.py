"""Manifest media types, digests and platforms: what a registry's answer means (no network)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
# Every type bumper reads, index first: a registry answers a multi-platform tag with its index.
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # the limit distribution and containerd set on a manifest


class Entry(NamedTuple):
    """One platform's manifest inside an index."""

    digest: str
    platform: str  # os/architecture[/variant], "" when the index names none


class Manifest(NamedTuple):
    """A manifest as the registry served it."""

    digest: str
    media_type: str
    entries: tuple[Entry, ...]  # an index's manifests; () for a single-platform manifest
    config_digest: str | None  # a single manifest's config blob (its platform is there)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def platforms(self) -> list[str]:
        """The platforms an index serves, in its order, without attestation entries."""
        return list(dict.fromkeys(e.platform for e in self.entries if e.platform))


def digest_of(body: bytes, algorithm: str = "sha256") -> str:
    """`sha256:<hex>` of the bytes, what a registry answers in Docker-Content-Digest."""
    return f"{algorithm}:{hashlib.new(algorithm, body).hexdigest()}"


def parse_manifest(body: bytes, content_type: str, digest: str) -> Manifest:
    """Read an index or a manifest; ValueError when the body is neither."""
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    media_type = str(data.get("mediaType") or content_type.split(";", 1)[0].strip())
    if "manifests" in data and media_type not in MANIFEST_TYPES:
        entries = tuple(_entry(item) for item in data["manifests"] if isinstance(item, dict))
        return Manifest(digest, media_type if media_type in INDEX_TYPES else OCI_INDEX, entries, None)
    config = data.get("config")
    config_digest = config.get("digest") if isinstance(config, dict) else None
    return Manifest(digest, media_type, (), config_digest if isinstance(config_digest, str) else None)


def _entry(item: dict[str, Any]) -> Entry:
    platform = item.get("platform")
    name = ""
    if isinstance(platform, dict):
        parts = [str(platform.get(k) or "") for k in ("os", "architecture", "variant")]
        name = "/".join(p for p in parts if p)
        if name == "unknown/unknown":  # buildx attestations ride in the index as such entries
            name = ""
    return Entry(str(item.get("digest", "")), name)


def config_platform(body: bytes) -> str:
    """`os/architecture[/variant]` of an image config blob, "" when it names none."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [str(data.get(k) or "") for k in ("os", "architecture", "variant")]
    return "/".join(p for p in parts if p) if parts[0] and parts[1] else ""
